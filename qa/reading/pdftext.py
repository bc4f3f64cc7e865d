"""Words of PDF lines into a block's text: spaces between them, and line-end hyphens.

A word broken by a hyphen at a line end is joined (the join is recorded in
`Document.joins`) unless the part after the break starts with a capital or a
digit, the hyphenated form occurs elsewhere in the document, or both parts are
words of the document and their joined form is not. Superscripts that look
like reference markers become " [1]" apart from the word, inside the sentence
(pdfwords.words_text).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from qa.reading.pdflayout import Fragment, Line
from qa.reading.pdfwords import HYPHENS, Word, words_text

_WORD = re.compile(r"[^\W\d_]+")
_COMPOUND = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")


@dataclass(slots=True)
class Para:
    """A block's text being put together line by line, with its joins and page breaks."""

    kind: str
    page: int
    section: tuple[str, ...]
    parts: list[str] = field(default_factory=list)
    length: int = 0
    joins: list[int] = field(default_factory=list)
    pages: list[tuple[int, int]] = field(default_factory=list)
    last: Line | None = None
    cur: int = 0

    def text(self) -> str:
        return "".join(self.parts)


def ends_hyphen(w: Word) -> bool:
    """Whether a word ends in a hyphen that may have broken it at the line end."""
    return w.hyphen or w.text[-1:] in HYPHENS


class Joiner:
    """Joins words into text, knowing the document's words (to tell a word broken at
    a line end from a compound)."""

    def __init__(self, lines: list[Line]) -> None:
        self.vocab: Counter[str] = Counter()
        self.hyphenated: set[str] = set()
        broken = False
        for ln in lines:
            # The word broken at a line end would count its parts as words: its first
            # part at the end of this line, its rest at the start of the next.
            text = ln.text.lower()
            if broken and ln.words:
                text = text[len(ln.words[0].text) :]
            broken = bool(ln.words) and ends_hyphen(ln.words[-1])
            if broken:
                text = text[: len(text) - len(ln.words[-1].text)]
            self.vocab.update(_WORD.findall(text))
            for compound in _COMPOUND.findall(text):
                parts = compound.split("-")
                self.hyphenated.update(f"{x}-{y}" for x, y in pairwise(parts))

    def cell_text(self, frags: list[Fragment]) -> str:
        """The text of fragments (a table cell, a caption) as one run."""
        p = Para("paragraph", 0, ())
        for f in frags:
            self.append(p, f.words, f.page)
        return p.text()

    def append(self, p: Para, words: list[Word], page: int) -> None:
        """Add a line's words to a block, joining a word broken at the previous line's end."""
        text = words_text(words)
        if not text:
            return
        if not p.parts:
            p.cur = page
        elif page != p.cur:
            p.pages.append((p.length + 1, page))  # where this page's text begins in the block
            p.cur = page
        if p.parts:
            prev = p.parts[-1]
            how = self._join(prev, text) if len(prev) > 1 and prev[-1] in HYPHENS and prev[-2].isalnum() else " "
            if how == "join":
                p.parts[-1] = prev[:-1]
                p.length -= 1
                p.joins.append(p.length)
            elif how == "keep" or (len(prev) > 1 and prev[-1] in "–—/" and prev[-2].isalnum()):
                pass  # "placebo-" + "controlled", "20–" + "25": one word broken after its dash
            else:
                p.parts.append(" ")
                p.length += 1
        p.parts.append(text)
        p.length += len(text)

    def _join(self, left: str, right: str) -> str:
        """How a line ending in a hyphen meets the next: "join" (a word broken by the
        typesetter: the hyphen goes), "keep" (a compound: "placebo-controlled") or " "
        (a suspended hyphen: "pre- and post-operative"). See the module docstring."""
        head = re.search(r"([^\W\d_]+)[" + HYPHENS + r"]$", left)
        if not head or not right[:1].isalnum() or right[:1].isupper() or right[:1].isdigit():
            return "keep"
        a, b = head.group(1).lower(), (_WORD.match(right.lower()) or [""])[0]
        if b in ("and", "or", "to", "nor"):
            return " "
        if not b or f"{a}-{b}" in self.hyphenated:
            return "keep"
        if self.vocab.get(a + b):
            return "join"
        if re.match(r"[^\W\d_]+-[^\W\d_]", right):
            return "keep"  # the break of a compound ("time-to-event") is likely at one of its hyphens
        both = len(a) >= 3 and len(b) >= 3 and self._known(a) and self._known(b)
        return "keep" if both else "join"

    def _known(self, word: str) -> bool:
        """Whether the document uses the word elsewhere, or its plural or singular."""
        return bool(self.vocab.get(word) or self.vocab.get(word + "s") or (word.endswith("s") and self.vocab.get(word[:-1])))
