"""Blocks cut into citable units: one sentence, one bullet item, one reference.

A unit's text is always document_text[start:end]; it carries the heading path
it stands under and the block it belongs to, so that adjacent sentences of a
paragraph can be cited together.
"""

from __future__ import annotations

import re

from qa.models import Unit
from qa.reading.plain import blocks
from qa.reading.sentences import sentence_spans, split_long

CHUNKER_VERSION = "4"
"""Bump when unit boundaries or sections change: cached vectors are then stale."""


def units_of(doc_id: int, text: str) -> list[Unit]:
    """Cut a document into citable units, in reading order."""
    units: list[Unit] = []
    for block_no, b in enumerate(blocks(text)):
        if b.kind in ("reference", "meta"):
            spans = split_long(text, b.start, b.end, limit=600)
        elif b.kind == "bullet" and b.end - b.start <= 300:
            spans = [(b.start, b.end)]
        else:
            spans = sentence_spans(text, b.start, b.end)
        kind = "sentence" if b.kind == "paragraph" else b.kind
        for s, e in spans:
            if _has_words(text, s, e):
                units.append(Unit(doc_id, s, e, text[s:e], b.section, kind, block_no))
    return units


_ALNUM = re.compile(r"[^\W_]")  # exactly str.isalnum, searched in C


def _has_words(text: str, s: int, e: int) -> bool:
    """At least two letters or digits between s and e."""
    m = _ALNUM.search(text, s, e)
    return m is not None and _ALNUM.search(text, m.end(), e) is not None


def section_label(unit: Unit) -> str:
    """The heading path shown with a citation, without the document title."""
    inner = unit.section[1:] if len(unit.section) > 1 else unit.section
    return " › ".join(inner)
