"""Messages that the background workers post to the app.

Workers run in threads; `post_message` is thread-safe, and the handlers run on
the app's event loop, so only they touch widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from qa.index.build import BuildReport
    from qa.models import Answer


@dataclass
class EngineProgress(Message):
    """A line of progress while the index loads or builds."""

    text: str


@dataclass
class IndexLoaded(Message):
    """The index is open (the model may still be loading)."""

    report: BuildReport
    documents: int
    units: int
    model: str
    rebuilt: bool = False


@dataclass
class EngineReady(Message):
    """Index and model are loaded: questions can be answered."""


@dataclass
class EngineFailed(Message):
    """Loading or rebuilding failed; `text` is meant for the user."""

    text: str


@dataclass
class AnswerReady(Message):
    """The answer to the turn with this id."""

    turn_id: int
    answer: Answer


@dataclass
class AnswerFailed(Message):
    """The question of this turn could not be answered; `text` says why."""

    turn_id: int
    text: str


@dataclass
class GridCellReady(Message):
    """A grid cell answered: `answer` to question `question_id` asked of `doc` alone."""

    doc: str
    question_id: str
    answer: Answer


@dataclass
class GridCellFailed(Message):
    """A grid cell could not be answered; `text` says why."""

    doc: str
    question_id: str
    text: str


@dataclass
class GridFinished(Message):
    """Every cell of the grid has been asked (or the asking was stopped)."""
