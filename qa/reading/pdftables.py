"""Tables in a PDF page: runs of lines whose fragments stand in aligned columns.

Within one flow (a column, or the full width), a table is a run of lines that
are made of two or more fragments (cells apart by wide gaps), with at most a
few single-fragment lines among them (a wrapped cell, a group label), and no
prose line. Its columns are where the cells of its fullest lines lie; each
fragment goes to the column it overlaps (a header over several columns spans
them). Lines become rows: where rows are padded, a line closer to the one
above than the padding is a wrapped continuation of that row; otherwise a line
without a first cell, or a first cell starting lower-case, continues the row.
Whatever is not recognised stays as lines, so a table is never glued into
prose sentences either way (a line of cells is its own block).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise

from qa.reading.pdflayout import Fragment, Line
from qa.reading.pdfwords import HYPHENS, Word
from qa.reading.tables import Cell, Table, is_numeric

CAPTION = re.compile(r"^(?:(Table|Tab\.|Figure|Fig\.?|Supplementary (?:Table|Figure))\s*(S?\d+[A-Za-z]?|[IVXL]{1,6}\b))(?:\s*[.:|—–-]\s*|\s+(?=[A-Z(]))")
MAX_BRIDGE = 10
CELL_GAP = 0.9
"""A gap between words this many font sizes wide separates cells (justified prose stays under it)."""


def caption_label(line: Line, body_size: float) -> str | None:
    """"Table 2" when the line starts a caption (not a sentence about the table)."""
    text = line.text
    m = CAPTION.match(text)
    if not m:
        return None
    rest = text[m.end():]
    punct = text[m.end(2) : m.end()].strip() != ""
    label_bold = bool(line.words) and line.words[0].bold and not all(w.bold for w in line.words)
    smaller = line.size < body_size - 0.4
    if punct or label_bold or smaller or not rest:
        kind = m.group(1)
        kind = "Figure" if kind.lower().startswith("fig") else "Table" if kind.lower().startswith("tab") else kind
        return f"{kind} {m.group(2)}"
    return None


def _max_gap(line: Line) -> float:
    """The widest gap between words of a line, in font sizes."""
    ws = line.words
    return max(((b.x0 - a.x1) / max(a.size, 1.0) for a, b in pairwise(ws)), default=0.0)


def _numeric_share(line: Line) -> float:
    return line.numeric


def is_cellish(line: Line) -> bool:
    """Cells apart: wide gaps between words, or a line mostly of values."""
    return len(line.frags) >= 2 or _max_gap(line) >= CELL_GAP or (len(line.words) >= 3 and _numeric_share(line) >= 0.5)


def _is_prose(line: Line) -> bool:
    width = max(line.right - line.left, 1.0)
    if len(line.frags) > 1 or len(line.words) < 6 or (line.x1 - line.x0) < 0.6 * width:
        return False
    return _numeric_share(line) < 0.4 and _max_gap(line) < CELL_GAP


def find_regions(lines: list[Line], is_caption: Callable[[Line], bool]) -> list[tuple[int, int]]:
    """[start, end) index ranges of the table-like runs in one flow's lines."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(lines)
    cellish = [is_cellish(ln) for ln in lines]
    while i < n:
        if not cellish[i] or is_caption(lines[i]) or _is_prose(lines[i]):
            i += 1
            continue
        j, multi, bridge, last_multi = i, 0, 0, i
        while j < n:
            ln = lines[j]
            if is_caption(ln) or _is_prose(ln):
                break
            if j > i and lines[j - 1].bottom - ln.top > 3 * ln.size:
                break  # far below: something else
            if cellish[j]:
                multi += 1
                bridge = 0
                last_multi = j
            else:
                # A wrapped cell or a group label: short, and set as tight as the rows.
                bridge += 1
                width = max(ln.right - ln.left, 1.0)
                if bridge > MAX_BRIDGE or (ln.x1 - ln.x0) > 0.6 * width:
                    break
            j += 1
        end = last_multi + 1
        start = i
        if multi >= 3 or (multi >= 2 and _near_caption(lines, start, end, is_caption)):
            start, end = _widen(lines, start, end, out[-1][1] if out else 0, is_caption)
            out.append((start, end))
            i = end
        else:
            i += 1
    return out


