"""The chat asks one document (/doc, the document picker) or builds a grid of every
document × every question: cells fill as answers come, a selected cell opens its
passage, and the grid exports with the CLI's writers."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot

from qa.bulk.grid import cell_value, key_of
from qa.config import Settings
from qa.tui import make_app
from qa.tui.grid_screen import GridScreen, shown
from qa.tui.passage_pane import PassagePane

from .conftest import SIZE, ask, ready, screen_text, wait_for

QUESTIONS = "id,question\nn,How many participants were randomised?\nfollow,How long was the follow-up?\nfunder,Who funded the trial?\n"


@pytest.fixture
def make_trials_chat(trials_dirs: tuple[Path, Path]) -> Callable[[], object]:
    return lambda: make_app(*trials_dirs, Settings())


def run(app, scenario: Callable[[Pilot], Awaitable[None]]) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await scenario(pilot)

    asyncio.run(main())


async def open_file_grid(pilot: Pilot, path: Path) -> GridScreen:
    """Grid from file… through the command palette, then wait until every cell is in."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    await pilot.press(*"Grid from file")
    await pilot.pause(0.3)
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "PathPrompt", "the file prompt")
    app.screen.query_one("Input").value = str(path)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, GridScreen), "the grid")
    grid = app.screen
    assert isinstance(grid, GridScreen)
    await wait_for(pilot, lambda: grid.finished, "the grid to fill")
    return grid


async def command(pilot: Pilot, text: str, *, type_it: bool = False) -> None:
    """Submit a /doc line (no turn comes of it)."""
    app = pilot.app
    app.question_input.focus()  # type: ignore[attr-defined]
    if type_it:
        await pilot.press(*text)
    else:
        app.question_input.value = text  # type: ignore[attr-defined]
    await pilot.press("enter")
    await pilot.pause()


def test_a_grid_fills_opens_a_cells_passage_and_exports(make_trials_chat, tmp_path: Path) -> None:
    app = make_trials_chat()
    questions = tmp_path / "q.csv"
    questions.write_text(QUESTIONS, "utf-8")
    out = tmp_path / "exported.csv"

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        grid = await open_file_grid(pilot, questions)
        assert grid.docs == ["walking.txt", "warmpack.txt", "zinc.txt"] and [q.id for q in grid.questions] == ["n", "follow", "funder"]
        assert len(grid.records) == grid.total == 9 and not grid.failed
        table = grid.table
        for doc in grid.docs:
            for q in grid.questions:
                record = grid.records[key_of(doc, q.id)]
                assert {c["doc"] for c in record["citations"]} == {doc}  # each cell from its own document
                assert table.get_cell(doc, q.id).plain == shown(record)
        assert "412" in cell_value(grid.records[key_of("zinc.txt", "n")])
        # The cursor starts on the first question of the first document; down twice, then Enter.
        await pilot.press("down", "down", "enter")
        pane = grid.query_one(PassagePane)
        await wait_for(pilot, lambda: pane.settled, "the passage")
        assert grid.opened == ("zinc.txt", "n")
        c = grid.answers[key_of("zinc.txt", "n")].citations[0]
        assert pane.citation == c and pane.document[c.start : c.end] == c.text
        assert "412 children were randomised" in screen_text(pane.view)
        # Ctrl+S: the export prompt, then the CLI's files.
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PathPrompt", "the export prompt")
        app.screen.query_one("Input").value = str(out)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(grid.exported), "the export")
        assert grid.exported == [out, tmp_path / "exported.quotes.csv"]
        rows = list(csv.reader(io.StringIO(out.read_text("utf-8"))))
        assert rows[0] == ["document", "n", "follow", "funder"] and [r[0] for r in rows[1:]] == grid.docs
        grid.export_to(tmp_path / "exported.xlsx")
        import openpyxl

        assert openpyxl.load_workbook(tmp_path / "exported.xlsx").sheetnames == ["Grid", "Quotes"]
        # Esc: back to the chat.
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, GridScreen), "the chat")
        assert app.question_input.has_focus

    run(app, scenario)


def test_the_rct_preset_grid_from_the_palette(make_trials_chat) -> None:
    app = make_trials_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        app.set_scope("zinc")  # a grid asks the scope's documents only
        app.action_grid_preset()
        await wait_for(pilot, lambda: isinstance(app.screen, GridScreen), "the grid")
        grid = app.screen
        await wait_for(pilot, lambda: grid.finished, "the grid to fill")
        assert grid.docs == ["zinc.txt"] and len(grid.questions) == 11 and len(grid.records) == 11
        assert "Grid: RCT preset: 1 document × 11 questions" in screen_text(grid.query_one("#grid-title"))

    run(app, scenario)


def test_doc_scopes_the_following_questions_until_cleared(make_trials_chat) -> None:
    app = make_trials_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        question = "How many participants were randomised?"
        await command(pilot, "/doc zinc", type_it=True)  # a command, not a turn
        assert app.scope == ["zinc.txt"] and not app.turns
        assert "Asking zinc.txt only (/doc to clear)" in screen_text(app.status)
        first = await ask(pilot, question)
        second = await ask(pilot, "Who funded the trial?")
        for turn in (first, second):
            assert turn.scope == ["zinc.txt"] and {c.doc for c in turn.answer.citations} == {"zinc.txt"}
            assert "asked of zinc.txt only" in screen_text(turn)
        # A name that matches nothing leaves the scope as it was, and says what is close.
        await command(pilot, "/doc zync.txt")
        assert app.scope == ["zinc.txt"]
        assert any("zinc.txt" in n.message and "No document" in n.message for n in app._notifications)
        await command(pilot, "/doc w*")
        assert app.scope == ["walking.txt", "warmpack.txt"]
        assert "Asking 2 documents (w*) only" in screen_text(app.status)
        await command(pilot, "/doc")
        assert app.scope is None and "Asking" not in screen_text(app.status)
        whole = await ask(pilot, question)
        assert whole.scope is None and "asked of" not in screen_text(whole)

    run(app, scenario)


def test_the_document_picker_sets_the_scope(make_trials_chat) -> None:
    app = make_trials_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        app.action_pick_document()
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "the picker")
        await pilot.press(*"warmpack")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.scope == ["warmpack.txt"], "the scope")
        turn = await ask(pilot, "How long was the follow-up?")
        assert {c.doc for c in turn.answer.citations} == {"warmpack.txt"}

    run(app, scenario)
