"""The document model and the builder every reader lays its blocks out with."""

from __future__ import annotations

from qa.errors import QAError
from qa.reading.document import Block, Builder, ReadError, ReadLimits, squash
from qa.reading.tables import Cell, Table, emit, grid


def test_builder_lays_blocks_out_exactly() -> None:
    b = Builder("pdf")
    b.add("title", "  A title  ", page=1)
    b.add("paragraph", "", page=1)  # nothing: no block
    b.add("heading", "Methods", page=1)
    b.add("paragraph", "We joined words here and went on.", section=("Methods",), page=1, joins=[9],
          pages=[(13, 2)])
    b.add("paragraph", "Page three.", section=("Methods",), page=3)
    doc = b.build(page_count=4)
    assert doc.text == "A title\n\nMethods\n\nWe joined words here and went on.\n\nPage three."
    assert [doc.text[x.start : x.end] for x in doc.blocks] == ["A title", "Methods",
                                                                "We joined words here and went on.", "Page three."]
    assert doc.title == "A title"
    para = doc.blocks[2]
    assert doc.joins == [para.start + 9]
    assert doc.page_starts == [0, para.start + 13, doc.blocks[3].start, len(doc.text)]
    assert doc.page_at(para.start) == 1
    assert doc.page_at(para.start + 13) == 2
    assert doc.page_at(doc.blocks[3].start) == 3
    assert doc.block_at(para.start + 3) == para
    assert doc.block_at(para.end) is None  # the blank line between blocks


def test_page_without_text_shares_the_next_start() -> None:
    b = Builder("pdf")
    b.add("paragraph", "one", page=1)
    b.add("paragraph", "three", page=3)
    doc = b.build(page_count=3)
    assert doc.page_starts[1] == doc.page_starts[2]
    assert doc.page_at(doc.blocks[1].start) == 3


def test_squash() -> None:
    assert squash(" a\u00a0 b\n\tc\u200b\x07 ") == "a b c"


def test_read_error_is_a_qa_error_with_a_hint() -> None:
    err = ReadError("x.pdf has no pages", hint="Try another file.")
    assert isinstance(err, QAError) and str(err) == "x.pdf has no pages\nTry another file."
    assert ReadLimits().max_pages == 500 and ReadLimits().max_bytes == 50 * 1024 * 1024


def test_grid_repeats_row_spans_and_writes_column_spans_once() -> None:
    rows = [[Cell("a", rowspan=2), Cell("b"), Cell("c")], [Cell("d"), Cell("e")], [Cell("f", colspan=2), Cell("g")]]
    assert grid(rows) == [["a", "b", "c"], ["a", "d", "e"], ["f", None, "g"]]


def test_emit_table_rows_with_context() -> None:
    b = Builder("html")
    table = Table(label="", caption="Table 3. Adverse events",
                  rows=[[Cell("Event"), Cell("Drug"), Cell("Placebo")], [Cell("Nausea"), Cell("5"), Cell("2")]])
    emit(b, table, 1, section=("Results",))
    doc = b.build()
    caption, header, row = doc.blocks
    assert doc.text[caption.start : caption.end] == "Table 3. Adverse events" and caption.table == "Table 3"
    assert doc.text[row.start : row.end] == "Nausea | 5 | 2"
    assert row == Block(row.start, row.end, "row", ("Results",), None, "Table 3",
                        "Table 3: Adverse events — Event | Drug | Placebo")
    assert header.kind == "row" and doc.text[header.start : header.end] == "Event | Drug | Placebo"
