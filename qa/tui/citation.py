"""One numbered citation in a turn: the quoted sentence and where it stands."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.message import Message
from textual.widgets import Static

from qa.models import Citation
from qa.tui.safe_text import find_value, highlighted, one_line


def reference(citation: Citation) -> str:
    """Where a citation stands: document, page (PDF), section and character offsets."""
    parts = [citation.doc]
    if citation.page is not None:
        parts.append(citation.pages())
    if citation.section:
        parts.append(citation.section)
    parts.append(f"characters {citation.start}–{citation.end}")
    return ", ".join(parts)


class CitationView(Static):
    """A numbered quote ([1] …) with its document and section; click to open it."""

    DEFAULT_CSS = """
    CitationView {
        height: auto;
        padding: 0 1 0 0;
        border-left: blank;
    }
    CitationView:hover {
        background: $boost;
    }
    CitationView.-cursor {
        border-left: outer $accent 40%;
    }
    CitationView.-open {
        background: $accent 15%;
    }
    CitationView > .citation--number {
        color: $accent;
        text-style: bold;
    }
    CitationView > .citation--quote {
    }
    CitationView > .citation--value {
        background: $warning 35%;
        text-style: bold;
    }
    CitationView > .citation--reference {
        color: $text-muted;
    }
    CitationView.-related > .citation--quote {
        color: $text-muted;
    }
    """

    COMPONENT_CLASSES = {"citation--number", "citation--quote", "citation--value", "citation--reference"}

    @dataclass
    class Clicked(Message):
        """The citation was clicked."""

        view: CitationView

    def __init__(self, turn_id: int, number: int, citation: Citation, value: str | None = None, *, related: bool = False) -> None:
        super().__init__(classes="-related" if related else "")
        self.turn_id = turn_id
        self.number = number
        self.citation = citation
        self.value = value
        """The short answer, highlighted inside the quote when it is there."""
        self.related = related

    @property
    def value_span(self) -> tuple[int, int] | None:
        return find_value(self.value, self.citation.text)

    def on_mount(self) -> None:
        self.refresh_content()

    def refresh_content(self) -> None:
        style = self.get_component_rich_style
        quote = highlighted(
            one_line(self.citation.text), self.value_span, style("citation--value"), style("citation--quote")
        )
        quote.end = "\n"
        ref = Text(one_line(reference(self.citation)), style=style("citation--reference"), end="")
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(no_wrap=True, width=len(f"[{self.number}]"))
        grid.add_column(ratio=1)
        grid.add_row(Text(f"[{self.number}]", style=style("citation--number")), Group(quote, ref))
        self.update(grid)

    def on_click(self) -> None:
        self.post_message(self.Clicked(self))
