"""The chat: ask, read the cited sentences, open them in their documents.

The window paints at once; the index and the model load in a thread worker,
and questions typed meanwhile wait in a queue. Questions are answered one at
a time in a thread worker, so the UI never blocks. Workers only post messages
(qa.tui.messages); the handlers here update the widgets.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Input
from textual.worker import get_current_worker

from qa.config import Settings
from qa.errors import QAError
from qa.safe import plural
from qa.tui.citation import CitationView, reference
from qa.tui.commands import QACommands
from qa.tui.export import conversation_markdown, export_path
from qa.tui.help_screen import WELCOME, HelpScreen
from qa.tui.loading import build_note, documents_listing, load, run_until_cancelled
from qa.tui.messages import AnswerFailed, AnswerReady, EngineFailed, EngineProgress, EngineReady, IndexLoaded
from qa.tui.opening import cited_document
from qa.tui.passage_pane import PassagePane
from qa.tui.question_input import QuestionInput
from qa.tui.safe_text import clean, one_line
from qa.tui.scoping import ScopedApp, doc_command
from qa.tui.status_line import StatusLine
from qa.tui.transcript import Transcript
from qa.tui.turn import TurnView

if TYPE_CHECKING:
    from qa.answering.engine import Engine

NARROW = 100
"""Below this many columns the passage pane goes under the transcript."""


class QAApp(ScopedApp):
    """Questions answered with quoted, numbered citations from the corpus (or from the
    documents of the scope: qa.tui.scoping)."""

    CSS_PATH = "app.tcss"
    TITLE = "qa"
    AUTO_FOCUS = "QuestionInput"
    """The question box has the focus from the first frame: keys typed while the chat
    starts go into it, not to the citations (whose keys o, space, Enter, c... open and copy)."""
    COMMANDS = App.COMMANDS | {QACommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]
    """Screens narrower than NARROW get the -narrow class (see app.tcss)."""
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("escape", "focus_input", "Ask"),
        Binding("ctrl+y", "copy_citation", "Copy citation", show=False),
        Binding("ctrl+s", "export", "Export"),
        Binding("ctrl+r", "rebuild", "Rebuild index"),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(self, corpus: Path, index_dir: Path, settings: Settings | None = None) -> None:
        super().__init__()
        self.corpus = Path(corpus)
        self.index_dir = Path(index_dir)
        self.settings = settings or Settings()
        self.engine: Engine | None = None
        """Created by the loading worker (importing the core takes a moment)."""
        self.state = "loading"
        """"loading", "ready", "rebuilding" or "failed"."""
        self.failure: str | None = None
        self.documents = 0
        self.units = 0
        self._pending: deque[TurnView] = deque()
        self._answering: TurnView | None = None
        self._rebuild_wanted = False
        self._next_turn = 1
        self._open_view: CitationView | None = None
        self.sub_title = f"{one_line(self.corpus.name)}: loading…"

    # --- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield Transcript(Text(WELCOME), id="transcript")
            yield PassagePane(id="passage")
        yield StatusLine("Loading the index…", id="status")
        yield QuestionInput(id="question")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(StatusLine).set(f"Loading the index of {self.corpus}…", busy=True)
        self.load_engine()

    @property
    def transcript(self) -> Transcript:
        return self.query_one(Transcript)

    @property
    def passage(self) -> PassagePane:
        return self.query_one(PassagePane)

    @property
    def question_input(self) -> QuestionInput:
        return self.query_one(QuestionInput)

    @property
    def turns(self) -> list[TurnView]:
        return self.transcript.turns

    # --- loading ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="engine", exit_on_error=False)
    def load_engine(self, rebuild: bool = False) -> None:
        """Open (or build) the index, then load the model: all off the UI thread (qa.tui.loading)."""
        worker = get_current_worker()
        run_until_cancelled(lambda: load(self._engine, rebuild, self.post_message), lambda: worker.is_cancelled)

    def _engine(self) -> Engine:
        """The engine, created on first use (importing the core takes a moment)."""
        if self.engine is None:
            from qa.answering.engine import Engine

            self.engine = Engine(self.corpus, self.index_dir, self.settings)
        return self.engine

    def on_engine_progress(self, message: EngineProgress) -> None:
        self.status.set(message.text, busy=True)

    def on_index_loaded(self, message: IndexLoaded) -> None:
        self.documents, self.units = message.documents, message.units
        self.sub_title = (
            f"{one_line(self.corpus.name)}: {plural(message.documents, 'document')} · "
            f"{plural(message.units, 'unit')} · model {message.model}"
        )
        report = message.report
        note = build_note(report, message.rebuilt)
        if note is not None:
            self.say(note[1], title=note[0])
        for warning in report.warnings[:5]:
            self.say(one_line(warning), title="Corpus", severity="warning", timeout=10)
        if len(report.warnings) > 5:
            self.say(f"… and {len(report.warnings) - 5} more warnings.", severity="warning", timeout=10)
        assert self.engine is not None
        self.passage.show_placeholder(documents_listing(self.engine.index.docs))
        self.status.set(f"Loading the embedding model {message.model}…", busy=True)

    def on_engine_ready(self, _: EngineReady) -> None:
        self.state = "ready"
        self.failure = None
        self.transcript.set_notice(None)
        self._pump()

    def on_engine_failed(self, message: EngineFailed) -> None:
        self.state = "failed"
        self.failure = message.text
        self.say(message.text, title="Cannot load the index", severity="error", timeout=15)
        self.transcript.set_notice(f"Cannot load the index.\n{message.text}\n\nFix the problem, then press Ctrl+R to try again.")
        self._pump()

    # --- asking -------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not isinstance(event.input, QuestionInput):
            return
        event.stop()
        question = event.value
        if not question.strip():
            return
        self.question_input.remember(question)
        self.question_input.value = ""
        name = doc_command(question)
        if name is not None:
            self.set_scope(name)
            return
        self.ask(question)

    def ask(self, question: str) -> TurnView:
        """Add a turn for `question` (asked of the scope); it is answered as soon as the engine is free."""
        turn = TurnView(self._next_turn, question, self.scope, self.scope_text)
        self._next_turn += 1
        self.transcript.add_turn(turn)
        self._pending.append(turn)
        self._pump()
        return turn

    def _pump(self) -> None:
        """Start the next queued job (a rebuild or a question) if the engine is free."""
        if self._answering is not None:
            for t in self._pending:
                t.set_status("Queued…")
            return
        if self._rebuild_wanted and self.state in ("ready", "failed"):
            self._rebuild_wanted = False
            self.state = "rebuilding"
            self.status.set("Rebuilding the index…", busy=True)
            self.load_engine(rebuild=True)
        if self.state != "ready":
            for t in self._pending:
                if self.state == "failed":
                    t.set_status("Waiting: the index could not be loaded. Fix the problem, then press Ctrl+R to retry.")
                else:
                    t.set_status("Waiting for the index and model to load…")
            if self.state == "failed":
                self.status.set(f"Cannot load the index: {self.failure}", error=True)
            return
        if not self._pending:
            self.status.set(f"Ready: {plural(self.documents, 'document')}, {plural(self.units, 'unit')}.")
            return
        turn = self._pending.popleft()
        for t in self._pending:
            t.set_status("Queued…")
        self._answering = turn
        turn.set_status("Searching…")
        self.status.set("Answering…", busy=True)
        previous = self.transcript.previous_question(turn)
        self.answer_worker(turn.turn_id, turn.question, previous, turn.scope)

    @work(thread=True, group="answer", exit_on_error=False)
    def answer_worker(self, turn_id: int, question: str, previous: str | None, docs: list[str] | None = None) -> None:
        assert self.engine is not None
        try:
            with self.engine_lock:
                answer = self.engine.ask(question, previous=previous, docs=docs)
        except QAError as exc:
            self.post_message(AnswerFailed(turn_id, str(exc)))
        except Exception as exc:  # a bug; say so in the turn instead of crashing the chat
            self.post_message(AnswerFailed(turn_id, f"Unexpected error: {type(exc).__name__}: {exc}"))
        else:
            self.post_message(AnswerReady(turn_id, answer))

    def _turn(self, turn_id: int) -> TurnView | None:
        return next((t for t in self.turns if t.turn_id == turn_id), None)

    def on_answer_ready(self, message: AnswerReady) -> None:
        turn = self._turn(message.turn_id)
        self._answering = None
        if turn is not None:
            turn.show_answer(message.answer)
            self.call_after_refresh(self._after_answer)
        self._pump()

    def _after_answer(self) -> None:
        if not self.transcript.has_focus or self.transcript.cursor is None:
            self.transcript.select_latest()
        self.transcript.scroll_end(animate=False)

    def on_answer_failed(self, message: AnswerFailed) -> None:
        turn = self._turn(message.turn_id)
        self._answering = None
        if turn is not None:
            turn.show_error(message.text)
        self.say(message.text, title="Cannot answer", severity="error")
        self._pump()

    # --- citations ----------------------------------------------------------------

    def _selected(self) -> CitationView | None:
        """The citation actions apply to: the cursor, else the open one, else the latest [1]."""
        cursor = self.transcript.cursor
        if cursor is not None and cursor.is_attached:
            return cursor
        if self._open_view is not None and self._open_view.is_attached:
            return self._open_view
        self.transcript.select_latest()
        return self.transcript.cursor

    def on_transcript_open_requested(self, event: Transcript.OpenRequested) -> None:
        self.open_citation(event.view)

    def on_transcript_typed_ahead(self, event: Transcript.TypedAhead) -> None:
        self.question_input.focus()
        self.question_input.insert_text_at_cursor(event.character)

    def on_transcript_copy_requested(self, event: Transcript.CopyRequested) -> None:
        self.copy_citation(event.view)

    def open_citation(self, view: CitationView) -> None:
        """Show a citation in its document in the passage pane."""
        if self.engine is None:
            return
        c = view.citation
        try:
            text, title, pages = cited_document(self.engine, c)
        except QAError as exc:
            self.say(str(exc), title="Cannot open the document", severity="error")
            return
        if self._open_view is not None:
            self._open_view.remove_class("-open")
        self._open_view = view
        view.add_class("-open")
        self.passage.show(view.number, c, text, title, view.value, pages)

    def copy_citation(self, view: CitationView) -> None:
        c = view.citation
        self.copy_to_clipboard(f"“{clean(c.text)}”\n— {clean(reference(c))}")
        self.say(f"Copied citation [{view.number}] and its reference.", title="Copied")

    # --- actions (keys and the command palette) --------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_input":
            return not isinstance(self.focused, QuestionInput)
        return True

    def action_focus_input(self) -> None:
        self.question_input.focus()

    def action_focus_citations(self) -> None:
        self.transcript.focus()

    def action_next_citation(self) -> None:
        self.transcript.focus()
        self.transcript.action_move(1)

    def action_previous_citation(self) -> None:
        self.transcript.focus()
        self.transcript.action_move(-1)

    def action_open_citation(self) -> None:
        view = self._selected()
        if view is None:
            self.say("No citation to open yet: ask a question first.", severity="warning")
            return
        self.open_citation(view)

    def action_copy_citation(self) -> None:
        view = self._selected()
        if view is None:
            self.say("No citation to copy yet: ask a question first.", severity="warning")
            return
        self.copy_citation(view)

    def markdown(self) -> str:
        """The conversation so far, as Markdown."""
        turns = [(t.question, t.answer, t.error) for t in self.turns]
        return conversation_markdown(turns, corpus=str(self.corpus), model=self.settings.model)

    def action_export(self) -> None:
        if not self.turns:
            self.say("Nothing to export yet: ask a question first.", severity="warning")
            return
        path = export_path()
        try:
            path.write_text(self.markdown(), encoding="utf-8")
        except OSError as exc:
            self.say(f"Could not write {path}: {exc.strerror or exc}", title="Export failed", severity="error")
            return
        self.say(f"Saved to {path}", title="Conversation exported")

    def action_rebuild(self) -> None:
        if self.state in ("loading", "rebuilding") or self._rebuild_wanted:
            self.say("The index is already being loaded or rebuilt.", severity="warning")
            return
        self._rebuild_wanted = True
        if self._answering is not None:
            self.status.set("Rebuilding the index after this answer…", busy=True)
        self._pump()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())
