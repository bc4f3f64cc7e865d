"""The one error type that carries a message meant for people.

Front ends render it in one place each: the CLI prints it to stderr and exits
non-zero, the chat shows a notification. Anything else escaping is a bug.
"""

from __future__ import annotations


class QAError(Exception):
    """A problem the user can act on, worded for them (no traceback needed)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"
