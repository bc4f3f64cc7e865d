"""The conversation: turns, and a cursor that moves over their citations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from qa.tui.citation import CitationView
from qa.tui.safe_text import literal
from qa.tui.turn import TurnView


class Transcript(VerticalScroll, can_focus=True):
    """Scrolling list of turns; up/down select a citation, enter opens it."""

    DEFAULT_CSS = """
    Transcript {
        padding: 0 1;
        scrollbar-gutter: stable;
    }
    Transcript > .transcript--welcome {
        color: $text-muted;
        padding: 1 1;
    }
    Transcript > .transcript--notice {
        color: $text-error;
        border: round $error;
        padding: 0 1;
        margin: 1 0;
    }
    """

    BINDINGS = [
        Binding("up,k", "move(-1)", "Move", key_display="↑↓"),
        Binding("down,j", "move(1)", "Next", show=False),
        Binding("home", "move_to(0)", "First citation", show=False),
        Binding("end", "move_to(-1)", "Last citation", show=False),
        Binding("enter,o,space", "open", "Open"),
        Binding("c,y", "copy", "Copy"),
    ]

    @dataclass
    class OpenRequested(Message):
        """Open this citation in the passage pane."""

        view: CitationView

    @dataclass
    class TypedAhead(Message):
        """A character typed here that belongs in the question box."""

        character: str

    @dataclass
    class CopyRequested(Message):
        """Copy this citation to the clipboard."""

        view: CitationView

    def __init__(self, welcome: Text | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._welcome = welcome
        self.cursor: CitationView | None = None

    def compose(self) -> ComposeResult:
        if self._welcome is not None:
            yield Static(self._welcome, classes="transcript--welcome")

    # --- turns --------------------------------------------------------------------

    @property
    def turns(self) -> list[TurnView]:
        return list(self.query(TurnView))

    def add_turn(self, turn: TurnView) -> None:
        self.query(".transcript--welcome").remove()
        self.mount(turn)
        self.call_after_refresh(self.scroll_end, animate=False)

    def citations(self) -> list[CitationView]:
        return list(self.query(CitationView))

    def previous_question(self, turn: TurnView) -> str | None:
        """What a follow-up builds on: the last answered question before `turn`,
        as it was understood (a follow-up resolved against its own predecessor)."""
        before = self.turns
        before = before[: before.index(turn)] if turn in before else before
        for t in reversed(before):
            if t.answer is not None:
                return t.understood or t.question
        return None

    def set_notice(self, text: str | None) -> None:
        """Show (or with None, remove) a problem that stops questions being answered."""
        self.query(".transcript--notice").remove()
        if text:
            self.mount(Static(literal(text), classes="transcript--notice"))
            self.call_after_refresh(self.scroll_end, animate=False)

    # --- cursor -------------------------------------------------------------------

    def select(self, view: CitationView | None, *, scroll: bool = True) -> None:
        if self.cursor is not None and self.cursor is not view:
            self.cursor.remove_class("-cursor")
        self.cursor = view
        if view is not None:
            view.add_class("-cursor")
            if scroll:
                self.call_after_refresh(self.scroll_to_widget, view, animate=False)

    def select_latest(self) -> None:
        """Put the cursor on [1] of the newest turn that has citations."""
        for turn in reversed(self.turns):
            cites = turn.citations
            if cites:
                self.select(cites[0])
                return

    def on_focus(self) -> None:
        if self.cursor is None or not self.cursor.is_attached:
            self.select_latest()
        elif self.cursor is not None:
            self.call_after_refresh(self.scroll_to_widget, self.cursor, animate=False)

    def on_key(self, event: events.Key) -> None:
        # Typing a question while the citations have the focus goes to the question box.
        if event.is_printable and event.character and event.key not in self._own_keys():
            event.stop()
            event.prevent_default()
            self.post_message(self.TypedAhead(event.character))

    def _own_keys(self) -> set[str]:
        return {key for b in self.BINDINGS if isinstance(b, Binding) for key in b.key.split(",")}

    def action_move(self, delta: int) -> None:
        cites = self.citations()
        if not cites:
            return
        if self.cursor not in cites:
            self.select_latest()
            return
        i = cites.index(self.cursor) + delta
        self.select(cites[max(0, min(len(cites) - 1, i))])

    def action_move_to(self, i: int) -> None:
        cites = self.citations()
        if cites:
            self.select(cites[i])

    def action_open(self) -> None:
        if self.cursor is not None:
            self.post_message(self.OpenRequested(self.cursor))

    def action_copy(self) -> None:
        if self.cursor is not None:
            self.post_message(self.CopyRequested(self.cursor))

    def on_citation_view_clicked(self, event: CitationView.Clicked) -> None:
        event.stop()
        self.select(event.view, scroll=False)
        self.focus(scroll_visible=False)
        self.post_message(self.OpenRequested(event.view))
