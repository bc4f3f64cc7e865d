"""Snapshots of the main screens (reviewed SVGs in __snapshots__/).

Regenerate with `pytest tests/tui/test_snapshots.py --snapshot-update`, then look
at the SVGs before committing them. The input's cursor blink is frozen and every
step waits on state, so the pictures do not depend on timing.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from qa.config import Settings
from qa.tui import make_app

from .conftest import SIZE, ask, ready, wait_for


async def _answered(pilot: Pilot) -> None:
    await ready(pilot)
    await ask(pilot, "What was the median duration of response?")
    await ask(pilot, "and the overall survival of responders?")


def test_empty(snap_compare, make_chat) -> None:
    """Ready, before the first question: the welcome text and the corpus's documents."""
    assert snap_compare(make_chat(), terminal_size=SIZE, run_before=ready)


def test_answered(snap_compare, make_chat) -> None:
    """A question and a follow-up: answers highlighted, numbered citations, what was searched."""
    assert snap_compare(make_chat(), terminal_size=SIZE, run_before=_answered)


def test_citation_open(snap_compare, make_chat) -> None:
    """Citation [1] opened from the keyboard: the span highlighted in its document."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await ask(pilot, "What was the median duration of response?")
        await pilot.press("tab", "enter")
        pane = pilot.app.passage  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: pane.settled, "the passage")

    assert snap_compare(make_chat(), terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare, make_chat) -> None:
    """The help screen over the chat."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("f1")

    assert snap_compare(make_chat(), terminal_size=SIZE, run_before=run_before)


def test_grid_filled(snap_compare, trials_dirs, tmp_path: Path) -> None:
    """A grid of three trial reports × three questions, filled, with a cell's passage open."""
    questions = tmp_path / "extraction.csv"
    questions.write_text("id,question\nn,How many participants were randomised?\nfollow,How long was the follow-up?\n"
                         "funder,Who funded the trial?\n", "utf-8")

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await ready(pilot)
        app.grid_from_file(questions)  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: getattr(app.screen, "finished", False), "the grid to fill")
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: app.screen.passage.settled, "the passage")  # type: ignore[attr-defined]

    assert snap_compare(make_app(*trials_dirs, Settings()), terminal_size=SIZE, run_before=run_before)
