"""Fixtures for the reader tests: the files in fixtures/ (made by make_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.reading.document import KINDS, Document

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def check_document(doc: Document) -> None:
    """The model's promises: every block is its own exact, trimmed text, in order."""
    prev_end = -1
    for b in doc.blocks:
        text = doc.text[b.start : b.end]
        assert text, b
        assert text == text.strip(), b
        assert b.kind in KINDS, b
        assert b.start > prev_end, "blocks overlap or are out of order"
        prev_end = b.end
        if b.kind == "row":
            assert b.table and b.context, b
        if doc.format == "pdf":
            assert b.page is not None and 1 <= b.page <= len(doc.page_starts), b
    assert doc.page_starts == sorted(doc.page_starts)
    assert doc.joins == sorted(doc.joins)
    assert all(0 < j < len(doc.text) for j in doc.joins)


def block_texts(doc: Document, kind: str | None = None) -> list[str]:
    return [doc.text[b.start : b.end] for b in doc.blocks if kind is None or b.kind == kind]


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
