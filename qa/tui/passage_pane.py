"""The side pane: the opened citation in its document, span highlighted."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from qa.models import Citation
from qa.tui.citation import reference
from qa.tui.document_view import DocumentView, Highlight
from qa.tui.safe_text import clean, find_value, literal, one_line


class PassagePane(Vertical):
    """The opened citation's document, shown in full and scrolled to the span.

    Before any citation is opened it lists the corpus's documents. For a
    document with pages (PDF), the line above it also says which page is at
    the top of the view as it scrolls.
    """

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
    PassagePane > #passage-placeholder {
        height: 1fr;
    }
    PassagePane > DocumentView {
        display: none;
    }
    PassagePane.-open > DocumentView {
        display: block;
    }
    PassagePane.-open > #passage-placeholder {
        display: none;
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

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.citation: Citation | None = None
        self.number: int | None = None
        self.value: str | None = None
        self.document: str = ""
        """The text of the document on show, cleaned one character for one."""
        self.span: tuple[int, int] | None = None
        self.value_span: tuple[int, int] | None = None
        self.page_starts: list[int] = []
        """Where each page of the document on show begins (PDF), else empty."""
        self.top_page: int | None = None
        """The page at the top of the view (PDF), else None."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Corpus"), classes="passage--title")
        yield Static(Text("Open a citation (Tab, then Enter, or click it) to read it here."), classes="passage--where")
        with VerticalScroll(id="passage-placeholder"):
            yield Static(Text(""), id="passage-documents")
        yield DocumentView(id="passage-body")

    @property
    def view(self) -> DocumentView:
        return self.query_one(DocumentView)

    def show_placeholder(self, text: Text) -> None:
        """What the pane shows before any citation is opened (the documents)."""
        self.query_one("#passage-documents", Static).update(text)

    def show(self, number: int, citation: Citation, document: str, title: str, value: str | None = None,
             page_starts: Sequence[int] = ()) -> None:
        """Show `document` with citation.start:end highlighted and scroll to it."""
        self.citation, self.number, self.value = citation, number, value
        self.page_starts, self.top_page = list(page_starts), None
        # Tabs show as single spaces so that offsets and wrapped columns agree.
        self.document = clean(document).replace("\t", " ")
        self.span = (citation.start, citation.end)
        rel = find_value(value, citation.text)
        self.value_span = None if rel is None else (citation.start + rel[0], citation.start + rel[1])
        head = Text(f"[{number}] ")
        head.append_text(literal(one_line(title or citation.doc)))
        self.query_one(".passage--title", Static).update(head)
        self._show_where()
        style = self.get_component_rich_style
        highlights: list[Highlight] = [(*self.span, style("passage--span"))]
        if self.value_span is not None:
            highlights.append((*self.value_span, style("passage--value")))
        self.add_class("-open")
        # Shown after the class takes effect, so the view has its width.
        self.call_after_refresh(self.view.show, self.document, highlights, citation.start)

    def _show_where(self) -> None:
        if self.citation is None:
            return
        where = reference(self.citation)
        if self.top_page is not None:
            where += f" · page {self.top_page} of {len(self.page_starts)} at the top"
        self.query_one(".passage--where", Static).update(literal(one_line(where)))

    def on_document_view_top_moved(self, event: DocumentView.TopMoved) -> None:
        if not self.page_starts:
            return
        page = max(1, bisect_right(self.page_starts, event.offset))
        if page != self.top_page:
            self.top_page = page
            self._show_where()

    @property
    def settled(self) -> bool:
        """The opened document is on show, wrapped and scrolled to the span."""
        return self.span is not None and self.view.document == self.document and self.view.settled

    def line_of_span(self) -> int | None:
        """The wrapped line of the document that the cited span starts on."""
        if self.span is None or self.view.document != self.document:
            return None
        return self.view.line_of(self.span[0])

    def visible_lines(self) -> range:
        """The document lines currently scrolled into view."""
        top = round(self.view.scroll_y)
        return range(top, top + self.view.scrollable_content_region.height)
