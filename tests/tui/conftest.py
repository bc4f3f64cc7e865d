"""Fixtures for the chat tests: a real index, built once, that every app loads.

The model is the real one; it is loaded once per process (qa.index.embed caches it),
so each app start only loads the index and answers in well under a second.
Waiting is always on state (a turn answered, the engine ready), never on time;
the timeouts are generous and only there to turn a hang into a failure.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.segment import Segment
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from qa.config import Settings

REPO = Path(__file__).resolve().parents[2]
SIZE = (120, 40)
TIMEOUT = 180.0

MARKUP_DOC = (
    "Markup trial\n\n"
    "Dosing\n\n"
    "The dose was [bold red]40 mg[/bold red] once daily in [link=http://example.com]arm A[/link], "
    "written \x1b[31mred\x1b[0m on purpose.\n\n"
    "Outcome\n\n"
    "The median survival was 11 months [1].\n"
)


def _build(base: Path, corpus_files: dict[str, str] | None = None) -> tuple[Path, Path]:
    corpus = base / "corpus"
    if corpus_files is None:
        shutil.copytree(REPO / "corpus", corpus)
    else:
        corpus.mkdir(parents=True)
        for name, text in corpus_files.items():
            (corpus / name).write_text(text, encoding="utf-8")
    index = base / "index"
    from qa.answering.engine import Engine

    Engine(corpus, index, Settings()).open()
    return corpus, index


@pytest.fixture(scope="session")
def chat_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index): a copy of the shipped STORM corpus and its index, built once."""
    return _build(tmp_path_factory.mktemp("chat"))


@pytest.fixture(scope="session")
def markup_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A one-document corpus full of Rich markup and an escape sequence."""
    return _build(tmp_path_factory.mktemp("chat-markup"), {"markup.txt": MARKUP_DOC})


@pytest.fixture
def make_chat(chat_dirs: tuple[Path, Path]) -> Callable[[], object]:
    """A factory for a fresh chat app over the STORM index."""
    from qa.tui import make_app

    return lambda: make_app(*chat_dirs, Settings())


async def wait_for(pilot: Pilot, condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    """Let the app run until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)
    await pilot.pause()


async def ready(pilot: Pilot) -> None:
    """Wait until the index and model are loaded; freeze the input's cursor blink."""
    app = pilot.app
    app.question_input.cursor_blink = False  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: app.state == "ready" and app._answering is None, "the engine")  # type: ignore[attr-defined]


async def ask(pilot: Pilot, question: str, *, type_it: bool = False):  # type: ignore[no-untyped-def]
    """Submit a question and wait for its turn to be answered; returns the TurnView."""
    app = pilot.app
    app.question_input.focus()  # type: ignore[attr-defined]
    if type_it:
        await pilot.press(*question)
    else:
        app.question_input.value = question  # type: ignore[attr-defined]
    n = len(app.turns)  # type: ignore[attr-defined]
    await pilot.press("enter")
    await wait_for(pilot, lambda: len(app.turns) > n and app.turns[-1].done, f"an answer to {question!r}")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: len(app.turns[-1].citations) == len(app.turns[-1].answer.citations) if app.turns[-1].answer else True, "citations")  # type: ignore[attr-defined]
    return app.turns[-1]  # type: ignore[attr-defined]


def strips(widget: Widget) -> list[list[Segment]]:
    """The segments the widget paints inside its border and padding, line by line."""
    outer, inner = widget.region, widget.content_region
    w, h = outer.size
    left, top = inner.x - outer.x, inner.y - outer.y
    lines = widget.render_lines(Region(0, 0, w, h))[top : top + inner.height]
    return [list(strip.crop(left, left + inner.width)) for strip in lines]


def screen_text(widget: Widget) -> str:
    """What the widget paints, as text, its wrapped lines joined with spaces.

    A container's text is its visible children's, in order.
    """
    children = [c for c in widget.children if c.display]
    if children:
        return " ".join(t for t in (screen_text(c) for c in children) if t)
    lines = ["".join(seg.text for seg in line).strip() for line in strips(widget)]
    return " ".join(" ".join(lines).split())


def highlighted_text(widget: Widget) -> str:
    """The painted characters that have a background colour of their own."""
    base = widget.rich_style.bgcolor
    out = []
    for line in strips(widget):
        for seg in line:
            if seg.style is not None and seg.style.bgcolor is not None and seg.style.bgcolor != base:
                out.append(seg.text)
        out.append(" ")
    return " ".join("".join(out).split())
