"""The JATS reader on fixtures/article.nxml."""

from __future__ import annotations

import pytest

from qa.reading.document import Document
from qa.reading.jats import read_jats
from tests.reading.conftest import block_texts, check_document, fixture_bytes


@pytest.fixture(scope="module")
def doc() -> Document:
    return read_jats(fixture_bytes("article.nxml"), "article.nxml")


def test_every_block_is_its_exact_text(doc: Document) -> None:
    check_document(doc)
    assert doc.format == "jats"
    assert doc.page_starts == [] and doc.page_at(0) is None


def test_title_and_abstract_sections(doc: Document) -> None:
    assert doc.title == "Bortezomib in multiple myeloma: a randomised trial"
    assert doc.blocks[0].kind == "title"
    methods = next(b for b in doc.blocks if doc.text[b.start : b.end].startswith("We randomised 120"))
    assert methods.section == ("Abstract", "Methods")


def test_nested_sections_with_labels(doc: Document) -> None:
    item = next(b for b in doc.blocks if b.kind == "item")
    assert item.section == ("Methods", "2.1 Participants")
    assert "2.1 Participants" in block_texts(doc, "heading")


def test_xref_markers_not_glued(doc: Document) -> None:
    assert "Myeloma is a cancer of plasma cells [1]." in doc.text
    assert "Treatment of myeloma [1] has improved, as shown before [2, 3]." in doc.text
    assert "myeloma1" not in doc.text


def test_inline_formatting_keeps_spaces(doc: Document) -> None:
    assert "Bortezomib in multiple myeloma" in doc.text
    assert "in H2O and in vitro findings agreed." in doc.text
    assert "The outcomes are in Table 1 and Figure 1." in doc.text


def test_footnotes_dropped(doc: Document) -> None:
    assert "clutter" not in doc.text
    assert "Conflicts" not in doc.text


def test_list_items_split_the_paragraph(doc: Document) -> None:
    texts = block_texts(doc)
    at = texts.index("Eligible patients had:")
    assert texts[at : at + 4] == ["Eligible patients had:", "measurable disease", "adequate renal function",
                                  "and gave consent."]
    assert [b.kind for b in doc.blocks if doc.text[b.start : b.end] in texts[at + 1 : at + 3]] == ["item", "item"]


def test_table_rows_headers_and_spans(doc: Document) -> None:
    rows = [b for b in doc.blocks if b.kind == "row"]
    texts = [doc.text[b.start : b.end] for b in rows]
    assert texts[0] == "Outcome | Bortezomib (n = 60) | Placebo (n = 60)"
    assert "Overall response, n (%) | 32 (53) | 12 (20)" in texts
    # A cell spanning two rows is read in both.
    assert "Adverse events | Grade 3: 10 | Grade 3: 4" in texts
    assert "Adverse events | Grade 4: 2 | Grade 4: 1" in texts
    response = rows[texts.index("Overall response, n (%) | 32 (53) | 12 (20)")]
    assert response.table == "Table 1"
    assert response.context == "Table 1: Outcomes at 12 weeks — Outcome | Bortezomib (n = 60) | Placebo (n = 60)"
    assert response.section == ("Results",)
    deaths = rows[texts.index("Deaths | 1 | 2")]
    assert deaths.context.endswith("— Safety population")  # the sub-heading row above it


def test_table_caption_and_footnote(doc: Document) -> None:
    caption = next(b for b in doc.blocks if b.kind == "caption" and b.table == "Table 1")
    assert doc.text[caption.start : caption.end] == "Table 1. Outcomes at 12 weeks"
    assert "Values are numbers of patients." in block_texts(doc, "paragraph")


def test_figure_caption(doc: Document) -> None:
    assert "Figure 1. Trial profile. Patients screened and randomised." in block_texts(doc, "caption")


def test_references(doc: Document) -> None:
    assert block_texts(doc, "reference") == [
        "1. Smith J, Jones K. Myeloma today. Lancet. 2001;357:1–10.",
        "2. Lee M. Bortezomib. BMJ. 2005;330:20.",
        "3. Brown L. Placebo. Blood. 2010.",
    ]
    assert all(b.section == ("References",) for b in doc.blocks if b.kind == "reference")
    assert "We thank the patients." in block_texts(doc, "paragraph")


FUNDED = b"""<article><front><article-meta><title-group><article-title>A funded trial</article-title></title-group>
<funding-group><award-group><funding-source>Medical Research Council</funding-source><award-id>MR/123</award-id></award-group>
<award-group><funding-source>Wellcome Trust</funding-source></award-group></funding-group>
<author-notes><fn fn-type="conflict"><p>The authors declare no competing interests.</p></fn>
<fn fn-type="financial-disclosure"><p>The funders had no role in study design.</p></fn></author-notes>
</article-meta></front><body><sec><title>Results</title><p>Mortality fell by a third.</p></sec></body>
<back><ack><p>We thank the nurses. The funders had no role in study design.</p></ack></back></article>"""


def test_funding_and_competing_interests_close_the_document() -> None:
    doc = read_jats(FUNDED, "funded.nxml")
    check_document(doc)
    tail = [(b.kind, b.section, doc.text[b.start : b.end]) for b in doc.blocks][-5:]
    assert tail == [
        ("heading", ("Funding",), "Funding"),
        ("item", ("Funding",), "Medical Research Council (MR/123)"),
        ("item", ("Funding",), "Wellcome Trust"),
        # the disclosure the acknowledgements already hold is not said twice
        ("heading", ("Competing interests",), "Competing interests"),
        ("paragraph", ("Competing interests",), "The authors declare no competing interests."),
    ]
