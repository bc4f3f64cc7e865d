"""Blocks cut into citable units: a sentence, a list item, a table row, a reference.

Paragraphs and captions are split into sentences, a list item is one unit (split
into sentences when very long), a table row is one unit, a reference or a
stand-alone line (a link, a date) is one unit cut where over-long; titles and
headings are not units, they are the heading path of the units below them. A
unit's text is always document.text[start:end]; it carries its heading path, its
page(s) in a PDF, its table and that table's context (label, caption, column
headers) for a row, and the block it belongs to, so that adjacent sentences of
a paragraph can be cited together.
"""

from __future__ import annotations

import re

from qa.models import Unit
from qa.reading.document import Document
from qa.reading.plain import read_text
from qa.reading.sentences import sentence_spans, split_long

CHUNKER_VERSION = "9"
"""Bump when unit boundaries or sections change, or the text a reader makes of a file (its
offsets move): cached vectors and stored offsets are then stale."""

PLAIN_FORMATS = frozenset({"text", "markdown"})
"""Formats whose heading path starts with the title already (the plain reader's title
is the heading path's root: a kicker › headline, or a top-level Markdown heading)."""

MAX_ITEM_CHARS = 300
"""A longer list item is split into sentences."""

_KINDS = {"paragraph": "sentence", "caption": "sentence", "item": "bullet"}
"""Unit kind by block kind where they differ."""


def units_of(doc_id: int, doc: Document | str) -> list[Unit]:
    """Cut a document into citable units, in reading order (a str is read as plain text)."""
    if isinstance(doc, str):
        doc = read_text(doc)
    text = doc.text
    root = () if doc.format in PLAIN_FORMATS else (doc.title,)
    units: list[Unit] = []
    for block_no, b in enumerate(doc.blocks):
        if b.kind in ("title", "heading"):
            continue
        if b.kind in ("reference", "meta"):
            spans = split_long(text, b.start, b.end, limit=600)
        elif b.kind == "row" or (b.kind == "item" and b.end - b.start <= MAX_ITEM_CHARS):
            spans = [(b.start, b.end)]
        else:
            spans = sentence_spans(text, b.start, b.end)
        kind = _KINDS.get(b.kind, b.kind)
        section = root + b.section
        for s, e in spans:
            if _has_words(text, s, e):
                page = doc.page_at(s)
                last = doc.page_at(e - 1)
                units.append(Unit(doc_id, s, e, text[s:e], section, kind, block_no, page, last, b.table, b.context))
    return units


_ALNUM = re.compile(r"[^\W_]")  # exactly str.isalnum, searched in C


def _has_words(text: str, s: int, e: int) -> bool:
    """At least two letters or digits between s and e."""
    m = _ALNUM.search(text, s, e)
    return m is not None and _ALNUM.search(text, m.end(), e) is not None


def section_label(unit: Unit) -> str:
    """The heading path shown with a citation, without the document title; a table
    row or caption ends with its table ("Results › Table 2")."""
    inner = unit.section[1:] if len(unit.section) > 1 else unit.section
    parts = [p for p in inner if p]
    if unit.table and (not parts or parts[-1] != unit.table):
        parts.append(unit.table)
    return " › ".join(parts)
