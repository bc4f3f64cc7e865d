"""A whole document, wrapped to the width, drawn only where it is on screen.

Documents can be long, so the view keeps its wrapped lines and paints just the
visible ones (Textual's line API): opening a citation or scrolling costs the
same for a page as for a book. Wrapping is redone when the width changes, with
the line that was at the top kept there.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Highlight = tuple[int, int, str | Style]
"""(start, end, style): characters of the document to style."""

_BULLET = re.compile(r"^[ \t]*(?:[•◦▪‣∙·*+-]|\d{1,3}[.)]|[a-z][.)])?[ \t]*")


def wrap_document(
    doc: str, width: int, console: Console, highlights: Sequence[Highlight] = ()
) -> tuple[list[Text], list[int]]:
    """`doc` (plain text, shown literally) wrapped to `width`, with hanging indents
    under bullets and indented lines, and each highlight applied.

    Returns the lines and, for each, the offset in `doc` where it starts (so the
    line holding an offset is a bisection away). Linear in the document's size.
    """
    width = max(width, 8)
    lines: list[Text] = []
    starts: list[int] = []
    pieces: list[tuple[int, int, int]] = []  # (offset in doc, length, (line, column))
    cols: list[int] = []
    pos = 0
    for line in doc.split("\n"):
        bullet = _BULLET.match(line)  # always matches: every part of it is optional
        indent = min(bullet.end(), width // 2) if bullet and line.strip() else 0
        rest = line[indent:]
        wrapped = [p.plain for p in Text(rest).wrap(console, width - indent)] if rest else [""]
        cursor = 0  # in rest: wrapping may drop the blanks at a break, so find each piece
        for i, piece in enumerate(wrapped):
            found = rest.find(piece, cursor)
            cursor = found if found >= 0 else cursor
            starts.append(pos if i == 0 else pos + indent + cursor)
            lead = line[:indent] if i == 0 else " " * indent
            if i == 0 and indent:
                pieces.append((pos, indent, len(lines)))
                cols.append(0)
            pieces.append((pos + indent + cursor, len(piece), len(lines)))
            cols.append(len(lead))
            lines.append(Text(lead + piece, end="", no_wrap=True))
            cursor += len(piece)
        pos += len(line) + 1
    piece_starts = [p[0] for p in pieces]
    for start, end, style in highlights:
        i = max(0, bisect_right(piece_starts, start) - 1)
        while i < len(pieces) and pieces[i][0] < end:
            src, length, row = pieces[i]
            a, b = max(start, src), min(end, src + length)
            if a < b:
                col = cols[i]
                lines[row].stylize(style, col + a - src, col + b - src)
            i += 1
    return lines, starts


class DocumentView(ScrollView, can_focus=True):
    """Scrollable view of one document with highlighted spans."""

    DEFAULT_CSS = """
    DocumentView {
        height: 1fr;
        scrollbar-gutter: stable;
        overflow-x: hidden;
    }
    """

    @dataclass
    class TopMoved(Message):
        """The line at the top of the view changed; `offset` is where it starts in the document."""

        offset: int

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.document = ""
        self.highlights: list[Highlight] = []
        self.lines: list[Text] = []
        self.line_starts: list[int] = []
        self._width = 0
        self._strips: dict[int, Strip] = {}
        self._focus_offset: int | None = None
        """A document offset to bring into view once the view has a width."""
        self._scroll_target: int | None = None

    def show(self, document: str, highlights: Sequence[Highlight], focus: int | None = None) -> None:
        """Show `document` (already cleaned for display) and bring `focus` into view."""
        self.document = document
        self.highlights = list(highlights)
        self._width = 0
        self._focus_offset = focus
        self._rewrap()

    @property
    def settled(self) -> bool:
        """Wrapped, and scrolled to what `show` asked for."""
        return bool(self.lines) and self._focus_offset is None and self._scroll_target is None

    def line_of(self, offset: int) -> int | None:
        """The wrapped line that holds a document offset."""
        if not self.line_starts:
            return None
        return bisect_right(self.line_starts, offset) - 1

    def on_resize(self) -> None:
        self._rewrap()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.line_starts and round(old_value) != round(new_value):
            self.post_message(self.TopMoved(self.line_starts[min(max(round(new_value), 0), len(self.line_starts) - 1)]))

    def _rewrap(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or not self.document and not self.lines:
            return
        if width != self._width:
            top = self.line_starts[int(self.scroll_y)] if self.line_starts and int(self.scroll_y) < len(self.line_starts) else None
            self.lines, self.line_starts = wrap_document(self.document, width, self.app.console, self.highlights)
            self._width = width
            self._strips.clear()
            self.virtual_size = Size(width, len(self.lines))
            if self._focus_offset is None and top is not None:
                self.scroll_to(y=self.line_of(top) or 0, animate=False, immediate=True)
            self.refresh()
        if self._focus_offset is not None:
            line = self.line_of(self._focus_offset) or 0
            self._focus_offset = None
            # A third of the way down, so what comes before is in view too.
            self._scroll_target = max(0, line - self.scrollable_content_region.height // 3)
            self.call_after_refresh(self._scroll_when_laid_out, 20)

    def _scroll_when_laid_out(self, tries: int) -> None:
        """Scroll to the target once the new virtual size has been laid out."""
        target = self._scroll_target
        if target is None:
            return
        if self.max_scroll_y < min(target, max(0, len(self.lines) - self.scrollable_content_region.height)) and tries:
            self.call_after_refresh(self._scroll_when_laid_out, tries - 1)
            return
        self._scroll_target = None
        self.scroll_to(y=target, animate=False, immediate=True)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if row >= len(self.lines):
            return Strip.blank(width, base)
        strip = self._strips.get(row)
        if strip is None:
            segments = list(self.lines[row].render(self.app.console))
            strip = Strip(Segment.apply_style(segments, base)).simplify()
            self._strips[row] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base)
