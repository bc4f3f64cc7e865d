"""The grid in the chat: every question asked of every document, filled as the answers come.

A DataTable with a row per document and a column per question. A thread worker
asks the cells with the CLI's own code (qa.bulk.grid.run_grid: each question
encoded once, ranked per document) and posts a message per cell; the handlers
here fill the table. Selecting a cell (Enter, or a click) opens its passage in
the document view beside the table, the chat's PassagePane. Ctrl+S exports the
grid with the CLI's writers (csv, xlsx or md, by the file name's extension);
Esc goes back to the chat, stopping the asking if it is not finished.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import get_current_worker

from qa.bulk.grid import GridQuestion, cell_record, cell_value, is_low, key_of, run_grid, todo
from qa.errors import QAError
from qa.models import Answer
from qa.tui.messages import GridCellFailed, GridCellReady, GridFinished
from qa.tui.opening import cited_document
from qa.tui.passage_pane import PassagePane
from qa.tui.path_prompt import PathPrompt
from qa.tui.safe_text import clean, literal, one_line
from qa.tui.status_line import StatusLine

if TYPE_CHECKING:
    from qa.answering.engine import Engine

CELL_WIDTH = 34
"""Characters of a cell shown in the table (the passage pane has the rest)."""
DOC_COLUMN = "\x00document"
"""The document column's key: no question id can be it."""
EXPORT_FORMATS = {"csv": "csv", "xlsx": "xlsx", "md": "md", "markdown": "md", "jsonl": "jsonl"}


def shown(record: dict[str, Any] | None, width: int = CELL_WIDTH) -> str:
    """A cell's text cut to the column (cell_value: the answer, else the quote)."""
    text = cell_value(record)
    return text if len(text) <= width else text[: width - 1] + "…"


