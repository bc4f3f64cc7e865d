"""Bad input: every case is a ReadError with a message for a person, never a traceback."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.reading.document import ReadError, ReadLimits
from qa.reading.html import read_html
from qa.reading.jats import read_jats
from qa.reading.pdf import read_pdf
from tests.reading.conftest import check_document, fixture_bytes


def _refused(reader, data: bytes, name: str, *, limits: ReadLimits | None = None) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ReadError) as info:
        reader(data, name, limits) if limits else reader(data, name)
    message = str(info.value)
    assert name in message and "Traceback" not in message
    assert isinstance(info.value, QAError)
    return message


def test_encrypted_pdf() -> None:
    assert "password" in _refused(read_pdf, fixture_bytes("encrypted.pdf"), "encrypted.pdf")


def test_truncated_pdf() -> None:
    assert "truncated" in _refused(read_pdf, fixture_bytes("truncated.pdf"), "truncated.pdf")


def test_corrupt_pdf() -> None:
    data = bytearray(fixture_bytes("article.pdf"))
    data[9:4000] = b"\x00" * (4000 - 9)
    data[-600:-10] = b"#" * 590
    _refused(read_pdf, bytes(data), "corrupt.pdf")


def test_not_a_pdf() -> None:
    assert "not a PDF" in _refused(read_pdf, b"<html>hello</html>", "fake.pdf")
    assert "is empty" in _refused(read_pdf, b"", "nothing.pdf")


def test_pdf_without_pages() -> None:
    assert _refused(read_pdf, fixture_bytes("empty.pdf"), "empty.pdf") == "empty.pdf has no pages"


def test_image_only_pdf() -> None:
    message = _refused(read_pdf, fixture_bytes("image_only.pdf"), "trial.pdf")
    assert message.splitlines()[0] == "trial.pdf has no text layer; OCR is not supported"


def test_pdf_over_the_page_limit() -> None:
    message = _refused(read_pdf, fixture_bytes("article.pdf"), "article.pdf", limits=ReadLimits(max_pages=2))
    assert "3 pages" in message and "limit of 2 pages" in message


@pytest.mark.parametrize("reader,name", [(read_pdf, "article.pdf"), (read_jats, "article.nxml"), (read_html, "page.html")])
def test_files_over_the_size_limit(reader, name: str) -> None:  # type: ignore[no-untyped-def]
    assert "limit" in _refused(reader, fixture_bytes(name), name, limits=ReadLimits(max_bytes=1000))


def test_damaged_pdfs_never_raise_anything_else() -> None:
    """Bytes damaged at random: a document that keeps its promises, or a ReadError."""
    good = fixture_bytes("article.pdf")
    rng = random.Random(13)
    for i in range(12):
        data = bytearray(good)
        for _ in range(rng.randint(1, 40)):
            at = rng.randrange(len(data))
            data[at : at + rng.randint(1, 64)] = bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
        try:
            check_document(read_pdf(bytes(data), f"damaged{i}.pdf"))
        except ReadError:
            pass


def test_xml_bomb_refused_quickly() -> None:
    t0 = time.perf_counter()
    assert "entities" in _refused(read_jats, fixture_bytes("bomb.xml"), "bomb.xml")
    assert time.perf_counter() - t0 < 2


def test_external_entity_refused(tmp_path: Path) -> None:
    assert "entities" in _refused(read_jats, fixture_bytes("xxe.xml"), "xxe.xml")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711", encoding="utf-8")
    for doc in (
        f'<!DOCTYPE a [<!ENTITY s SYSTEM "{secret.as_uri()}">]><article><body><p>&s;</p></body></article>',
        f'<!DOCTYPE a [<!ENTITY % p SYSTEM "{secret.as_uri()}"> %p;]><article><body><p>x</p></body></article>',
    ):
        message = _refused(read_jats, doc.encode(), "leak.xml")
        assert "TOP-SECRET" not in message
    doc16 = f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY s SYSTEM "{secret.as_uri()}">]><article/>'
    assert "TOP-SECRET" not in _refused(read_jats, doc16.encode("utf-16"), "leak16.xml")


def test_external_dtd_never_loaded() -> None:
    doc = read_jats(fixture_bytes("external_dtd.xml"), "external_dtd.xml")
    assert "root:" not in doc.text
    assert doc.text == "External DTD only\n\nThe body text\u00a0stays.".replace("\u00a0", " ")


def test_malformed_and_foreign_xml() -> None:
    assert "not well-formed" in _refused(read_jats, b"<article><body><p>open", "broken.xml")
    assert "not a JATS article" in _refused(read_jats, b"<svg><text>hi</text></svg>", "drawing.xml")
    _refused(read_jats, b"", "empty.xml")


def test_empty_html() -> None:
    assert "empty" in _refused(read_html, b"   ", "blank.html")


def test_a_reader_bug_is_a_read_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The safety net: an unexpected exception inside a reader is reported for the file."""
    from qa.reading import pdf

    def broken(*args: object) -> None:
        raise IndexError("a bug")

    monkeypatch.setattr(pdf, "assemble", broken)
    message = _refused(read_pdf, fixture_bytes("article.pdf"), "article.pdf")
    assert "could not be read" in message and "IndexError" in message


def test_an_error_left_over_from_an_encrypted_pdf_is_not_reported_for_the_next() -> None:
    """PDFium keeps its last error code; a page-less file read after an encrypted one is not 'protected'."""
    _refused(read_pdf, fixture_bytes("encrypted.pdf"), "encrypted.pdf")
    assert _refused(read_pdf, fixture_bytes("empty.pdf"), "empty.pdf") == "empty.pdf has no pages"
    _refused(read_pdf, fixture_bytes("encrypted.pdf"), "encrypted.pdf")
    assert "truncated" in _refused(read_pdf, fixture_bytes("truncated.pdf"), "truncated.pdf")
