"""Showing untrusted text on a terminal: control characters made visible.

Document and question text may hold escape sequences; printed raw they would
restyle or rewrite the terminal. C0/C1 controls (but newline and tab) become
their Unicode "control picture" or U+FFFD, so they show instead of acting.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _picture(m: re.Match[str]) -> str:
    c = ord(m.group())
    if c < 0x20:
        return chr(0x2400 + c)
    if c == 0x7F:
        return "\u2421"
    return "\ufffd"


def printable(text: str) -> str:
    """text with control characters replaced by visible stand-ins."""
    return _CONTROL.sub(_picture, text)


def one_line(text: str) -> str:
    """printable(), with line breaks and tabs folded to spaces."""
    return printable(" ".join(text.split()))
