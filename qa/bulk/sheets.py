"""The grid as an Excel workbook: the table on one sheet, every cell's quote on another.

openpyxl is imported only here, when an xlsx file is written. Low-confidence
cells are filled amber and carry a comment; cells qa found no answer to say
"not found" in grey. Spreadsheet cells cannot hold control characters, so they
show as visible stand-ins (qa.safe.printable); every other character of a quote
is as in the document (the .cells.jsonl journal has the exact text).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from qa.bulk.grid import LOW_CONFIDENCE, QUOTE_COLUMNS, GridQuestion, cell_value, is_low, key_of, quote_row
from qa.errors import QAError
from qa.safe import printable

NOT_FOUND_TEXT = "not found"
LOW_FILL = "FFF2CC"
"""Amber: check this cell."""
HEADER_FILL = "DDEBF7"


def _text(v: object) -> object:
    return printable(v) if isinstance(v, str) else v


def xlsx_bytes(docs: Sequence[str], questions: Sequence[GridQuestion], records: Mapping[str, dict[str, Any]]) -> bytes:
    """The workbook's bytes: sheet "Grid" (a row per document, a column per question)
    and sheet "Quotes" (a row per cell)."""
    try:
        from openpyxl import Workbook
        from openpyxl.comments import Comment
        from openpyxl.styles import Alignment, Font, PatternFill
    except ImportError:
        raise QAError("Writing .xlsx needs openpyxl, which is not installed.",
                      hint="pip install openpyxl, or write the grid as .csv or .md.") from None
    wb = Workbook()
    grid = wb.active
    grid.title = "Grid"
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor=HEADER_FILL)
    low_fill = PatternFill("solid", fgColor=LOW_FILL)
    grey = Font(color="808080", italic=True)
    top = Alignment(wrap_text=True, vertical="top")
    grid.append(["document", *(printable(q.id) for q in questions)])
    for col, q in enumerate(questions, 2):
        grid.cell(1, col).comment = Comment(printable(q.question), "qa")
    for cell in grid[1]:
        cell.font, cell.fill = bold, head_fill
    for row, doc in enumerate(docs, 2):
        grid.cell(row, 1, printable(doc)).alignment = top
        for col, q in enumerate(questions, 2):
            rec = records.get(key_of(doc, q.id))
            cell = grid.cell(row, col)
            cell.alignment = top
            if rec is None:
                continue
            if rec["abstained"]:
                cell.value, cell.font = NOT_FOUND_TEXT, grey
                continue
            cell.value = printable(cell_value(rec))
            if is_low(rec):
                cell.fill = low_fill
                cell.comment = Comment(
                    f"Low confidence ({rec['confidence']:.2f}, below {LOW_CONFIDENCE}): check the quote on the Quotes sheet.", "qa"
                )
    grid.freeze_panes = "B2"
    grid.column_dimensions["A"].width = 28
    for col in range(2, len(questions) + 2):
        grid.column_dimensions[grid.cell(1, col).column_letter].width = 40

    quotes = wb.create_sheet("Quotes")
    quotes.append(list(QUOTE_COLUMNS))
    for cell in quotes[1]:
        cell.font, cell.fill = bold, head_fill
    for doc in docs:
        for q in questions:
            rec = records.get(key_of(doc, q.id))
            if rec is not None:
                quotes.append([_text(v) for v in quote_row(rec)])
    quotes.freeze_panes = "A2"
    for letter, width in (("A", 24), ("C", 40), ("D", 30), ("I", 80), ("O", 30)):
        quotes.column_dimensions[letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
