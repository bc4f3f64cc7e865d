"""The chat: a Textual app on the same Engine as the CLI.

This package owns the terminal chat and is the only code that imports Textual
(and Rich): the app and its key bindings (`app`), the widgets of the
transcript, its turns and citations and the passage pane with the cited
document, the help and command palette, loading the engine off the UI thread
(`loading`), the messages workers post, and the export to Markdown. Nothing
outside it imports it but the CLI's `qa chat`, through `make_app`, which
imports Textual only when called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

    from qa.config import Settings

__all__ = ["make_app"]


def make_app(corpus: Path, index_dir: Path, settings: Settings | None = None) -> App[None]:
    """The chat app over `corpus` with its index in `index_dir`; call .run() on it.

    Building the app is cheap: the index and the model load in a background
    worker once it runs.
    """
    from qa.tui.app import QAApp

    return QAApp(corpus, index_dir, settings)
