"""Showing text to people on a terminal: untrusted text with its control characters made
visible, and counts in words.

Document and question text may hold escape sequences; printed raw they would
restyle or rewrite the terminal. C0/C1 controls (but newline and tab) become
their Unicode "control picture" or U+FFFD, so they show instead of acting.
Bidirectional overrides (which can make text read differently from what it
is) and lone surrogates (which cannot even be encoded for output) become
U+FFFD too. Every replacement is one character for one, so offsets into the
cleaned text are offsets into the original.

The CLI prints with plain `print`, never through Rich, so square-bracket
markup such as "[bold]" is shown as written.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


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


def json_text(s: str) -> str:
    """JSON text (from json.dumps(..., ensure_ascii=False)) safe for a terminal.

    json.dumps escapes C0 controls but writes DEL, C1 controls (U+009B is a
    one-character escape sequence), bidirectional overrides and line
    separators and lone surrogates raw (a surrogate cannot even be encoded
    for output); they are escaped here as \\uXXXX, which JSON readers turn
    back into the same characters, so nothing is lost.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", s)


def no_surrogates(text: str) -> str:
    """text with lone surrogates (from undecodable bytes) replaced by U+FFFD."""
    return re.sub(r"[\ud800-\udfff]", "\ufffd", text)


def plural(n: int, word: str) -> str:
    """The count and the word, plural unless it is 1 ("1 document", "2 documents")."""
    return f"{n} {word}{'' if n == 1 else 's'}"
