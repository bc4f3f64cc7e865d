"""PDF lines in reading order into the blocks of a Document.

Styles are judged against the body text: the font size that most characters
have. A short line in a larger or bold font is a heading (its size ranks its
level; "2.1 Methods" numbering nests too, and a short numbered line set apart
from the text above is a heading even in the body's font); the largest lines
at the top of page 1 are the title; a bold run opening a paragraph
("Background Malaria is...") is a run-in heading. A paragraph ends at a wider gap between lines, an
indented first line, a short last line of justified text, or a change of
style; it goes on across columns and pages, and a table or figure met on the
way is laid out after it. Table regions (pdftables) become caption and row
blocks, captions "Figure 1." caption blocks, numbered entries after a
"References" heading reference blocks.

How the words of lines join into a block's text (line-end hyphens, reference
markers) is pdftext's.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

from qa.reading import pdftables, tables
from qa.reading.document import Builder, Document
from qa.reading.pdflayout import Fragment, Line
from qa.reading.pdftext import Joiner, Para
from qa.reading.pdfwords import Word, words_text
from qa.reading.tables import Table

_REFERENCES = re.compile(r"^(\d+\.?\s*)?(references?|bibliography|literature cited|works cited)$", re.IGNORECASE)
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+[A-Z]")
_BULLET = re.compile(r"^(?:[•◦▪‣⁃●○■□∙·]|[–—-](?=\s))")
_GLYPH_BULLET = re.compile(r"^[•◦▪‣⁃●○■□∙·](?=\s|$)")
_REF_START = re.compile(r"^(?:\[\d{1,3}\]|\d{1,3}[.)])\s")
_TERMINAL = ".?!:)\"”’"


def _style(line: Line) -> tuple[float, bool]:
    return round(line.size * 2) / 2, line.bold


class _Assembler:
    def __init__(self, lines: list[Line], heights: list[float]) -> None:
        self.lines = lines
        self.heights = heights
        self.out = Builder("pdf")
        sizes: Counter[float] = Counter()
        bold: Counter[bool] = Counter()
        for ln in lines:
            for w in ln.words:
                sizes[round(w.size * 2) / 2] += len(w.text)
                bold[w.bold] += len(w.text)
        self.body = sizes.most_common(1)[0][0] if sizes else 10.0
        self.body_bold = bool(bold) and bold.most_common(1)[0][0]
        self.pitch = self._pitch()
        self.joiner = Joiner(lines)
        self.levels = self._heading_levels()
        self.path: list[tuple[float, str]] = []
        self.para: Para | None = None
        self.pending: list[tuple[Table | str, int]] = []
        self.in_refs = False
        self.tables = 0
        self.last_table: tuple[int, str, str] | None = None
        self._caps: set[int] = set()
        """id() of the lines of the flow being read that start captions."""

    # --- statistics -------------------------------------------------------------------

    def _pitch(self) -> float:
        c: Counter[int] = Counter()
        for a, b in pairwise(self.lines):
            if a.flow == b.flow and abs(a.size - self.body) < 0.3 and abs(b.size - self.body) < 0.3:
                d = a.bottom - b.bottom
                if 0 < d < 3 * self.body:
                    c[round(d * 4)] += 1
        return c.most_common(1)[0][0] / 4 if c else 1.2 * self.body

    def _is_heading_style(self, ln: Line) -> bool:
        size, bold = _style(ln)
        if len(ln.words) > 20 or len(ln.text) > 160 or not any(ch.isalpha() for ch in ln.text):
            return False
        if size >= self.body + 0.8:
            return True
        return bold and not self.body_bold and size >= self.body - 0.6

    def _heading_levels(self) -> dict[tuple[float, bool], int]:
        styles = {_style(ln) for ln in self.lines if self._is_heading_style(ln) and len(ln.frags) == 1}
        ranked = sorted(styles, key=lambda s: (-s[0], not s[1]))
        return {s: i for i, s in enumerate(ranked)}

    # --- text of lines ----------------------------------------------------------------

    def cell_text(self, frags: list[Fragment]) -> str:
        return self.joiner.cell_text(frags)

    def _append(self, p: Para, words: list[Word], page: int) -> None:
        self.joiner.append(p, words, page)

    # --- paragraphs -------------------------------------------------------------------

    def section(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.path)

    def close(self) -> None:
        p, self.para = self.para, None
        if p is not None:
            self.out.add(p.kind, p.text(), section=p.section, page=p.page, joins=p.joins, pages=p.pages)
        for obj, page in self.pending:
            self._emit_float(obj, page)
        self.pending.clear()

    def _breaks(self, a: Line, b: Line) -> bool:
        if abs(a.size - b.size) > 0.6 or a.bold != b.bold:
            return True
        if self.in_refs and _REF_START.match(b.text):
            return True
        ends = _last_char(a) in _TERMINAL
        if _GLYPH_BULLET.match(b.text) or (_BULLET.match(b.text) and (ends or a.text.endswith(";"))):
            return True
        if ends and self._run_in(b):
            return True  # "Objective: ..." opens its own paragraph
        short = a.x1 < a.right - 2.5 * a.size
        if a.flow != b.flow or a.page != b.page:
            return ends and short
        gap = a.bottom - b.bottom
        if gap > 1.45 * max(self.pitch, a.size) or gap < 0:
            return True
        if b.x0 > b.left + 0.8 * b.size and a.x0 <= a.left + 0.5 * a.size and not self.in_refs:
            return True  # an indented first line
        return ends and short

    def prose(self, ln: Line) -> None:
        p = self.para
        if p is not None and p.last is not None and not self._breaks(p.last, ln):
            self._append(p, ln.words, ln.page)
            p.last = ln
            return
        self.close()
        kind = "reference" if self.in_refs else "item" if _BULLET.match(ln.text) else "paragraph"
        words = ln.words
        if kind == "item" and len(words) > 1 and _GLYPH_BULLET.fullmatch(words[0].text):
            words = words[1:]  # the bullet is layout, not text
        run_in = self._run_in(ln)
        if run_in:
            self.heading(words_text(words[:run_in]), (0.0, True), run_in=True)
            words = words[run_in:]
        self.para = Para(kind, ln.page, self.section())
        self._append(self.para, words, ln.page)
        self.para.last = ln

    def _run_in(self, ln: Line) -> int:
        """How many words open the line in bold before regular text (0: none)."""
        if self.body_bold or self.in_refs or not ln.words[0].bold:
            return 0
        k = 0
        while k < len(ln.words) and ln.words[k].bold:
            k += 1
        if k == len(ln.words) or k > 8 or ln.words[k - 1].text.endswith(","):
            return 0
        return k

    # --- headings and floats ----------------------------------------------------------

    def _numbered_heading(self, lines: list[Line], i: int) -> bool:
        """A short numbered line in the body's style ("2.1 Study design"), set apart from
        the text above it: a heading where the typesetter gave headings no font of their own."""
        ln = lines[i]
        if self.in_refs or not _NUMBERED.match(ln.text) or len(ln.words) > 8 or _last_char(ln) in _TERMINAL:
            return False
        if ln.x1 >= ln.right - 4 * ln.size or len(ln.frags) > 1:
            return False
        above = lines[i - 1] if i > 0 else None
        return above is None or above.page != ln.page or above.bottom - ln.bottom > 1.3 * max(self.pitch, ln.size)

    def heading(self, text: str, style: tuple[float, bool], run_in: bool = False,
                joins: list[int] | None = None) -> None:
        self.close()
        text = text.strip().rstrip(":.").rstrip() if run_in else text.strip()
        if not text:
            return
        level = float(len(self.levels) + 1) if run_in else float(self.levels.get(style, len(self.levels)))
        num = _NUMBERED.match(text)
        if num and not run_in:
            level += 0.1 * num.group(1).count(".")  # "2.1" under "2" when both look the same
        while self.path and self.path[-1][0] >= level:
            self.path.pop()
        self.out.add("heading", text, section=self.section(), page=self._page, joins=joins or ())
        self.path.append((level, text))
        self.in_refs = bool(_REFERENCES.match(text))

    def float_(self, obj: Table | str, page: int) -> None:
        """A table or a caption met in the flow, laid out after the paragraph it interrupts."""
        p = self.para
        if p is not None and p.text().rstrip()[-1:] not in _TERMINAL:
            self.pending.append((obj, page))  # the paragraph goes on after it
            return
        self.close()
        self._emit_float(obj, page)

    def _emit_float(self, obj: Table | str, page: int) -> None:
        if isinstance(obj, Table):
            self.tables += 1
            tables.emit(self.out, obj, self.tables, section=self.section(), page=page)
        else:
            self.out.add("caption", obj, section=self.section(), page=page)

    # --- the walk ---------------------------------------------------------------------

    def run(self, page_count: int) -> Document:
        flows: dict[int, list[Line]] = {}
        for ln in self.lines:
            flows.setdefault(ln.flow, []).append(ln)
        self._title()
        for flow in flows.values():
            self._flow(flow)
        self.close()
        return self.out.build(page_count)

    def _title(self) -> None:
        first = [ln for ln in self.lines if ln.page == 1][:12]
        if not first:
            return
        big = max(ln.size for ln in first)
        if big < self.body * 1.3:
            return
        title = [ln for ln in first if ln.size >= big - 0.5]
        if title and title[0] in self.lines[:6]:
            idx = self.lines.index(title[0])
            run = [ln for ln in self.lines[idx : idx + 5] if ln.size >= big - 0.5]
            self._page = 1
            para = Para("title", 1, ())
            for ln in run:  # joined as every block is: "Regi- men" is one word
                self.joiner.append(para, ln.words, 1)
            self.out.add("title", para.text(), page=1, joins=para.joins)
            for ln in run:
                ln.words, ln.text = [], ""

    _page = 1

    def _flow(self, lines: list[Line]) -> None:
        lines = [ln for ln in lines if ln.words]
        caps = {k for k, ln in enumerate(lines)
                if pdftables.caption_label(ln, self.body) and (k == 0 or self._starts_block(lines[k - 1], ln))}
        self._caps = {id(lines[k]) for k in caps}
        is_cap = self._is_caption
        regions = dict(pdftables.find_regions(lines, is_cap))
        i = 0
        while i < len(lines):
            ln = lines[i]
            self._page = ln.page
            cap, cap_end = self._caption_near(lines, i, regions[i]) if i in regions else (None, i)
            if i in regions and self.in_refs and not cap:
                # Two columns of reference entries line up like a table's cells: under
                # "References" only a region with its own caption is a table.
                del regions[i]
            if i in regions:
                end = regions[i]
                table = pdftables.build(lines[i:end], self.cell_text)
                if cap:
                    table.label, table.caption = cap
                elif self.last_table and self.last_table[0] == ln.flow:
                    table.label, table.caption = self.last_table[1], self.last_table[2]  # the same table goes on
                else:
                    table.label = f"Table (p. {ln.page})"
                self.last_table = (ln.flow, table.label, table.caption)
                self.float_(table, ln.page)
                i = max(end, cap_end)
                continue
            label = pdftables.caption_label(ln, self.body) if i in caps else None
            if label:
                j = self._caption_end(lines, i)
                nxt = next((s for s in regions if j <= s <= j + 1), None)
                if label.startswith("Table") and nxt is not None:
                    i = j  # the table below takes it
                    continue
                text = self.cell_text([f for line in lines[i:j] for f in line.frags])
                self.float_(text, ln.page)
                i = j
                continue
            styled = self._is_heading_style(ln) and not self.in_refs
            if styled or self._numbered_heading(lines, i):
                j = i + 1
                while (styled and j < len(lines) and _style(lines[j]) == _style(ln) and j - i < 4 and
                       lines[j - 1].bottom - lines[j].bottom < 1.6 * max(ln.size, self.pitch) and j not in regions):
                    j += 1
                p = Para("heading", ln.page, ())
                for x in lines[i:j]:
                    self._append(p, x.words, x.page)
                self.heading(p.text(), _style(ln), joins=p.joins)
                i = j
                continue
            self.prose(ln)
            self.last_table = None
            i += 1

    def _is_caption(self, ln: Line) -> bool:
        return id(ln) in self._caps

    def _starts_block(self, a: Line, b: Line) -> bool:
        """Whether line b, after line a, can open a block (a caption is no line of a sentence)."""
        return (_last_char(a) in _TERMINAL or a.bottom - b.bottom > 1.3 * max(self.pitch, a.size)
                or abs(a.size - b.size) > 0.4 or b.x0 > b.left + 2 * b.size or a.page != b.page)

    def _caption_end(self, lines: list[Line], i: int) -> int:
        j = i + 1
        while j < len(lines) and j - i < 8:
            a, b = lines[j - 1], lines[j]
            centred = a.x0 > a.left + a.size and a.x1 < a.right - a.size
            if (a.bottom - b.bottom > 1.5 * max(self.pitch, a.size) or len(b.frags) > 1
                    or self._is_caption(b) or abs(a.size - b.size) > 0.6
                    or (centred and b.x0 <= b.left + 0.5 * b.size)  # centred caption, then flush text
                    or (a.text[-1:] in ".:" and a.x1 < a.right - 2 * a.size and a.x0 <= a.left + 0.5 * a.size)):
                break
            j += 1
        return j

    def _caption_near(self, lines: list[Line], start: int, end: int) -> tuple[tuple[str, str] | None, int]:
        """The "Table N" caption just above or below a table region: (label, caption text), and
        where the lines after the table resume."""
        for k in range(start - 1, max(-1, start - 10), -1):
            label = pdftables.caption_label(lines[k], self.body) if self._is_caption(lines[k]) else None
            if label:
                j = self._caption_end(lines, k)
                if j >= start - 1 and label.startswith("Table"):
                    return (label, self.cell_text([f for ln in lines[k:j] for f in ln.frags])), end
                break
        if end < len(lines):
            label = pdftables.caption_label(lines[end], self.body) if self._is_caption(lines[end]) else None
            if label and label.startswith("Table"):
                j = self._caption_end(lines, end)
                return (label, self.cell_text([f for ln in lines[end:j] for f in ln.frags])), j
        return None, end


def _last_char(line: Line) -> str:
    """The line's last character, reference markers aside ("attacks.¹" ends with ".")."""
    word = next((w for w in reversed(line.words) if not w.sup), None)
    return word.text[-1:] if word else ""


def assemble(lines: list[Line], heights: list[float], page_count: int) -> Document:
    return _Assembler(lines, heights).run(page_count)
