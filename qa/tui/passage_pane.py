"""The side pane: the opened citation in its document, span highlighted."""

from __future__ import annotations

import re
from bisect import bisect_right

from rich.console import Console
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from qa.models import Citation
from qa.tui.citation import reference
from qa.tui.safe_text import clean, find_value, literal, one_line


_BULLET = re.compile(r"^[ \t]*(?:[•◦▪‣∙·*+-]|\d{1,3}[.)]|[a-z][.)])?[ \t]*")


def wrap_document(doc: Text, width: int, console: Console) -> tuple[Text, list[int]]:
    """`doc` wrapped to `width` with hanging indents under bullets and indented lines.

    Returns the wrapped text and, for each of its lines, the offset in `doc` where
    that line starts (so the line holding an offset is a bisection away).
    """
    width = max(width, 8)
    out = Text(end="", no_wrap=True)
    starts: list[int] = []
    pos = 0
    plain = doc.plain
    line_ends = [m.start() for m in re.finditer("\n", plain)] + [len(plain)]
    for line_end in line_ends:
        line = doc[pos:line_end]
        indent = min(_BULLET.match(line.plain).end(), width // 2) if line.plain.strip() else 0  # type: ignore[union-attr]
        head, rest = line[:indent], line[indent:]
        pieces = rest.wrap(console, width - indent) if rest.plain else [Text()]
        offset = pos + indent
        for i, piece in enumerate(pieces):
            if starts:
                out.append("\n")
            starts.append(pos if i == 0 else offset)
            out.append_text(head if i == 0 else Text(" " * len(head.plain)))
            out.append_text(piece)
            offset += len(piece.plain)
        pos = line_end + 1
    return out, starts


class PassagePane(Vertical):
    """A document shown in full and scrolled to the cited span."""

    DEFAULT_CSS = """
    PassagePane {
        border-left: vkey $foreground 20%;
        padding: 0 0 0 1;
    }
    PassagePane > .passage--title {
        text-style: bold;
        color: $accent;
        height: auto;
    }
    PassagePane > .passage--where {
        color: $text-muted;
        height: auto;
        border-bottom: solid $foreground 20%;
    }
    PassagePane > VerticalScroll {
        height: 1fr;
        scrollbar-gutter: stable;
    }
    PassagePane #passage-body {
        padding: 0 1 0 0;
    }
    PassagePane > .passage--span {
        background: $warning 25%;
        color: $text;
    }
    PassagePane > .passage--value {
        background: $warning 60%;
        text-style: bold;
    }
    """

    COMPONENT_CLASSES = {"passage--span", "passage--value"}

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.citation: Citation | None = None
        self.number: int | None = None
        self.value: str | None = None
        self.document: str = ""
        """The text of the document on show, cleaned one character for one."""
        self.span: tuple[int, int] | None = None
        self.value_span: tuple[int, int] | None = None
        self._width = 0
        self._line_starts: list[int] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Corpus"), classes="passage--title")
        yield Static(Text("Open a citation (Tab, then Enter, or click it) to read it here."), classes="passage--where")
        with VerticalScroll(id="passage-scroll"):
            yield Static(Text(""), id="passage-body")

    def show_placeholder(self, text: Text) -> None:
        """What the pane shows before any citation is opened."""
        if self.citation is None:
            self.query_one("#passage-body", Static).update(text)

    def show(self, number: int, citation: Citation, document: str, title: str, value: str | None = None) -> None:
        """Show `document` with citation.start:end highlighted and scroll to it."""
        self.citation, self.number, self.value = citation, number, value
        # Tabs show as single spaces so that offsets and wrapped columns agree.
        self.document = clean(document).replace("\t", " ")
        self.span = (citation.start, citation.end)
        rel = find_value(value, citation.text)
        self.value_span = None if rel is None else (citation.start + rel[0], citation.start + rel[1])
        head = Text(f"[{number}] ")
        head.append_text(literal(one_line(title or citation.doc)))
        self.query_one(".passage--title", Static).update(head)
        self.query_one(".passage--where", Static).update(literal(one_line(reference(citation))))
        self._width = 0
        self.call_after_refresh(self._render_body, True)

    def on_resize(self) -> None:
        if self.citation is not None:
            self.call_after_refresh(self._render_body, False)

    def _body_width(self) -> int:
        scroll = self.query_one("#passage-scroll", VerticalScroll)
        body = self.query_one("#passage-body", Static)
        return scroll.scrollable_content_region.width - body.styles.padding.width

    def _render_body(self, scroll_to_span: bool) -> None:
        """Wrap the document to the pane's width, highlight the span, scroll to it."""
        if self.span is None:
            return
        width = self._body_width()
        if width <= 0:
            return
        if width != self._width:
            style = self.get_component_rich_style
            doc = literal(self.document)
            doc.stylize(style("passage--span"), *self.span)
            if self.value_span is not None:
                doc.stylize(style("passage--value"), *self.value_span)
            wrapped, self._line_starts = wrap_document(doc, width, self.app.console)
            self._width = width
            self.query_one("#passage-body", Static).update(wrapped)
        if scroll_to_span:
            self.call_after_refresh(self.scroll_to_span)

    def scroll_to_span(self) -> None:
        """Scroll so the cited span sits a third of the way down the pane."""
        line = self.line_of_span()
        if line is None:
            return
        scroll = self.query_one("#passage-scroll", VerticalScroll)
        scroll.scroll_to(y=max(0, line - scroll.size.height // 3), animate=False)

    def line_of_span(self) -> int | None:
        """The line of the (wrapped) body that the cited span starts on."""
        if self.span is None or not self._line_starts:
            return None
        return bisect_right(self._line_starts, self.span[0]) - 1

    def visible_lines(self) -> range:
        """The body lines currently scrolled into view."""
        scroll = self.query_one("#passage-scroll", VerticalScroll)
        top = round(scroll.scroll_y)
        return range(top, top + scroll.scrollable_content_region.height)
