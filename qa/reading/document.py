"""The document model every reader produces, and the builder that lays it out.

A reader never writes the canonical text itself: it hands the builder one
block at a time (kind, text, heading path...) and the builder appends the text
with a blank line between blocks and records the offsets. That way the rule
"a block's text is text[start:end], with no surrounding whitespace" holds by
construction for every format.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qa.errors import QAError

KINDS = frozenset({"title", "heading", "paragraph", "item", "row", "caption", "reference", "meta"})

BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of a document's reading order; its text is `Document.text[start:end]`."""

    start: int
    end: int
    kind: str
    """"title", "heading", "paragraph", "item", "row", "caption", "reference" or "meta"."""
    section: tuple[str, ...] = ()
    """Heading path, outermost first; for a table row, the section the table sits in."""
    page: int | None = None
    """1-based page where the block starts (PDF), else None."""
    table: str | None = None
    """Rows and table captions: the table's label, e.g. "Table 2"."""
    context: str = ""
    """Rows only: label, caption and column headers, searched with the row but never quoted."""


@dataclass(slots=True)
class Document:
    """A read article: canonical text and its blocks in reading order."""

    text: str
    blocks: list[Block]
    format: str
    """"jats", "html" or "pdf" (the text reader uses "text" or "markdown")."""
    title: str = ""
    page_starts: list[int] = field(default_factory=list)
    """PDF: offset in text where each page begins, ascending (page n at index n - 1)."""
    joins: list[int] = field(default_factory=list)
    """PDF: offsets where a line-end hyphen was removed and the two parts joined (the
    offset is that of the first character after the join)."""
    warnings: list[str] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding text[offset], or None for a document without pages."""
        if not self.page_starts:
            return None
        # bisect_right: a page without text shares its start with the next page, and
        # the offset belongs to the later one, the page that really holds it.
        return max(1, bisect.bisect_right(self.page_starts, offset))

    def block_at(self, offset: int) -> Block | None:
        """The block whose text holds text[offset], if any."""
        i = bisect.bisect_right([b.start for b in self.blocks], offset) - 1
        if i >= 0 and offset < self.blocks[i].end:
            return self.blocks[i]
        return None


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """What a reader refuses to read: files over max_bytes, PDFs over max_pages."""

    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 500


class ReadError(QAError):
    """A file that cannot be read, with the reason worded for the person who gave it."""


def check_size(data: bytes, name: str, limits: ReadLimits) -> None:
    if len(data) > limits.max_bytes:
        raise ReadError(
            f"{name} is {len(data) / 1e6:.1f} MB, over the {limits.max_bytes / 1e6:.0f} MB limit for one file",
            hint="Raise the size limit in the settings to read it.",
        )


def guarded(fmt: str, name: str, read: Callable[[], Document]) -> Document:
    """Run a reader so that nothing but a ReadError leaves it: a file that trips a
    bug in a reader is reported as a file that could not be read, never as a traceback."""
    try:
        return read()
    except ReadError:
        raise
    except RecursionError:
        raise ReadError(f"{name} nests its content too deeply to read") from None
    except MemoryError:
        raise ReadError(f"{name} is too large to read in the memory available") from None
    except Exception as exc:  # noqa: BLE001 - the safety net this function exists for
        raise ReadError(f"{name} could not be read: the {fmt} reader failed on it ({type(exc).__name__})",
                        hint="Please report this file.") from exc


_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufeff\ufffe\uffff\u200b\u00ad]")


def squash(text: str) -> str:
    """Inline text as quotable: control characters gone, whitespace runs one space."""
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


class Builder:
    """Lays blocks out one after another into the canonical text."""

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        self._parts: list[str] = []
        self._length = 0
        self.blocks: list[Block] = []
        self.joins: list[int] = []
        self.warnings: list[str] = []
        self.title = ""
        self._page_starts: dict[int, int] = {}

    @property
    def length(self) -> int:
        return self._length

    @property
    def text(self) -> str:
        """The canonical text laid out so far."""
        return "".join(self._parts)

    def add(
        self,
        kind: str,
        text: str,
        *,
        section: tuple[str, ...] = (),
        page: int | None = None,
        table: str | None = None,
        context: str = "",
        joins: tuple[int, ...] | list[int] = (),
        pages: tuple[tuple[int, int], ...] | list[tuple[int, int]] = (),
    ) -> Block | None:
        """Append a block; None when its text is empty.

        The text must already be clean inline text (see `squash`); only its ends are
        trimmed. `joins` and `pages` ((offset, page) where a page begins inside the
        block) are offsets into the given text."""
        assert kind in KINDS, kind
        lead = len(text) - len(text.lstrip())
        body = text.strip()
        if not body:
            return None
        start = self._length + (len(BLOCK_SEPARATOR) if self._parts else 0)
        if self._parts:
            self._parts.append(BLOCK_SEPARATOR)
        self._parts.append(body)
        self._length = start + len(body)
        block = Block(start, self._length, kind, section, page, table, context)
        self.blocks.append(block)
        for j in joins:
            if lead <= j < lead + len(body):
                self.joins.append(start + j - lead)
        if page is not None:
            self._page_starts.setdefault(page, start)
        for off, p in pages:
            self._page_starts.setdefault(p, start + max(0, min(len(body), off - lead)))
        if kind == "title" and not self.title:
            self.title = body
        return block

    def build(self, page_count: int = 0) -> Document:
        text = "".join(self._parts)
        starts: list[int] = []
        if page_count:
            # A page with no text begins where the next page with text begins.
            nxt = len(text)
            for p in range(page_count, 0, -1):
                nxt = min(nxt, self._page_starts.get(p, nxt))
                starts.append(nxt)
            starts.reverse()
        return Document(text, self.blocks, self.format, self.title, starts, sorted(self.joins), self.warnings)


# --- stored form (the index keeps every document's canonical text and blocks) ---------


def to_json(doc: Document) -> dict[str, Any]:
    """A document as plain JSON data: its text, its blocks (sections and contexts listed
    once each) and what else it knows; `from_json` reads it back."""
    sections: dict[tuple[str, ...], int] = {}
    contexts: dict[str, int] = {}
    blocks = [
        [b.start, b.end, b.kind, sections.setdefault(b.section, len(sections)), b.page, b.table,
         contexts.setdefault(b.context, len(contexts))]
        for b in doc.blocks
    ]
    return {
        "format": doc.format, "title": doc.title, "text": doc.text, "blocks": blocks,
        "sections": [list(s) for s in sections], "contexts": list(contexts),
        "page_starts": doc.page_starts, "joins": doc.joins, "warnings": doc.warnings,
    }


def from_json(data: Any) -> Document:
    """The document `to_json` wrote; ValueError when the data is not one."""
    try:
        text, sections, contexts = data["text"], [tuple(s) for s in data["sections"]], data["contexts"]
        blocks = []
        for start, end, kind, sec, page, table, ctx in data["blocks"]:
            if kind not in KINDS or not (0 <= start <= end <= len(text)):
                raise ValueError("a block out of range")
            blocks.append(Block(int(start), int(end), kind, sections[sec], page, table, contexts[ctx]))
        doc = Document(text, blocks, str(data["format"]), str(data["title"]), [int(p) for p in data["page_starts"]],
                       [int(j) for j in data["joins"]], [str(w) for w in data["warnings"]])
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"not a stored document ({type(exc).__name__})") from None
    if not isinstance(text, str):
        raise ValueError("not a stored document (no text)")
    return doc