class GridScreen(Screen[None]):
    """A grid of documents × questions, its cells' passages, and its export."""

    CSS_PATH = "grid_screen.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back to the chat"),
        Binding("ctrl+s", "export", "Export"),
    ]
    COMPONENT_CLASSES = {"grid--low", "grid--not-found", "grid--failed", "grid--waiting"}

    def __init__(self, engine: Engine, lock: threading.Lock, docs: Sequence[str], questions: Sequence[GridQuestion], title: str) -> None:
        super().__init__()
        self.engine = engine
        self.engine_lock = lock
        """Held while the engine answers, so that the chat and the grid take turns."""
        self.docs = list(docs)
        self.questions = list(questions)
        self.grid_title = title
        self.records: dict[str, dict[str, Any]] = {}
        """Answered cells' records (the CLI's jsonl objects), by cell key."""
        self.answers: dict[str, Answer] = {}
        self.failed: dict[str, str] = {}
        self.finished = False
        self.opened: tuple[str, str] | None = None
        """The (document, question id) whose passage is on show."""
        self.exported: list[Path] = []

    @property
    def total(self) -> int:
        return len(self.docs) * len(self.questions)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#grid-table", DataTable)

    @property
    def passage(self) -> PassagePane:
        return self.query_one(PassagePane)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#grid-status", StatusLine)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(literal(one_line(self.grid_title)), id="grid-title")
        with Horizontal(id="grid-main"):
            yield DataTable(id="grid-table", cursor_type="cell", zebra_stripes=True)
            yield PassagePane(id="grid-passage")
        yield StatusLine("", id="grid-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.table
        table.add_column("document", key=DOC_COLUMN)
        for q in self.questions:
            table.add_column(Text(one_line(q.id)), key=q.id, width=CELL_WIDTH)
        waiting = self.get_component_rich_style("grid--waiting")
        for d in self.docs:
            table.add_row(Text(one_line(d)), *(Text("…", style=waiting) for _ in self.questions), key=d)
        self.passage.show_placeholder(Text("Select a cell (arrow keys, then Enter, or a click) to read its passage here."))
        self.status.set(f"Asking {self.total} cells: {len(self.docs)} documents × {len(self.questions)} questions…", busy=True)
        table.focus()
        if len(self.questions) > 0:
            table.move_cursor(column=1)
        self.fill()

    # --- filling ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="grid", exit_on_error=False)
    def fill(self) -> None:
        """Ask every cell, a document's row at a time, posting each outcome."""
        worker = get_current_worker()
        outcomes = run_grid(self.engine, todo(self.docs, self.questions), chunk=max(1, len(self.questions)))
        while not worker.is_cancelled:
            with self.engine_lock:
                try:
                    item = next(outcomes, None)
                except Exception as exc:  # a bug: say so in the status line instead of vanishing
                    self.post_message(GridCellFailed("", "", f"Unexpected error: {type(exc).__name__}: {exc}"))
                    break
            if item is None:
                break
            doc, q, out = item
            if out.answer is not None:
                self.post_message(GridCellReady(doc, q.id, out.answer))
            else:
                self.post_message(GridCellFailed(doc, q.id, out.error or "could not be answered"))
        self.post_message(GridFinished())

    def _question(self, question_id: str) -> GridQuestion:
        return next(q for q in self.questions if q.id == question_id)

    def on_grid_cell_ready(self, message: GridCellReady) -> None:
        key = key_of(message.doc, message.question_id)
        record = cell_record(message.doc, self._question(message.question_id), message.answer)
        self.records[key], self.answers[key] = record, message.answer
        style = "grid--not-found" if record["abstained"] else "grid--low" if is_low(record) else None
        text = Text(shown(record), style=self.get_component_rich_style(style) if style else "")
        self.table.update_cell(message.doc, message.question_id, text)
        self._progress()

    def on_grid_cell_failed(self, message: GridCellFailed) -> None:
        if not message.doc:
            self.notify(clean(message.text), title="The grid stopped", severity="error", markup=False)
            return
        self.failed[key_of(message.doc, message.question_id)] = message.text
        self.table.update_cell(message.doc, message.question_id, Text("failed", style=self.get_component_rich_style("grid--failed")))
        self._progress()

    def _progress(self) -> None:
        n = len(self.records) + len(self.failed)
        self.status.set(f"Asked {n} of {self.total} cells…", busy=True)

    def on_grid_finished(self, message: GridFinished) -> None:
        self.finished = True
        failed = f", {len(self.failed)} failed" if self.failed else ""
        self.status.set(f"{len(self.records)} of {self.total} cells answered{failed}. "
                        "Enter opens a cell's passage; Ctrl+S exports; Esc goes back to the chat.")

    # --- cells -----------------------------------------------------------------------------

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        row, column = event.cell_key
        if column.value != DOC_COLUMN and row.value is not None and column.value is not None:
            self.open_cell(row.value, column.value)

    def open_cell(self, doc: str, question_id: str) -> bool:
        """Show a cell's first citation in its document; False (and a word why) when there is none."""
        key = key_of(doc, question_id)
        answer = self.answers.get(key)
        if answer is None:
            self.notify(clean(self.failed.get(key, "This cell is not answered yet.")), markup=False, severity="warning")
            return False
        if not answer.citations:
            self.notify("No passage in this document comes close to the question.", severity="warning")
            return False
        c = answer.citations[0]
        try:
            text, title, pages = cited_document(self.engine, c)
        except QAError as exc:
            self.notify(clean(str(exc)), title="Cannot open the document", severity="error", markup=False)
            return False
        self.opened = (doc, question_id)
        self.passage.show(1, c, text, title, None if answer.abstained else answer.answer, pages)
        return True

    # --- actions ---------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_export(self) -> None:
        name = f"qa-grid-{time.strftime('%Y%m%d-%H%M%S')}.csv"
        prompt = "Export the grid to (.csv or .md: a .quotes file comes with it; .xlsx: a Quotes sheet):"
        self.app.push_screen(PathPrompt(prompt, name), self.export_to)

    def export_to(self, path: Path | None) -> None:
        """Write the grid so far with the CLI's writers, in the format its extension names."""
        if path is None:
            return
        fmt = EXPORT_FORMATS.get(path.suffix.lstrip(".").lower())
        if fmt is None:
            self.notify(clean(f"{path.name}: name a .csv, .xlsx or .md file."), severity="error", markup=False)
            return
        from qa.bulk.gridfiles import write_grid

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.exported = write_grid(path, fmt, self.docs, self.questions, self.records)
        except QAError as exc:
            self.notify(clean(str(exc)), title="Export failed", severity="error", markup=False)
            return
        except OSError as exc:
            self.notify(clean(f"Could not write {path}: {exc.strerror or exc}"), title="Export failed", severity="error", markup=False)
            return
        self.notify(clean("Saved " + ", ".join(str(p) for p in self.exported)), title="Grid exported", markup=False)
