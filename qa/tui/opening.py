"""What opening a citation needs from the engine: the document it quotes, checked.

The chat's citations and the grid's cells open the same way, in a PassagePane:
the canonical text (verified against the index), the document's title and, for
a PDF, where its pages begin. A document that no longer holds the quoted
passage is refused rather than shown with the wrong text highlighted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa.errors import QAError
from qa.models import Citation

if TYPE_CHECKING:
    from qa.answering.engine import Engine


def cited_document(engine: Engine, c: Citation) -> tuple[str, str, list[int]]:
    """The text, title and page starts of the document a citation quotes (QAError if it cannot be shown)."""
    text = engine.document_text(c.doc)
    pages = engine.document(c.doc).page_starts if c.page is not None else []
    if text[c.start : c.end] != c.text:
        raise QAError(f"{c.doc} no longer holds this passage.")
    i = engine.index.doc_ids.get(c.doc)
    title = engine.index.docs[i].title if i is not None else ""
    return text, title or c.doc, pages
