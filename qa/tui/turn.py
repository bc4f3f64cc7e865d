"""One turn of the conversation: the question, what was searched, the answer."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from qa.models import Answer
from qa.tui.citation import CitationView
from qa.tui.safe_text import literal, one_line


def normalise(question: str) -> str:
    return " ".join(question.split())


class TurnView(Vertical):
    """A question and, once it is answered, the answer and its citations."""

    DEFAULT_CSS = """
    TurnView {
        height: auto;
        margin: 0 0 1 0;
    }
    TurnView > .turn--question {
        text-style: bold;
        color: $text;
    }
    TurnView > .turn--scope {
        color: $text-muted;
        padding-left: 2;
    }
    TurnView > .turn--searched {
        color: $text-muted;
        padding-left: 2;
    }
    TurnView > .turn--status {
        color: $text-muted;
        text-style: italic;
        padding-left: 2;
    }
    TurnView > .turn--answer {
        padding-left: 2;
    }
    TurnView > .turn--not-found {
        padding-left: 2;
        color: $warning;
        text-style: bold;
    }
    TurnView > .turn--uncertain {
        padding-left: 2;
        color: $warning;
    }
    TurnView > .turn--error {
        padding-left: 2;
        color: $error;
    }
    TurnView > .turn--finding {
        padding-left: 2;
        color: $text-accent;
    }
    TurnView > .turn--related {
        padding-left: 2;
        color: $text-muted;
    }
    TurnView > CitationView {
        margin-left: 1;
    }
    TurnView > .turn--value {
        background: $warning 35%;
        text-style: bold;
    }
    """

    COMPONENT_CLASSES = {"turn--value"}

    def __init__(self, turn_id: int, question: str, scope: list[str] | None = None, scope_text: str = "") -> None:
        super().__init__(id=f"turn-{turn_id}")
        self.turn_id = turn_id
        self.question = question
        self.scope = scope
        """The documents the question is asked of (None: the whole corpus)."""
        self.scope_text = scope_text
        self.answer: Answer | None = None
        self.error: str | None = None
        self.status_text = "Waiting for the index and model to load…"

    def compose(self) -> ComposeResult:
        q = Text("❯ ")
        q.append_text(literal(one_line(self.question)))
        yield Static(q, classes="turn--question")
        if self.scope is not None:
            yield Static(literal(f"asked of {one_line(self.scope_text)} only"), classes="turn--scope")
        if not self.done:
            yield Static(Text(self.status_text), classes="turn--status")

    @property
    def done(self) -> bool:
        return self.answer is not None or self.error is not None

    @property
    def citations(self) -> list[CitationView]:
        return list(self.query(CitationView))

    @property
    def understood(self) -> str | None:
        """The question as the engine searched it (its follow-up context added, its typos
        corrected, its abbreviations not spelled out): what the next follow-up builds on."""
        return self.answer.searched if self.answer is not None and self.answer.searched else None

    @property
    def searched(self) -> str | None:
        """The text searched, when it differs from what was typed."""
        if self.answer is None or not self.answer.searched:
            return None
        if normalise(self.answer.searched) == normalise(self.question):
            return None
        return self.answer.searched

    def set_status(self, text: str) -> None:
        self.status_text = text
        for status in self.query(".turn--status").results(Static):
            status.update(Text(text))

    def show_answer(self, answer: Answer) -> None:
        self.answer = answer
        self.query(".turn--status").remove()
        widgets: list[Static] = []
        if self.searched:
            line = Text("searched: ")
            line.append_text(literal(one_line(self.searched), "italic"))
            widgets.append(Static(line, classes="turn--searched"))
        confidence = Text(f"   confidence {answer.confidence:.0%}", style="dim")
        if answer.abstained:
            widgets.append(Static(Text(one_line(answer.not_found)), classes="turn--not-found"))
            if answer.citations:
                widgets.append(Static(Text("Related passages (not an answer):"), classes="turn--related"))
        else:
            line = Text()
            line.append("Answer: ", style="bold")
            if answer.answer:
                line.append_text(literal(one_line(answer.answer), self.get_component_rich_style("turn--value")))
            else:
                line.append("see [1]", style="italic")
            line.append_text(confidence)
            widgets.append(Static(line, classes="turn--answer"))
            if answer.uncertainty:
                widgets.append(Static(Text(answer.uncertainty), classes="turn--uncertain"))
        if answer.finding is not None:
            widgets.append(Static(literal(f"Reported finding: {answer.finding.describe()}"), classes="turn--finding"))
        self.mount_all(widgets)
        value = None if answer.abstained else answer.answer
        self.mount_all(
            CitationView(self.turn_id, n, c, value if n == 1 else None, related=answer.abstained)
            for n, c in enumerate(answer.citations, 1)
        )

    def show_error(self, text: str) -> None:
        self.error = text
        self.query(".turn--status").remove()
        self.mount(Static(literal(text), classes="turn--error"))
