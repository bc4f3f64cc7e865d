"""Inline text from markup (JATS and HTML), with citation markers kept apart from words.

Markup puts a reference marker right against a word ("myeloma<xref>1</xref>"),
which as plain text reads "myeloma1": a word that matches nothing, and a
number that looks like a value. `Inline` renders such a marker as " [1]"
unless it already stands inside brackets ("[<xref>1</xref>, <xref>2</xref>]"),
and puts it before a sentence's full stop so that it stays in its sentence.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from qa.reading.document import squash
from qa.reading.sentences import ABBREVIATIONS

if TYPE_CHECKING:
    from lxml import etree

_MARKER_TEXT = re.compile(r"^[\[(]?\s*[\dA-Za-z*†‡§¶#]{1,4}(?:\s*[,;–\-−]\s*[\dA-Za-z]{1,4})*\s*[\])]?$")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)[.,;:]$")
_MARKER_RUN = re.compile(r"\[([^\[\]]{1,40})\]([.,;:]?)\s*([,–\-])\s*$")


def local_name(el: etree._Element) -> str:
    """An element's name without its namespace or prefix ("mml:math" is "math"); "" for a
    comment or processing instruction."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag.rsplit(":", 1)[-1]


def looks_like_marker(text: str) -> bool:
    """Short reference-like text: "1", "2,3", "4–6", "a", "*"."""
    t = text.strip()
    return bool(t) and len(t) <= 24 and bool(_MARKER_TEXT.match(t))


class Inline:
    """Collects the inline text of one block."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self, s: str | None) -> None:
        if s:
            self.parts.append(s)

    def space(self) -> None:
        self.parts.append(" ")

    def _tail(self, n: int = 80) -> str:
        out = ""
        for p in reversed(self.parts):
            out = p + out
            if len(out) >= n:
                break
        return out[-n:]

    def marker(self, s: str) -> None:
        """A citation marker: apart from the word before it, inside its sentence."""
        s = squash(s)
        if not s:
            return
        tail = self._tail()
        run = _MARKER_RUN.search(tail)
        if run:
            # "[3]., <xref>4</xref>" -> "[3,4].": one marker after another is one list.
            self._drop_chars(len(run.group(0)))
            self.parts.append(f"[{run.group(1)}{run.group(3)}{s.strip('[]() ')}]{run.group(2)}")
            return
        bare = s.strip("[]() ")
        if _inside_brackets(tail) or (s[0] in "[(" and s[-1] in "])"):
            # Part of a bracketed list already; only keep it off a word.
            if tail and tail[-1].isalnum() and s[0].isalnum():
                self.parts.append(" ")
            self.parts.append(s)
            return
        stripped = tail.rstrip()
        m = _WORD_BEFORE.search(stripped)
        if m and len(m.group(1)) > 2 and m.group(1).lower() not in ABBREVIATIONS and stripped == tail:
            # "myeloma.<xref>1</xref> Next" -> "myeloma [1]. Next": the marker stays in its sentence.
            punct = stripped[-1]
            self._drop_last_char()
            self.parts.append(f" [{bare}]{punct}")
            return
        if tail and not tail[-1].isspace():
            self.parts.append(" ")
        self.parts.append(f"[{bare}]")

    def _drop_chars(self, n: int) -> None:
        while n > 0 and self.parts:
            last = self.parts.pop()
            if len(last) > n:
                self.parts.append(last[:-n])
                return
            n -= len(last)

    def _drop_last_char(self) -> None:
        while self.parts and not self.parts[-1]:
            self.parts.pop()
        if self.parts:
            self.parts[-1] = self.parts[-1][:-1]

    def value(self) -> str:
        return squash("".join(self.parts))

    def clear(self) -> None:
        self.parts.clear()


def _inside_brackets(tail: str) -> bool:
    return tail.rfind("[") > tail.rfind("]") or tail.rfind("(") > tail.rfind(")")
