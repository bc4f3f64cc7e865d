"""How far a long run has got, on stderr: a bar on a terminal, plain lines otherwise.

A bar redrawn in place suits a person watching; in a log (stderr redirected, a
CI job) it would be thousands of carriage returns, so there a line is written
every INTERVAL seconds instead, and nothing at all for a run shorter than that.
"""

from __future__ import annotations

import sys
import time
from typing import IO

from qa.cli.output import isatty
from qa.safe import printable

INTERVAL = 10.0
"""Seconds between plain progress lines."""
REDRAW = 0.1
"""Seconds between redraws of the bar."""
WIDTH = 24


class Progress:
    """Counts done items out of a total and shows it."""

    def __init__(self, total: int, what: str, *, stream: IO[str] | None = None, done: int = 0, shown: bool = True) -> None:
        self.total = total
        self.what = what
        self.stream = stream or sys.stderr
        self.shown = shown
        """False: only count (and pass on `say`'s lines)."""
        self.bar = shown and isatty(self.stream)
        self.count = done
        self._first = done
        self._t0 = time.monotonic()
        self._shown = 0.0
        self._drawn = False

    def advance(self, n: int = 1) -> None:
        self.count += n
        now = time.monotonic()
        if self.bar:
            if now - self._shown >= REDRAW or self.count >= self.total:
                self._draw(now)
        elif self.shown and now - self._shown >= INTERVAL and now - self._t0 >= INTERVAL:
            self._shown = now
            print(self._line(now), file=self.stream, flush=True)

    def say(self, message: str) -> None:
        """A diagnostic line that does not run into the bar."""
        self._clear()
        print(printable(message), file=self.stream, flush=True)
        if self.bar and self.count < self.total:
            self._draw(time.monotonic())

    def close(self) -> None:
        """Take the bar off the screen (the caller then says how the run ended)."""
        self._clear()

    def _line(self, now: float) -> str:
        pct = f" ({self.count / self.total:.0%})" if self.total else ""
        line = f"{self.count}/{self.total} {self.what}{pct}, {now - self._t0:.0f} s"
        rate = (self.count - self._first) / max(now - self._t0, 1e-9)
        if rate > 0 and self.count < self.total:
            line += f", about {(self.total - self.count) / rate:.0f} s to go"
        return line

    def _draw(self, now: float) -> None:
        self._shown = now
        filled = round(WIDTH * self.count / self.total) if self.total else WIDTH
        bar = "█" * filled + "░" * (WIDTH - filled)
        self.stream.write(f"\r{bar} {self._line(now)}\x1b[K")
        self.stream.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False
