"""The PDF reader on a typeset two-column article (fixtures/article.pdf)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from qa.reading.document import Document
from qa.reading.pdf import read_pdf
from tests.pdfmaker import make_pdf
from tests.reading import make_fixtures
from tests.reading.conftest import block_texts, check_document, fixture_bytes

TAGS = ("ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT")


@pytest.fixture(scope="module")
def doc() -> Document:
    return read_pdf(fixture_bytes("article.pdf"), "article.pdf")


def test_every_block_is_its_exact_text(doc: Document) -> None:
    check_document(doc)
    assert doc.format == "pdf"


def test_title_and_heading_path(doc: Document) -> None:
    assert doc.title == "Liraglutide versus placebo in adults with type two diabetes"
    assert doc.blocks[0].kind == "title"
    headings = block_texts(doc, "heading")
    assert headings[:4] == ["Introduction", "Methods", "Participants", "Outcomes"]
    bravo = next(b for b in doc.blocks if doc.text[b.start : b.end].startswith("BRAVO"))
    assert bravo.section == ("Methods", "Participants")
    delta = next(b for b in doc.blocks if doc.text[b.start : b.end].startswith("DELTA"))
    assert delta.section == ("Results",)


def test_two_columns_read_in_order(doc: Document) -> None:
    at = [doc.text.find(t) for t in TAGS]
    assert -1 not in at and at == sorted(at)
    for group, count in (("INTRO", 20), ("METH", 24), ("DISC", 24)):
        found = [int(m.group(1)) for m in re.finditer(rf"\b{group}(\d+)\b", doc.text)]
        assert found == list(range(count)), group


def test_running_header_and_page_numbers_dropped(doc: Document) -> None:
    assert "Journal of Reading Tests" not in doc.text
    assert "Tester et al." not in doc.text
    assert not any(re.fullmatch(r"\d+", t) for t in block_texts(doc))


def test_pages(doc: Document) -> None:
    assert len(doc.page_starts) == 3 and doc.page_starts[0] == 0
    for b in doc.blocks:
        if b.kind in ("heading", "title", "reference"):
            assert doc.page_at(b.start) == b.page
    assert {b.page for b in doc.blocks} == {1, 2, 3}
    assert doc.page_at(len(doc.text) - 1) == 3


def test_line_end_hyphens_joined_and_recorded(doc: Document) -> None:
    source_words = set(re.findall(r"[A-Za-z]+", unicodedata.normalize("NFKC", make_fixtures.article_typst())))
    assert doc.joins, "the fixture breaks some words at line ends"
    for j in doc.joins:
        assert doc.text[j - 1].isalpha() and doc.text[j].isalpha()
        start = j
        while start > 0 and doc.text[start - 1].isalpha():
            start -= 1
        end = j
        while end < len(doc.text) and doc.text[end].isalpha():
            end += 1
        assert doc.text[start:end] in source_words


def test_real_compounds_keep_their_hyphen(doc: Document) -> None:
    source = make_fixtures.article_typst()
    assert "placebocontrolled" not in doc.text.lower()
    assert doc.text.lower().count("placebo-controlled") == source.lower().count("placebo-controlled")


def test_ligatures_and_unicode_normalised(doc: Document) -> None:
    assert "ﬁ" not in doc.text and "ﬃ" not in doc.text
    assert "The efficacy of the drug was significant" in doc.text


def test_superscript_markers_kept_apart(doc: Document) -> None:
    assert "multiple myeloma [1] and in diabetes [2,3]. The" in doc.text
    assert "myeloma1" not in doc.text and "diabetes2" not in doc.text


def test_table_rows_with_headers_in_context(doc: Document) -> None:
    rows = [b for b in doc.blocks if b.kind == "row"]
    texts = [doc.text[b.start : b.end].replace("\u2212", "-") for b in rows]
    assert "HbA1c change (%) | -1.2 | -0.1" in texts
    assert "Hypoglycaemia, n (%) | 12 (5.0) | 8 (3.3)" in texts
    body = rows[texts.index("Weight change (kg) | -2.5 | 0.3")]
    assert body.table == "Table 1"
    assert body.context.startswith("Table 1: Primary and secondary outcomes at week 26")
    assert "Outcome | Liraglutide | Placebo" in body.context
    caption = next(b for b in doc.blocks if b.kind == "caption")
    assert doc.text[caption.start : caption.end] == "Table 1. Primary and secondary outcomes at week 26"
    assert body.page == caption.page


def test_table_lines_not_glued_into_prose(doc: Document) -> None:
    for text in block_texts(doc, "paragraph"):
        assert "Withdrawals" not in text and "HbA1c change" not in text


def test_paragraph_goes_on_after_the_table(doc: Document) -> None:
    echo = next(t for t in block_texts(doc, "paragraph") if "ECHO" in t)
    assert echo.startswith("ECHO After the table the text goes on.")


def test_references(doc: Document) -> None:
    refs = block_texts(doc, "reference")
    assert refs == [
        "1. Smith J. Liraglutide in type two diabetes. Lancet. 2001;357:1–10.",
        "2. Jones K, Brown L. Placebo-controlled trials. BMJ. 2005;330:20–25.",
        "3. Lee M. Hypoglycaemia in practice. Diabetes Care. 2010;33:5–9.",
    ]
    assert all(b.section == ("References",) for b in doc.blocks if b.kind == "reference")


def test_a_title_broken_over_two_lines_is_joined_as_text_is() -> None:
    data = make_pdf([["Patients were randomised to one of two regimens.", "The six-dose regimen was well tolerated."]],
                    title=["Malaria transmission after a six-dose regi-", "men of co-artemether"])
    doc = read_pdf(data, "title.pdf")
    check_document(doc)
    assert doc.title == "Malaria transmission after a six-dose regimen of co-artemether"


def _reference_pdf(refs: list[list[tuple[float, str]]], caption: str | None = None) -> Document:
    body: list[str | list[tuple[float, str]]] = [
        "# Methods", "Patients were randomised to zinc or placebo for ten days.", "# References",
        "1. Smith J, Jones K. Zinc for diarrhoea in children. Lancet. 2001;357:1-10.",
        *([caption] if caption else []), *refs]
    doc = read_pdf(make_pdf([body], title=["Zinc for diarrhoea: a randomised trial"]), "refs.pdf")
    check_document(doc)
    return doc


# Reference entries whose journal details stand apart, as the columns of a typeset list do.
REFS = [[(72, "2. LeeMBrownLOral rehydration in practice"), (330, "BMJ20053302025")],
        [(72, "3. KhanAZinc and growth in infants"), (330, "Pediatrics2010125e1")],
        [(72, "4. PatelRDiarrhoea in South Asia"), (330, "Trop Med2012174455")],
        [(72, "5. OkaforCZinc trials in Nigeria"), (330, "Afr J Med2014113540")]]


def test_reference_entries_set_in_columns_are_references_not_a_table() -> None:
    doc = _reference_pdf(REFS)
    assert not [b for b in doc.blocks if b.kind in ("row", "caption")]
    refs = block_texts(doc, "reference")
    assert len(refs) == 5 and refs[1].startswith("2. LeeMBrownL")
    assert all(b.section == ("References",) for b in doc.blocks if b.kind == "reference")


def test_a_captioned_table_after_the_references_is_still_a_table() -> None:
    doc = _reference_pdf(REFS, caption="Table 1. Baseline characteristics")
    assert block_texts(doc, "caption") == ["Table 1. Baseline characteristics"]
    assert len(block_texts(doc, "row")) == 4


@pytest.fixture(scope="module")
def single() -> Document:
    return read_pdf(fixture_bytes("single.pdf"), "single.pdf")


def test_single_column_report(single: Document) -> None:
    check_document(single)
    assert single.title == "A single-column report of a trial"
    paragraphs = block_texts(single, "paragraph")
    assert "Asthma is common in children. Inhaled steroids reduce attacks [1]." in paragraphs
    assert "To compare budesonide with placebo." in paragraphs
    assert block_texts(single, "item") == ["first bullet point about dosing", "second bullet point about adherence"]
    design = next(b for b in single.blocks if single.text[b.start : b.end].startswith("This was a double-blind"))
    assert design.section == ("2 Methods", "2.1 Design")
    objective = next(b for b in single.blocks if single.text[b.start : b.end].startswith("To compare"))
    assert objective.section == ("Objective",)
    assert "Page 1" not in single.text


def test_table_without_cell_borders(single: Document) -> None:
    rows = [b for b in single.blocks if b.kind == "row"]
    assert [single.text[b.start : b.end] for b in rows] == [
        "Outcome | Budesonide | Placebo", "Attacks per year | 1.2 | 2.4", "School days missed | 3.1 | 5.6",
        "Hospital admissions | 2 | 7"]
    assert rows[1].context == "Table 1: Outcomes after one year — Outcome | Budesonide | Placebo"


def test_a_page_without_text_is_a_warning_not_an_error() -> None:
    import io

    import pypdfium2

    merged = pypdfium2.PdfDocument(fixture_bytes("single.pdf"))
    merged.import_pages(pypdfium2.PdfDocument(fixture_bytes("image_only.pdf")))
    buf = io.BytesIO()
    merged.save(buf)
    doc = read_pdf(buf.getvalue(), "mixed.pdf")
    check_document(doc)
    assert doc.warnings == ["mixed.pdf: page 2 has no text layer (a scan or a figure); OCR is not supported"]
    assert len(doc.page_starts) == 2 and doc.page_starts[1] == len(doc.text)
