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
