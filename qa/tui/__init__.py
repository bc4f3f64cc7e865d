"""The chat UI (Textual). The core (qa.*) never imports this package."""

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
