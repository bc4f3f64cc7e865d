"""Tables flattened into plain text, one cell per line, read back into rows.

Text extracted from articles (the Evidence Inference .txt files, for one) lays
a table out as a "Table N…" caption line and then every cell on a line of its
own, row after row. The row width is not written down, so a table is read
back only where it can be inferred without guessing: the column headers are
the lines before the first value cell except the last (that one is the first
row's label), and from there on every row is that many cells, a label first
and then values, for at least MIN_ROWS rows. A region that does not fit stays
ordinary text. Every row is text[start:end] of the original, newlines and all.

Markdown's pipe tables (a header line, a delimiter line such as `|---|:--:|`,
then a line per row) are read as they are written: a row is quoted from its
first cell to its last, the outer pipes left out, so that its cells stand
between " | " as in every other reader's rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.reading.tables import CELL_SEPARATOR, MAX_CONTEXT_CAPTION, is_numeric

_CAPTION = re.compile(r"(Table\s*(\d{1,3}))(?=\s*[A-Z(:.\s]|$)")
MIN_ROWS = 2
MAX_CELL = 60
"""A value cell is short; a longer line is prose (a footnote) and ends the table."""
MAX_HEADERS = 12
_EMPTY = frozenset({"", "-", "–", "—", "NA", "N/A", "NR", "NS", "ns", "n.s.", "…", "..."})


@dataclass(slots=True)
class PlainTable:
    """A table found in plain text: line indices and the spans of its parts."""

    label: str
    caption: tuple[int, int] | None
    """The caption line's span; None for a pipe table without one."""
    header: tuple[int, int]
    rows: list[tuple[int, int]] = field(default_factory=list)
    base: str = ""
    """Label and caption: the context of the header row."""
    context: str = ""
    """Label, caption and column headers (the context of the other rows), as the markup readers write it."""
    end_line: int = 0
    """The index of the first line after the table."""


def _value(cell: str) -> bool:
    return cell in _EMPTY or (len(cell) <= MAX_CELL and is_numeric(cell))


def _label(cell: str) -> bool:
    return bool(cell) and len(cell) <= MAX_CELL * 2 and not is_numeric(cell) and any(c.isalpha() for c in cell)


def find_table(text: str, lines: list[tuple[int, int]], i: int) -> PlainTable | None:
    """The table whose caption is line i, or None when line i opens none that can be read.

    `lines` are the (start, end) of each line's content, surrounding blanks excluded."""
    s, e = lines[i]
    m = _CAPTION.match(text, s, e)
    if not m:
        return None
    cells = [text[a:b] for a, b in lines[i + 1 : i + 1 + MAX_HEADERS + 2]]
    first_value = next((k for k, c in enumerate(cells) if c and _value(c)), None)
    if first_value is None or first_value < 3:
        return None  # need two headers at least, then the first row's label
    width = first_value - 1
    headers = cells[:width]
    if any(not c or len(c) > MAX_CELL or is_numeric(c) for c in headers):
        return None
    rows: list[tuple[int, int]] = []
    k = i + 1 + width
    while k + width <= len(lines):
        row = [text[a:b] for a, b in lines[k : k + width]]
        if not _label(row[0]) or not all(_value(c) for c in row[1:]) or not any(is_numeric(c) for c in row[1:]):
            break
        rows.append((lines[k][0], lines[k + width - 1][1]))
        k += width
    if len(rows) < MIN_ROWS:
        return None
    label = m.group(1)
    caption = text[m.end() : e].strip(" .:—-")
    shown = caption if len(caption) <= MAX_CONTEXT_CAPTION else caption[:MAX_CONTEXT_CAPTION].rsplit(" ", 1)[0] + "…"
    base = f"{label}: {shown}" if shown else label
    context = f"{base} — {CELL_SEPARATOR.join(headers)}"
    header = (lines[i + 1][0], lines[i + width][1])
    return PlainTable(label, (s, e), header, rows, base, context, k)


_DELIMITER = re.compile(r"\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?")
_PIPE = re.compile(r"(?<!\\)\|")


def _pipe_cells(text: str, start: int, end: int) -> tuple[int, int, list[str]]:
    """A pipe-table line's span without its outer pipes, and its cells (an empty first
    cell, the corner above a column of labels, is kept: "|  | 5 mg |" is two cells)."""
    if text[start] == "|":
        start += 1
    if text[end - 1] == "|" and text[end - 2 : end] != "\\|":
        end -= 1
    cells = [c.strip() for c in _PIPE.split(text[start:end])]
    while start < end and text[start] in " \t":
        start += 1
    while end > start and text[end - 1] in " \t":
        end -= 1
    return start, end, cells


def find_pipe_table(text: str, lines: list[tuple[int, int]], i: int, ordinal: int) -> PlainTable | None:
    """The Markdown pipe table that line i opens, or None. Line i is its header, or a
    caption line ("Table 2. Outcomes") with the header next (a blank line between
    allowed), which gives the table its label; a table without one is "Table {ordinal}",
    as an unlabelled table in HTML is."""
    s, e = lines[i]
    caption: tuple[int, int] | None = None
    label, shown = f"Table {ordinal}", ""
    m = _CAPTION.match(text, s, e)
    if m:
        head = next((j for j in (i + 1, i + 2) if j < len(lines) and lines[j][0] < lines[j][1]), None)
        if head is None:
            return None
        caption, label = (s, e), m.group(1)
        shown = text[m.end() : e].strip(" .:—-*_")
        if len(shown) > MAX_CONTEXT_CAPTION:
            shown = shown[:MAX_CONTEXT_CAPTION].rsplit(" ", 1)[0] + "…"
        s, e = lines[head]
    else:
        head = i
    if head + 1 >= len(lines) or "|" not in text[s:e]:
        return None
    ds, de = lines[head + 1]
    if not _DELIMITER.fullmatch(text, ds, de) or "|" not in text[ds:de]:
        return None
    hs, he, headers = _pipe_cells(text, s, e)
    width = len(_PIPE.split(text[ds:de].strip().strip("|")))
    if len(headers) != width or width < 2:
        return None
    rows: list[tuple[int, int]] = []
    k = head + 2
    while k < len(lines) and lines[k][0] < lines[k][1] and "|" in text[lines[k][0] : lines[k][1]]:
        rs, re_, _ = _pipe_cells(text, *lines[k])
        if rs < re_:
            rows.append((rs, re_))
        k += 1
    if not rows:
        return None
    base = f"{label}: {shown}" if shown else label
    context = f"{base} — {CELL_SEPARATOR.join(h for h in headers if h)}"
    return PlainTable(label, caption, (hs, he), rows, base, context, k)
