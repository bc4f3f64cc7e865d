"""Tables in every format: a caption block and one row block per row.

A row is quoted as its own cells joined by " | "; what makes it intelligible
(the table's label, caption and column headers, and the sub-heading row it sits
under) goes into the row's `context`, which is searched with the row but never
quoted. Readers build a `Table` of cells with their spans (from XHTML markup or
from positioned PDF text) and `emit` lays it out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qa.reading.document import Builder, squash

if TYPE_CHECKING:
    from lxml import etree  # only the markup readers pass elements; plain text never loads lxml

CELL_SEPARATOR = " | "
MAX_SPAN = 50  # a colspan="1000" must not make a million empty cells
MAX_CONTEXT_CAPTION = 300

_NUMERIC = re.compile(r"^[\s\d.,:;%±+\-−–—()\[\]<>=/*†‡§a-zA-Z]{0,3}[\d.,%±+\-−–()\[\]<>=/\s*†‡§]+$")
_LABEL = re.compile(r"^(Table|Tab\.|Supplementary Table|Table S)\s*[\dA-Z]+[.:]?", re.IGNORECASE)


@dataclass(slots=True)
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False


@dataclass(slots=True)
class Table:
    label: str = ""
    caption: str = ""
    rows: list[list[Cell]] = field(default_factory=list)
    head_rows: int = 0
    """How many of the first rows are column headers (0: guess from the cells)."""
    footnotes: list[str] = field(default_factory=list)


def is_numeric(text: str) -> bool:
    """A value cell: "12.5 (3.1)", "<0.001", "45%", "−5.8 ± 19.2"."""
    t = text.strip()
    return bool(t) and any(c.isdigit() for c in t) and bool(_NUMERIC.match(t))


def grid(rows: list[list[Cell]]) -> list[list[str | None]]:
    """Rows as a rectangular grid. A cell spanning rows is repeated in each row it
    covers (a row must be readable alone); a cell spanning columns is written once,
    the columns it also covers hold None."""
    out: list[list[str | None]] = []
    carry: dict[int, tuple[str, int]] = {}  # column -> (text, rows still to fill)
    for row in rows:
        line: list[str | None] = []
        for cell in row:
            _fill_carried(line, carry)
            col = len(line)
            rs = max(1, min(cell.rowspan, MAX_SPAN))
            cs = max(1, min(cell.colspan, MAX_SPAN))
            line.append(cell.text)
            line.extend([None] * (cs - 1))
            if rs > 1:
                for c in range(col, col + cs):
                    carry[c] = (cell.text if c == col else "", rs - 1)
        _fill_carried(line, carry)
        out.append(line)
    width = max((len(r) for r in out), default=0)
    for r in out:
        r.extend([None] * (width - len(r)))
    return out


def _fill_carried(line: list[str | None], carry: dict[int, tuple[str, int]]) -> None:
    """Put the cells spanning down from rows above into the next columns of this row."""
    while len(line) in carry:
        col = len(line)
        text, left = carry[col]
        line.append(text)
        if left <= 1:
            del carry[col]
        else:
            carry[col] = (text, left - 1)


def _looks_like_header(row: list[str | None], body: list[list[str | None]]) -> bool:
    cells = [c for c in row if c]
    if len(cells) < 2 or not body:
        return False
    if any(is_numeric(c) for c in cells[1:]):
        return False
    # Below it, the same columns hold values.
    return any(sum(1 for c in r[1:] if c and is_numeric(c)) >= 1 for r in body[:3])


def column_headers(head: list[list[str | None]], width: int) -> list[str]:
    """One header per column: the texts of the header rows above it, outermost first."""
    cols: list[list[str]] = [[] for _ in range(width)]
    for row in head:
        last = ""
        for j in range(width):
            text = row[j] if j < len(row) else None
            if text is None:
                text = last  # under a header spanning columns
            else:
                last = text
            if text and (not cols[j] or cols[j][-1] != text):
                cols[j].append(text)
    return [" ".join(c) for c in cols]


def row_text(cells: list[str | None]) -> str:
    return CELL_SEPARATOR.join(c for c in cells if c)


def emit(
    builder: Builder,
    table: Table,
    ordinal: int,
    section: tuple[str, ...] = (),
    page: int | None = None,
    row_pages: list[int | None] | None = None,
) -> None:
    """Lay a table out: its caption block, its rows, then its footnotes."""
    label = squash(table.label).rstrip(".:") or _label_from(table.caption) or f"Table {ordinal}"
    caption = squash(table.caption)
    if caption.lower().startswith(label.lower()):
        caption = caption[len(label) :].lstrip(" .:—-")
    cells = grid(table.rows)
    head_n = table.head_rows
    if head_n == 0 and cells and _looks_like_header(cells[0], cells[1:]):
        head_n = 1
    width = len(cells[0]) if cells else 0
    headers = column_headers(cells[:head_n], width)
    shown = caption if len(caption) <= MAX_CONTEXT_CAPTION else caption[:MAX_CONTEXT_CAPTION].rsplit(" ", 1)[0] + "…"
    base = f"{label}: {shown}" if shown else label
    header_line = CELL_SEPARATOR.join(h for h in headers if h)
    context = f"{base} — {header_line}" if header_line else base
    builder.add("caption", f"{label}. {caption}" if caption else label, section=section, page=page, table=label)
    group = ""
    for i, row in enumerate(cells):
        text = row_text(row)
        if not text:
            continue
        rpage = row_pages[i] if row_pages and i < len(row_pages) else page
        if i < head_n:
            builder.add("row", text, section=section, page=rpage, table=label, context=base)
            continue
        filled = [c for c in row if c]
        if width >= 3 and len(filled) == 1 and row[0] and not is_numeric(row[0]):
            group = row[0]  # a sub-heading row ("Adverse events") names the rows below it
            builder.add("row", text, section=section, page=rpage, table=label, context=context)
            continue
        builder.add("row", text, section=section, page=rpage, table=label,
                    context=f"{context} — {group}" if group else context)
    for note in table.footnotes:
        builder.add("paragraph", squash(note), section=section, page=page, table=None)


def _label_from(caption: str) -> str:
    m = _LABEL.match(squash(caption))
    return m.group(0).rstrip(".:") if m else ""


# --- XHTML tables (JATS and HTML share the model) ------------------------------------


def _span(el: etree._Element, attr: str) -> int:
    try:
        return max(1, min(int(str(el.get(attr, "1")).strip() or 1), MAX_SPAN))
    except ValueError:
        return 1


def from_xhtml(table_el: etree._Element, cell_text: Callable[[etree._Element], str], local: Callable[[etree._Element], str]) -> Table:
    """Rows and header rows of an XHTML-model <table> (thead/tbody/tfoot or bare tr)."""
    head: list[list[Cell]] = []
    body: list[list[Cell]] = []
    foot: list[list[Cell]] = []
    for tr in table_el.iter():
        if local(tr) != "tr":
            continue
        # Only rows of this table, not of a table nested in a cell.
        owner = next((a for a in tr.iterancestors() if local(a) == "table"), None)
        if owner is not table_el:
            continue
        parent = local(tr.getparent()) if tr.getparent() is not None else ""
        cells = [
            Cell(cell_text(td), _span(td, "rowspan"), _span(td, "colspan"), local(td) == "th")
            for td in tr
            if local(td) in ("td", "th")
        ]
        if not cells:
            continue
        (head if parent == "thead" else foot if parent == "tfoot" else body).append(cells)
    if not head:
        # No thead: leading rows made only of <th> are the header.
        while body and len(body) > 1 and all(c.header for c in body[0]):
            head.append(body.pop(0))
    return Table(rows=head + body + foot, head_rows=len(head))