def _widen(lines: list[Line], start: int, end: int, floor: int, is_caption: Callable[[Line], bool]) -> tuple[int, int]:
    """Take in the lines just above (header cells set closer than the fragment gap) and
    just below (the wrapped end of the last row) that belong to the table."""
    pitches = [lines[k - 1].bottom - lines[k].bottom for k in range(start + 1, end)]
    small = min((p for p in pitches if p > 0), default=1.3 * lines[start].size)

    def fits(ln: Line) -> bool:
        return not (is_caption(ln) or _is_prose(ln) or ln.text[-1:] in ".;")

    k = start
    while k - 1 >= floor and start - k < MAX_BRIDGE and fits(lines[k - 1]) and \
            lines[k - 1].bottom - lines[k].bottom <= 1.6 * small:
        k -= 1
    j = end
    while j < len(lines) and j - end < MAX_BRIDGE and len(lines[j].frags) == 1 and not is_caption(lines[j]) and \
            not _is_prose(lines[j]) and lines[j - 1].bottom - lines[j].bottom <= 1.15 * small:
        j += 1
    return k, j


def _near_caption(lines: list[Line], start: int, end: int, is_caption: Callable[[Line], bool]) -> bool:
    around = lines[max(0, start - 3) : start] + lines[end : end + 3]
    return any(is_caption(ln) for ln in around)


def _columns(lines: list[Line]) -> list[tuple[float, float]]:
    """Column extents: the union of the words of the table's multi-cell lines, split
    where white runs down through every one of them."""
    spans = sorted((w.x0, w.x1, w.size) for ln in lines if is_cellish(ln) for w in ln.words)
    cols: list[list[float]] = []
    for a, b, size in spans:
        if cols and a <= cols[-1][1] + 0.5 * size:
            cols[-1][1] = max(cols[-1][1], b)
        else:
            cols.append([a, b])
    return [(a, b) for a, b in cols]


def _column_of(w: Word, cols: list[tuple[float, float]]) -> int:
    mid = (w.x0 + w.x1) / 2
    for k, (a, b) in enumerate(cols):
        if mid <= b or k == len(cols) - 1:
            # In a gap: the nearer column.
            if k > 0 and mid < a and (a - mid) > (mid - cols[k - 1][1]):
                return k - 1
            return k
    return len(cols) - 1


def _cells_of(line: Line, cols: list[tuple[float, float]]) -> dict[int, tuple[Fragment, int]]:
    """Column index -> (its words as a fragment, columns it spans)."""
    out: dict[int, tuple[Fragment, int]] = {}
    for w in line.words:
        k = _column_of(w, cols)
        if k in out:
            f = out[k][0]
            f.words.append(w)
            f.x1 = max(f.x1, w.x1)
        else:
            out[k] = (Fragment([w], w.x0, w.x1, w.bottom, w.top, w.size, line.page), 1)
    return out


def build(lines: list[Line], text_of: Callable[[list[Fragment]], str]) -> Table:
    """The table a region's lines hold. `text_of` joins a cell's fragments (one per
    line, top down) into its text, joining words broken at line ends."""
    cols = _columns(lines)
    if len(cols) < 2:
        cols = [(min(ln.x0 for ln in lines), max(ln.x1 for ln in lines))]
    pitches = [lines[k - 1].bottom - lines[k].bottom for k in range(1, len(lines))]
    small = min((p for p in pitches if p > 0.3 * lines[0].size), default=0.0)
    padded = bool(pitches) and max(pitches) > 1.3 * small > 0
    rows: list[dict[int, list[Fragment]]] = []
    spans: list[dict[int, int]] = []
    for k, ln in enumerate(lines):
        cells = _cells_of(ln, cols)
        cont = False
        if rows and k > 0:
            first = cells.get(0)
            prev_first = rows[-1].get(0)
            complete = (first is not None and len(cells) >= 2 and len(rows[-1]) >= 2 and prev_first is not None
                        and first[0].text[:1].isupper() and not prev_first[-1].text.endswith(tuple(HYPHENS)))
            if padded:
                # Lines set tight inside a padded row wrap its cells, unless each is a row of its own.
                cont = pitches[k - 1] <= 1.15 * small and not complete
            else:
                cont = first is None and all(c in rows[-1] for c in cells) or (
                    first is not None and len(cells) == 1 and first[0].text[:1].islower())
        if cont:
            for c, (f, span) in cells.items():
                rows[-1].setdefault(c, []).append(f)
                spans[-1].setdefault(c, span)
        else:
            rows.append({c: [f] for c, (f, _) in cells.items()})
            spans.append({c: span for c, (_, span) in cells.items()})
    table_rows: list[list[Cell]] = []
    for row, row_spans in zip(rows, spans, strict=True):
        out: list[Cell] = []
        c = 0
        while c < len(cols):
            if c in row:
                out.append(Cell(text_of(row[c]), colspan=row_spans.get(c, 1)))
                c += row_spans.get(c, 1)
            else:
                out.append(Cell(""))
                c += 1
        table_rows.append(out)
    head = 0
    for r in table_rows[:3]:
        if any(is_numeric(cell.text) for cell in r[1:] if cell.text) or not any(cell.text for cell in r[1:]):
            break
        head += 1
    if head >= len(table_rows):
        head = 0
    return Table(rows=table_rows, head_rows=head)
