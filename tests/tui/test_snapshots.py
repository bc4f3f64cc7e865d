"""Snapshots of the main screens (reviewed SVGs in __snapshots__/).

Regenerate with `pytest tests/tui/test_snapshots.py --snapshot-update`, then look
at the SVGs before committing them. The input's cursor blink is frozen and every
step waits on state, so the pictures do not depend on timing.
"""

from __future__ import annotations

from textual.pilot import Pilot

from .conftest import SIZE, ask, ready, wait_for


async def _answered(pilot: Pilot) -> None:
    await ready(pilot)
    await ask(pilot, "What was the median duration of response?")
    await ask(pilot, "and the overall survival?")


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
