"""The HTML reader on fixtures/page.html: an article among scripts, navigation and forms."""

from __future__ import annotations

import pytest

from qa.reading.document import Document
from qa.reading.html import read_html
from tests.reading.conftest import block_texts, check_document, fixture_bytes


@pytest.fixture(scope="module")
def doc() -> Document:
    return read_html(fixture_bytes("page.html"), "page.html")


def test_every_block_is_its_exact_text(doc: Document) -> None:
    check_document(doc)
    assert doc.format == "html"


@pytest.mark.parametrize("clutter", ["Buy now", "Injected", "Not the text", "Styled away", "Home", "Log in",
                                     "Search the site", "Subscribe", "enable JavaScript", "Hidden promotional",
                                     "Also hidden", "Share this article", "Copyright", "Not a heading", "track"])
def test_page_clutter_dropped(doc: Document, clutter: str) -> None:
    assert clutter not in doc.text


def test_title_and_heading_path(doc: Document) -> None:
    assert doc.title == "Liraglutide in type 2 diabetes: a randomised trial"
    assert doc.blocks[0].kind == "title"
    methods = next(b for b in doc.blocks if doc.text[b.start : b.end].startswith("We randomised"))
    assert methods.section == ("Abstract", "Methods")


def test_markers_apart_and_powers_kept(doc: Document) -> None:
    assert "We randomised 120 adults to liraglutide or placebo [1]." in doc.text
    assert "HbA1c fell by 1.2% [2,3] with liraglutide; 109 cells per litre" in doc.text


def test_items_table_caption_references(doc: Document) -> None:
    assert block_texts(doc, "item") == ["Liraglutide was well tolerated.", "No deaths occurred."]
    rows = [b for b in doc.blocks if b.kind == "row"]
    assert [doc.text[b.start : b.end] for b in rows] == [
        "Outcome | Liraglutide | Placebo", "HbA1c (%) | -1.2 | -0.1", "Weight (kg) | -2.5 | 0.3"]
    assert rows[1].table == "Table 2"
    assert rows[1].context == "Table 2: Change from baseline at week 26 — Outcome | Liraglutide | Placebo"
    assert "Figure 1. Flow of participants." in block_texts(doc, "caption")
    assert block_texts(doc, "reference") == ["Smith J. Liraglutide. Lancet. 2001."]


def test_a_page_of_scripts_only_is_refused() -> None:
    from qa.reading.document import ReadError

    page = b"<html><head><script>var a = '<p>x</p>';</script></head><body><script>go()</script><nav>Menu</nav></body></html>"
    with pytest.raises(ReadError, match="no article text"):
        read_html(page, "scripts.html")


def test_loose_caption_and_title_outside_the_text_container() -> None:
    """PubMed Central style: the caption is a div before the table, the h1 outside the sections."""
    page = b"""<html><body><div class="article"><h1>A trial</h1><div class="sec"><h2>Results</h2>
    <p>Text about the results that is long enough to be the article here.</p>
    <div class="table-wrap"><div class="caption"><b>Table 1</b> Baseline data</div>
    <div class="xtable"><table><tr><th>Item</th><th>A</th><th>B</th></tr><tr><td>Age</td><td>50</td><td>52</td></tr>
    </table></div></div><p>More text after the table.</p></div></div></body></html>"""
    doc = read_html(page, "pmc.html")
    check_document(doc)
    assert doc.title == "A trial"
    assert block_texts(doc)[3:6] == ["Table 1. Baseline data", "Item | A | B", "Age | 50 | 52"]
    assert doc.blocks[5].context == "Table 1: Baseline data — Item | A | B"
    assert "More text after the table." in block_texts(doc, "paragraph")


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [
        ("", "utf-8"),  # saved without a declaration: UTF-8 where the bytes are
        ("", "cp1252"),  # ... else the Windows code page, as browsers read it
        ('<meta charset="iso-8859-1">', "latin-1"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=utf-8">', "utf-8"),
    ],
)
def test_the_page_is_read_in_its_encoding(charset: str, encoding: str) -> None:
    sentence = "Since the 1970’s, doses of 12 µg were given." if encoding != "latin-1" else "Doses of 12 µg were given à jeun."
    page = f"<html><head>{charset}</head><body><article><h1>A trial</h1><p>{sentence}</p></article></body></html>"
    doc = read_html(page.encode(encoding), "page.html")
    check_document(doc)
    assert block_texts(doc, "paragraph") == [sentence]
