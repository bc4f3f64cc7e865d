"""Abbreviations an article defines itself: "Exportin 1 (XPO1)" -> xpo1.

A light version of Schwartz & Hearst (2003): for a parenthesised short form,
the long form is the shortest run of preceding words whose letters can spell
the short form in order, starting with its first letter.
"""

from __future__ import annotations

import re

from qa.text import fold

_PAREN = re.compile(r"\(([A-Za-z][A-Za-z0-9\-]{1,9}s?)\)")


def _matches(short: str, long: str) -> bool:
    s = short.lower().rstrip("s") if short.endswith("s") and short[:-1].isupper() else short.lower()
    lf = long.lower()
    si, li = len(s) - 1, len(lf) - 1
    while si >= 0:
        c = s[si]
        if not c.isalnum():
            si -= 1
            continue
        while li >= 0 and (lf[li] != c or (si == 0 and li > 0 and lf[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return False
        si -= 1
        li -= 1
    return True


def find_abbreviations(text: str) -> dict[str, str]:
    """Short form (folded) -> long form, for every definition in text."""
    found: dict[str, str] = {}
    for m in _PAREN.finditer(text):
        short = m.group(1)
        if sum(c.isupper() for c in short) < 2:
            continue
        before = text[max(0, m.start() - 120) : m.start()].rstrip()
        words = re.findall(r"[\w\-’']+", before)
        n = min(len(words), len(short) + 5)
        for k in range(1, n + 1):
            cand = " ".join(words[-k:])
            if cand and cand[0].lower() == short[0].lower() and _matches(short, cand):
                if cand.lower() != short.lower():
                    found.setdefault(fold(short), cand)
                break
    return found
