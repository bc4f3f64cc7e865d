"""Every format through the engine: PDF, JATS XML, HTML and plain text in one corpus.

Citations quote document_text(doc)[start:end] of the canonical text in every
format, PDF citations carry their page, table rows are cited with their table
and found through their headers, label lines are headings and never quoted,
`qa show` prints exactly what a citation quotes, and a refresh reads again
only the files that changed (a PDF among them).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.answering.engine import Engine
from qa.cli import main
from qa.config import Settings
from tests.pdfmaker import make_pdf

FIXTURES = Path(__file__).resolve().parent / "reading" / "fixtures"

EI_STYLE = "TITLE: \n" + """Warm packs after knee surgery: a randomised trial

ABSTRACT.BACKGROUND:
Pain after knee replacement delays recovery.
ABSTRACT.RESULTS:
Warm packs reduced pain scores at day 3.
BODY.RESULTS.PRIMARY OUTCOME:
Significantly more warm-pack than control group patients walked unaided at day 5 (41 of 60 vs 22 of 60).
Results:
The secondary outcomes are in Table 2.
Table 2Secondary outcomes at day 5
Outcome
Warm packs
Control
P
Analgesic use, mg
12.5 (3.1)
19.8 (4.0)
0.002
Hospital stay, days
4.1 (1.2)
4.3 (1.5)
0.41
"""

QUESTIONS = [
    "How many patients had an overall response with bortezomib?",
    "What was the change in HbA1c with liraglutide?",
    "How many patients walked unaided at day 5?",
    "What was the hospital stay with warm packs?",
    "How many adults were randomised to liraglutide?",
    "What was the primary outcome?",
]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Engine]:
    base = tmp_path_factory.mktemp("formats")
    corpus = base / "corpus"
    corpus.mkdir()
    for name in ("article.pdf", "article.nxml", "page.html"):
        shutil.copy(FIXTURES / name, corpus / name)
    (corpus / "knee.txt").write_text(EI_STYLE, encoding="utf-8")
    engine = Engine(corpus, base / "index", Settings())
    report = engine.open()
    assert report.documents == 4, report.warnings
    return corpus, base / "index", engine


def test_citations_in_every_format_quote_the_canonical_text(mixed) -> None:
    _, _, engine = mixed
    seen = set()
    for ans in engine.ask_many(QUESTIONS, k=10):
        for c in ans.citations:
            doc = engine.document(c.doc)
            assert doc.text[c.start : c.end] == c.text == engine.document_text(c.doc)[c.start : c.end]
            if c.doc.endswith(".pdf"):
                assert c.page is not None and doc.page_at(c.start) == c.page
                assert c.to_json()["page"] == c.page
            else:
                assert c.page is None and c.to_json()["page"] is None
            seen.add(c.doc.rsplit(".", 1)[1])
    assert seen == {"pdf", "nxml", "html", "txt"}
    formats = {d.path: d.format for d in engine.index.docs}
    assert formats == {"article.pdf": "pdf", "article.nxml": "jats", "page.html": "html", "knee.txt": "text"}


def test_every_unit_is_its_documents_text(mixed) -> None:
    _, _, engine = mixed
    idx = engine.index
    for i, info in enumerate(idx.docs):
        text = engine.document_text(i)
        a, b = idx.doc_unit_ranges[i]
        for u in idx.units[a:b]:
            assert text[u.start : u.end] == u.text
            assert (u.page is not None) == (info.format == "pdf")
    pdf = next(i for i, d in enumerate(idx.docs) if d.format == "pdf")
    pages = {u.page for u in idx.units[slice(*idx.doc_unit_ranges[pdf])]}
    assert pages == {1, 2, 3}


def test_a_table_row_is_cited_with_its_table_and_found_by_its_headers(mixed) -> None:
    _, _, engine = mixed
    ans = engine.ask("How many patients had an overall response with bortezomib?", k=3)
    top = ans.citations[0]
    assert top.doc == "article.nxml" and top.text == "Overall response, n (%) | 32 (53) | 12 (20)"
    assert top.table == "Table 1" and top.section.endswith("Table 1")
    unit = engine.index.units[top.units[0]]
    assert unit.kind == "row" and "Bortezomib (n = 60)" in unit.context  # searched with its headers
    assert "Bortezomib (n = 60)" not in top.text  # but never quoted
    ans = engine.ask("What was the hospital stay with warm packs?", k=3)
    top = ans.citations[0]
    assert top.doc == "knee.txt" and top.text == "Hospital stay, days\n4.1 (1.2)\n4.3 (1.5)\n0.41"
    assert top.table == "Table 2" and top.section.endswith("Table 2")


def test_label_lines_are_headings_never_quoted(mixed) -> None:
    _, _, engine = mixed
    idx = engine.index
    doc = next(i for i, d in enumerate(idx.docs) if d.path == "knee.txt")
    units = idx.units[slice(*idx.doc_unit_ranges[doc])]
    assert not any(":" in u.text.split("\n")[0][-1:] or "BODY." in u.text or "ABSTRACT." in u.text for u in units)
    assert not any(u.text.startswith(("TITLE", "Results:")) for u in units)
    assert idx.docs[doc].title == "Warm packs after knee surgery: a randomised trial"
    ans = engine.ask("How many patients walked unaided at day 5?", k=1)
    c = ans.citations[0]
    assert c.text.startswith("Significantly more warm-pack") and c.section == "Results › Primary outcome"


def test_qa_show_prints_what_a_citation_quotes(mixed, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index, _ = mixed
    assert main(["ask", "--json", "--corpus", str(corpus), "--index", str(index), "-k", "1",
                 "What was the change in HbA1c with liraglutide?"]) == 0
    c = json.loads(capsys.readouterr().out)["citations"][0]
    args = ["show", c["doc"], "--corpus", str(corpus), "--index", str(index)]
    assert main([*args, "--start", str(c["start"]), "--end", str(c["end"])]) == 0
    assert capsys.readouterr().out == c["text"] + "\n"
    assert main([*args, "--json", "--blocks"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["text"][c["start"] : c["end"]] == c["text"]
    assert any(b["start"] <= c["start"] and c["end"] <= b["end"] for b in shown["blocks"])
    assert main(["show", "missing.pdf", "--corpus", str(corpus), "--index", str(index)]) == 1
    assert "No document 'missing.pdf'" in capsys.readouterr().err


def test_the_cli_shows_the_page(mixed, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index, _ = mixed
    assert main(["ask", "--corpus", str(corpus), "--index", str(index), "-k", "5",
                 "What was the change in HbA1c with liraglutide?"]) == 0
    out = capsys.readouterr().out
    pdf_lines = [ln for ln in out.splitlines() if "article.pdf:" in ln]
    assert pdf_lines and all(" · p. " in ln for ln in pdf_lines)
    assert all(" · p. " not in ln for ln in out.splitlines() if "page.html:" in ln)


def test_a_refresh_reads_again_only_the_files_that_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.reading import pdf

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.pdf").write_bytes(make_pdf([["The alpha trial enrolled 40 patients."], ["Twelve of them died."]]))
    (corpus / "b.txt").write_text("The beta trial enrolled 50 patients.\n", encoding="utf-8")
    calls: list[str] = []
    real = pdf.read_pdf

    def counting(data: bytes, name: str, limits=None):  # type: ignore[no-untyped-def]
        calls.append(name)
        return real(data, name, limits)

    monkeypatch.setattr(pdf, "read_pdf", counting)
    engine = Engine(corpus, tmp_path / "index", Settings())
    engine.open()
    assert calls == ["a.pdf"]
    (corpus / "c.txt").write_text("The gamma trial enrolled 60 patients.\n", encoding="utf-8")
    report = engine.open()
    assert report.action == "updated" and report.embedded_documents == ["c.txt"] and calls == ["a.pdf"]
    assert engine.document_text("a.pdf").startswith("The alpha trial")
    (corpus / "a.pdf").write_bytes(make_pdf([["The alpha trial enrolled 41 patients."], ["Twelve of them died."]]))
    report = engine.open()
    assert calls == ["a.pdf", "a.pdf"] and report.embedded_documents == ["a.pdf"]
    ans = engine.ask("How many patients did the alpha trial enroll?", k=1)
    assert ans.citations[0].text == "The alpha trial enrolled 41 patients." and ans.citations[0].page == 1


def test_document_text_survives_its_generation_being_replaced(tmp_path: Path) -> None:
    """A reader whose generation a newer build deleted reads the file again, verified."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.pdf").write_bytes(make_pdf([["The alpha trial enrolled 40 patients."]]))
    engine = Engine(corpus, tmp_path / "index", Settings())
    engine.open()
    shutil.rmtree(tmp_path / "index" / engine.index.manifest["generation"])
    assert engine.document_text("a.pdf") == "The alpha trial enrolled 40 patients."
    (corpus / "a.pdf").write_bytes(make_pdf([["The alpha trial enrolled 41 patients."]]))
    engine._texts.clear()
    from qa.errors import QAError

    with pytest.raises(QAError, match="changed since it was indexed"):
        engine.document_text("a.pdf")
