"""Opening the engine for the chat, off the UI thread, and what the chat says about it.

The loading runs in a daemon thread that the worker waits on, so that
quitting while the model loads (seconds) or the index builds (minutes, for a
big corpus) does not keep the process alive: the worker returns as soon as
Textual cancels it, and the daemon thread dies with the process (the index
store is crash-safe). Every outcome is posted as a message (qa.tui.messages).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.message import Message

from qa.errors import QAError
from qa.safe import plural
from qa.tui.messages import EngineFailed, EngineProgress, EngineReady, IndexLoaded
from qa.tui.safe_text import literal, one_line

if TYPE_CHECKING:
    from qa.answering.engine import Engine
    from qa.index.build import BuildReport
    from qa.index.manifest import DocInfo

DOCUMENTS_LISTED = 200


def run_until_cancelled(job: Callable[[], None], cancelled: Callable[[], bool]) -> None:
    """Run job in a daemon thread; return when it is done or as soon as cancelled() says so."""
    done = threading.Event()

    def run() -> None:
        try:
            job()
        finally:
            done.set()

    threading.Thread(target=run, name="qa-load", daemon=True).start()
    while not done.wait(0.1):
        if cancelled():
            return


def load(engine_of: Callable[[], Engine], rebuild: bool, post: Callable[[Message], object]) -> None:
    """Open (or build) the index, then load the model, posting progress and the outcome."""

    def progress(text: str) -> None:
        post(EngineProgress(text))

    try:
        engine = engine_of()
        report = engine.open(rebuild=rebuild, progress=progress)
        idx = engine.index
        post(IndexLoaded(report, len(idx.docs), len(idx.units), engine.settings.model, rebuild))
        engine.warm_up()
        post(EngineReady())
    except QAError as exc:
        post(EngineFailed(str(exc)))
    except Exception as exc:  # a bug, but the chat should say so rather than vanish
        post(EngineFailed(f"Unexpected error while loading: {type(exc).__name__}: {exc}"))


def build_note(report: BuildReport, rebuilt: bool) -> tuple[str, str] | None:
    """The title and text of the notification after a build, None when the index only loaded."""
    if report.action == "loaded" and not rebuilt:
        return None
    text = (
        f"{plural(report.documents, 'document')}, {plural(report.units, 'unit')}; "
        f"{report.embedded_units} embedded, in {report.seconds:.1f} s."
    )
    return ("Index rebuilt" if rebuilt else f"Index {report.action}"), text


def documents_listing(docs: Sequence[DocInfo]) -> Text:
    """The corpus's documents, shown in the passage pane until a citation is opened."""
    text = Text()
    text.append(f"{plural(len(docs), 'document')}\n\n", style="bold")
    for d in docs[:DOCUMENTS_LISTED]:
        text.append_text(literal(one_line(d.title or d.path)))
        text.append("\n")
        text.append_text(literal(f"  {one_line(d.path)} · {plural(d.units, 'unit')}\n\n", "dim"))
    if len(docs) > DOCUMENTS_LISTED:
        text.append(f"… and {len(docs) - DOCUMENTS_LISTED} more\n", style="dim")
    text.rstrip()
    return text
