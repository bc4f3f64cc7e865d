"""One line above the input that says what the app is doing."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Static

from qa.tui.safe_text import one_line

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class StatusLine(Static):
    """A message, with a spinner (and the seconds it has taken) while something
    runs in the background."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    StatusLine.-busy {
        color: $text-warning;
    }
    StatusLine.-error {
        color: $text-error;
    }
    """

    message: reactive[str] = reactive("")
    busy: reactive[bool] = reactive(False)
    scope: reactive[str] = reactive("")
    """The documents questions go to, shown before the message ("": the whole corpus)."""

    def __init__(self, message: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._frame = 0
        self._since = time.monotonic()
        self._timer: Timer | None = None
        self.set_reactive(StatusLine.message, message)

    def on_mount(self) -> None:
        self._timer = self.set_interval(0.1, self._spin, pause=not self.busy)
        self._render_line()

    def set(self, message: str, *, busy: bool = False, error: bool = False) -> None:
        self.set_class(error, "-error")
        self.message = message
        self.busy = busy

    def watch_message(self) -> None:
        self._since = time.monotonic()
        self._render_line()

    def watch_scope(self) -> None:
        self._render_line()

    def watch_busy(self, busy: bool) -> None:
        self.set_class(busy, "-busy")
        if self._timer is not None:
            if busy:
                self._timer.resume()
            else:
                self._timer.pause()
        self._render_line()

    def _spin(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self._render_line()

    def _render_line(self) -> None:
        prefix = f"{SPINNER[self._frame]} " if self.busy else ""
        line = Text(prefix, no_wrap=True, overflow="ellipsis")
        if self.scope:
            line.append(f"Asking {one_line(self.scope)} only (/doc to clear)", style="bold")
            line.append(" · ")
        line.append(one_line(self.message))
        elapsed = time.monotonic() - self._since
        if self.busy and elapsed >= 3:
            # Long steps (a first index build, loading the model) show they are alive.
            line.append(f"  {elapsed:.0f} s", style="dim")
        self.update(line)
