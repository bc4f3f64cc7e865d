"""Bad articles at the index level: each is skipped with a one-line warning naming
it, the other files are still indexed, and the index is whole.

One corpus holds every case at once (encrypted, corrupt, truncated, empty,
page-less and image-only PDFs, a PDF over the page limit and one over the size
limit, an XML bomb, an external-entity XML, HTML that is only scripts) beside
good PDF, JATS, HTML and text files; the readers' own tests are in
tests/reading/test_bad_input.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.cli import main
from qa.config import Settings
from qa.index.corpus_index import load
from qa.index.embed import Embedder
from qa.index.manifest import read_manifest
from qa.index.refresh import open_index
from tests.pdfmaker import make_pdf

FIXTURES = Path(__file__).resolve().parent / "reading" / "fixtures"
SIZE_LIMIT = 100_000  # bytes: the good files are smaller, huge.pdf is not
PAGE_LIMIT = 4

EXPECTED = {
    "locked.pdf": "locked.pdf is protected by a password; qa cannot read encrypted PDFs",
    "corrupt.pdf": "corrupt.pdf is damaged and cannot be read as a PDF",
    "truncated.pdf": "truncated.pdf is truncated or damaged",
    "zero.pdf": "zero.pdf is empty",
    "nopages.pdf": "nopages.pdf has no pages",
    "trial.pdf": "trial.pdf has no text layer; OCR is not supported",
    "long.pdf": f"long.pdf has 6 pages, over the limit of {PAGE_LIMIT} pages for one file (set QA_MAX_PAGES to change it)",
    "huge.pdf": "skipped huge.pdf: 0.2 MB is over the 0.1 MB size limit",
    "bomb.xml": "bomb.xml declares XML entities; such files are refused",
    "xxe.xml": "xxe.xml declares XML entities; such files are refused",
    "scripts.html": "scripts.html has no article text (only scripts, styles or navigation)",
}
GOOD = {"article.pdf", "article.nxml", "page.html", "notes.txt"}


def _corrupt() -> bytes:
    data = bytearray((FIXTURES / "article.pdf").read_bytes())
    data[9:4000] = b"\x00" * (4000 - 9)
    data[-600:-10] = b"#" * 590
    return bytes(data)


@pytest.fixture(scope="module")
def bad_corpus(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("bad-articles")
    corpus = base / "corpus"
    corpus.mkdir()
    for name in ("article.pdf", "article.nxml", "page.html", "bomb.xml", "xxe.xml", "truncated.pdf"):
        shutil.copy(FIXTURES / name, corpus / name)
    shutil.copy(FIXTURES / "encrypted.pdf", corpus / "locked.pdf")
    shutil.copy(FIXTURES / "empty.pdf", corpus / "nopages.pdf")
    shutil.copy(FIXTURES / "image_only.pdf", corpus / "trial.pdf")
    (corpus / "corrupt.pdf").write_bytes(_corrupt())
    (corpus / "zero.pdf").write_bytes(b"")
    (corpus / "long.pdf").write_bytes(make_pdf([[f"Page {k} of the long report."] for k in range(1, 7)]))
    (corpus / "huge.pdf").write_bytes(make_pdf([["A huge file about the huge trial."]], padding=2 * SIZE_LIMIT))
    (corpus / "scripts.html").write_text("<html><head><script>alert(1)</script><style>p{}</style></head>"
                                         "<body><nav>Home</nav><script>steal()</script></body></html>", encoding="utf-8")
    (corpus / "notes.txt").write_text("The notes say the control arm had 7 withdrawals.\n", encoding="utf-8")
    settings = Settings(max_file_bytes=SIZE_LIMIT, max_pages=PAGE_LIMIT)
    messages: list[str] = []
    idx, report = open_index(corpus, base / "index", settings, Embedder(settings.model), progress=messages.append)
    return corpus, base / "index", settings, idx, report


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_bad_article_is_skipped_with_a_one_line_warning(bad_corpus, name: str) -> None:
    *_, idx, report = bad_corpus
    warning = next((w for w in report.warnings if name in w), None)
    assert warning is not None and warning.startswith(EXPECTED[name]), report.warnings
    assert "\n" not in warning and "Traceback" not in warning
    assert name not in {d.path for d in idx.docs}


def test_the_good_articles_are_indexed_and_the_index_is_whole(bad_corpus) -> None:
    corpus, index, settings, idx, _ = bad_corpus
    assert {d.path for d in idx.docs} == GOOD
    manifest = read_manifest(index)
    assert manifest is not None
    load(index, manifest)  # every file checksummed
    assert {s["path"] for s in manifest["skipped"]} == set(EXPECTED)
    # The bad files do not make the index stale: the next open loads it as it is.
    again, report = open_index(corpus, index, settings, lambda: pytest.fail("the model was needed"))
    assert report.action == "loaded" and len(again.units) == len(idx.units)
    assert all(any(name in w for w in report.warnings) for name in EXPECTED)


def test_nothing_is_read_from_outside_the_file(bad_corpus) -> None:
    *_, idx, _ = bad_corpus
    assert not any("root:" in u.text or "ENTITY" in u.text for u in idx.units)


def test_qa_index_warns_in_one_line_per_file_and_succeeds(bad_corpus, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index, *_ = bad_corpus
    monkeypatch.setenv("QA_MAX_FILE_MB", str(SIZE_LIMIT / 1024 / 1024))
    monkeypatch.setenv("QA_MAX_PAGES", str(PAGE_LIMIT))
    assert main(["index", "--corpus", str(corpus), "--index", str(index)]) == 0
    err = capsys.readouterr().err
    assert "warning: trial.pdf has no text layer; OCR is not supported\n" in err
    assert "Traceback" not in err
    for name in EXPECTED:
        assert sum(name in line for line in err.splitlines()) == 1, name


def test_raising_the_page_limit_lets_the_long_pdf_in(bad_corpus, tmp_path: Path) -> None:
    corpus, index, settings, *_ = bad_corpus
    copy = tmp_path / "index"
    shutil.copytree(index, copy, ignore=shutil.ignore_patterns(".lock"))
    idx, report = open_index(corpus, copy, settings.with_(max_pages=10), Embedder(settings.model))
    assert report.reason == "the file size or page limit changed"
    assert "long.pdf" in {d.path for d in idx.docs} and report.embedded_documents == ["long.pdf"]
