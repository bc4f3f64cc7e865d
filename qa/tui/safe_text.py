"""Showing untrusted text (documents, questions) literally.

Everything from a document or a question reaches the screen as a
`rich.text.Text` built from plain strings, never as markup, and with control
characters neutralised so that escape sequences cannot restyle the terminal
(the same stand-ins as the CLI's: ESC shows as ␛). Each replaced character
becomes exactly one character, so offsets into a document stay valid on the
cleaned text.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from qa.safe import printable

# Carriage returns (CRLF files), form and line feeds read as blanks in a document.
_BLANKS = str.maketrans({"\r": " ", "\x0b": " ", "\x0c": " "})


def clean(text: str) -> str:
    """The text with every control character replaced one-for-one (offsets kept)."""
    return printable(text.translate(_BLANKS))


def one_line(text: str) -> str:
    """Cleaned text on one line (newlines and tabs shown as spaces)."""
    return clean(text).replace("\n", " ").replace("\t", " ")


def literal(text: str, style: str | Style = "") -> Text:
    """A Text showing `text` exactly as written: no markup, no escape codes."""
    return Text(clean(text), style=style, end="")


def highlighted(text: str, span: tuple[int, int] | None, style: str | Style, base: str | Style = "") -> Text:
    """Literal text with characters span[0]:span[1] styled (None: no highlight)."""
    out = literal(text, base)
    if span is not None and 0 <= span[0] < span[1] <= len(text):
        out.stylize(style, span[0], span[1])
    return out


def find_value(value: str | None, text: str) -> tuple[int, int] | None:
    """Where a short answer stands in the quote it was taken from."""
    if not value:
        return None
    i = text.find(value)
    return (i, i + len(value)) if i >= 0 else None
