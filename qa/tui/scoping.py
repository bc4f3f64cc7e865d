"""Which documents the chat asks: the scope (/doc, the document picker) and the grids.

The scope is the list of documents every following question is asked of
(None: the whole corpus). It is set by typing `/doc NAME` in the question box
(a corpus file, its name without the suffix, or a glob; `/doc` alone or
`/doc *` clears it) or with the command palette's "Ask one document…", and
it is shown in the status line until cleared. Grids ("Grid: RCT preset",
"Grid from file…") ask every question of each of the scope's documents, else
of every document.

This is a base class of the chat's app (QAApp), which keeps the conversation
in its own module.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.notifications import SeverityLevel

from qa.errors import QAError
from qa.safe import plural
from qa.tui.path_prompt import PathPrompt
from qa.tui.safe_text import clean, one_line
from qa.tui.status_line import StatusLine

if TYPE_CHECKING:
    from qa.answering.engine import Engine
    from qa.bulk.grid import GridQuestion

_DOC_COMMAND = re.compile(r"\s*/doc(?:\s+(?P<name>.*?))?\s*", re.S | re.I)
PRESET = "rct"


def doc_command(text: str) -> str | None:
    """The NAME of a `/doc NAME` line ("" for `/doc` alone or `/doc *`); None for a question."""
    m = _DOC_COMMAND.fullmatch(text)
    if m is None:
        return None
    name = (m.group("name") or "").strip()
    return "" if name == "*" else name


def scope_label(docs: Sequence[str], name: str) -> str:
    """How the status line names a scope: the document, or how many and the name typed."""
    return docs[0] if len(docs) == 1 else f"{plural(len(docs), 'document')} ({name})"


class ScopedApp(App[None]):
    """An app that asks the whole corpus, or the documents in its scope, and builds grids."""

    engine: Engine | None
    state: str

    def __init__(self) -> None:
        super().__init__()
        self.engine_lock = threading.Lock()
        """Held while the engine answers: a grid being filled and the chat take turns."""
        self.scope: list[str] | None = None
        """The documents questions are asked of; None: the whole corpus."""
        self.scope_text = ""
        """The scope as the status line shows it ("" for the whole corpus)."""

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    def say(self, message: str, *, title: str = "", severity: SeverityLevel = "information", timeout: float | None = None) -> None:
        """A notification whose text (paths, errors, document names) is shown literally."""
        self.notify(clean(message), title=one_line(title), severity=severity, timeout=timeout, markup=False)

    def _can_ask(self, what: str) -> bool:
        if self.engine is not None and self.state == "ready":
            return True
        self.say(f"The index is still loading; {what} once it is ready.", severity="warning")
        return False

    # --- the scope -------------------------------------------------------------------------

    def set_scope(self, name: str | None) -> bool:
        """Ask the documents `name` means from now on (None, "" or "*": the whole corpus)."""
        if not name or name.strip() == "*":
            self.scope, self.scope_text = None, ""
            self.status.scope = ""
            self.say("Questions now go to the whole corpus.", title="Scope")
            return True
        if not self._can_ask("choose a document"):
            return False
        assert self.engine is not None
        try:
            docs = self.engine.resolve_docs(name)
        except QAError as exc:
            self.say(exc.message + (f"\n{exc.hint}" if exc.hint else ""), title="No such document", severity="error")
            return False
        self.scope, self.scope_text = docs, scope_label(docs, name)
        self.status.scope = self.scope_text
        self.say(f"Questions now go to {self.scope_text} only. /doc alone goes back to the whole corpus.", title="Scope")
        return True

    def action_pick_document(self) -> None:
        """The document picker: the corpus's documents in the command palette, to filter and choose."""
        if not self._can_ask("pick a document"):
            return
        assert self.engine is not None
        choices: list[tuple[str, object, str | None]] = [("All documents", partial(self.set_scope, None), "ask the whole corpus")]
        choices += [(one_line(d.path), partial(self.set_scope, d.path), one_line(d.title) or None) for d in self.engine.index.docs]
        self.search_commands(choices, placeholder="Ask which document? Type to filter…")  # type: ignore[arg-type]

    def action_whole_corpus(self) -> None:
        self.set_scope(None)

    # --- grids -----------------------------------------------------------------------------

    def open_grid(self, questions: Sequence[GridQuestion], title: str) -> None:
        """A grid of these questions over the scope's documents (else all), filled in the background."""
        if not self._can_ask("build the grid"):
            return
        assert self.engine is not None
        from qa.tui.grid_screen import GridScreen

        docs = self.scope or [d.path for d in self.engine.index.docs]
        heading = f"{title}: {plural(len(docs), 'document')} × {plural(len(questions), 'question')}"
        self.push_screen(GridScreen(self.engine, self.engine_lock, docs, questions, heading))

    def action_grid_preset(self) -> None:
        from qa.bulk.grid import grid_questions
        from qa.bulk.presets import preset_rows

        self.open_grid(grid_questions(preset_rows(PRESET)), f"Grid: {PRESET.upper()} preset")

    def action_grid_file(self) -> None:
        prompt = "Build a grid from which question file? (.csv with a 'question' column and optional 'id', .jsonl, .txt)"
        self.push_screen(PathPrompt(prompt, placeholder="questions.csv"), self.grid_from_file)

    def grid_from_file(self, path: Path | None) -> None:
        """A grid of a question file's questions; its bad lines are reported by line number."""
        if path is None:
            return
        from qa.bulk.grid import grid_questions
        from qa.bulk.questions import usable_rows

        try:
            rows, bad = usable_rows(path)
        except QAError as exc:
            self.say(exc.message + (f"\n{exc.hint}" if exc.hint else ""), title="Cannot read the question file", severity="error")
            return
        if bad:
            self.say("\n".join(bad[:5]) + (f"\n… and {len(bad) - 5} more" if len(bad) > 5 else ""), title="Lines skipped", severity="warning", timeout=10)
        if not rows:
            self.say(f"{path} has no question to ask.", severity="error")
            return
        self.open_grid(grid_questions(rows), f"Grid: {path.name}")
