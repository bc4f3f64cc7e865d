"""The question box, with up/down to recall earlier questions."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widgets import Input


class QuestionInput(Input):
    """An Input that remembers what was asked: up/down walk the history."""

    DEFAULT_CSS = """
    QuestionInput {
        margin: 0 0;
    }
    """

    BINDINGS = [
        Binding("up", "history(-1)", "History", key_display="↑↓"),
        Binding("down", "history(1)", "History", show=False),
        Binding("tab", "app.focus_citations", "Citations"),
        # Keys typed before the chat has the terminal pass through its line discipline,
        # which turns Enter into a newline (ctrl+j): it asks too.
        Binding("ctrl+j", "submit", "Ask", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        # Coming back to the box must not select (and so let the next key replace) the draft.
        kwargs.setdefault("select_on_focus", False)
        kwargs.setdefault("placeholder", "Ask a question about the corpus (Enter asks, ↑ recalls earlier questions)")
        super().__init__(**kwargs)
        self.history: list[str] = []
        self._pos = 0
        self._draft = ""

    def remember(self, question: str) -> None:
        """Add a question to the history (not twice in a row) and reset the walk."""
        if question and (not self.history or self.history[-1] != question):
            self.history.append(question)
        self._pos = len(self.history)
        self._draft = ""

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._pos == len(self.history):
            self._draft = self.value
        pos = max(0, min(len(self.history), self._pos + step))
        if pos == self._pos:
            return
        self._pos = pos
        self.value = self.history[pos] if pos < len(self.history) else self._draft
        self.cursor_position = len(self.value)
