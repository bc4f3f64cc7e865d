"""Asking many questions: in chunks, each answer handed on as soon as its chunk is done.

`qa batch`, `qa grid`, `qa eval`-style runs and the chat's grid share this loop.
Questions go to `Engine.ask_many` a chunk at a time (so that encodings are
batched and each distinct question is encoded once), and the caller writes each
answer before the next chunk is asked: an interrupted run loses at most the
chunk in flight. If a chunk fails, its questions are asked one by one, so that
one question that makes the engine fail is reported alone and the others are
answered.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qa.errors import QAError

if TYPE_CHECKING:
    from qa.answering.engine import Engine
    from qa.models import Answer

CHUNK = 64
"""Questions per Engine.ask_many call: small enough that little is lost when a run is
interrupted."""
ENCODE_AHEAD = 512
"""Questions encoded at once before their chunks are asked (Engine.encode_ahead): one
batch sorted by length pads less than a chunk's."""


@dataclass(frozen=True, slots=True)
class Ask:
    """One question to ask: its id, and the documents it is asked of (None: the corpus)."""

    question: str
    id: str | None = None
    docs: tuple[str, ...] | None = None
    line: int = 0
    """Where it came from in its question file (for messages), 0 if nowhere."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What asking gave: an answer, or why there is none (a message for people)."""

    ask: Ask
    index: int
    """The position of `ask` in the sequence asked."""
    answer: Answer | None
    error: str | None = None


def answer_all(engine: Engine, asks: Sequence[Ask], *, k: int | None = None, chunk: int = CHUNK) -> Iterator[Outcome]:
    """Every question's outcome, in order, one chunk of Engine.ask_many calls at a time.

    The next chunk is asked only when the caller has taken every outcome of
    this one (this is a generator), so what the caller writes is on disk before
    more is asked.
    """
    step = max(1, chunk)
    encoded = 0  # asks[:encoded] were encoded ahead
    for start in range(0, len(asks), step):
        if start >= encoded:
            encoded = start + max(ENCODE_AHEAD, step)
            try:
                engine.encode_ahead([a.question for a in asks[start:encoded]])
            except Exception:  # only a speed-up: each chunk encodes what it lacks
                pass
        part = asks[start : start + step]
        try:
            answers = engine.ask_many([a.question for a in part], k=k, ids=[a.id for a in part], **_scopes(part))
        except Exception:  # one question failing must not sink the others: ask one by one
            answers = None
        if answers is not None:
            for n, (a, ans) in enumerate(zip(part, answers, strict=True)):
                yield Outcome(a, start + n, ans)
            continue
        for n, a in enumerate(part):
            try:
                if a.docs is None:
                    ans = engine.ask(a.question, k=k, id=a.id)
                else:
                    ans = engine.ask(a.question, k=k, id=a.id, docs=list(a.docs))
            except QAError as exc:
                yield Outcome(a, start + n, None, exc.message.rstrip("."))
            except Exception as exc:
                yield Outcome(a, start + n, None, f"could not be answered (internal error: {exc.__class__.__name__}: {exc})")
            else:
                yield Outcome(a, start + n, ans)


def _scopes(part: Sequence[Ask]) -> dict[str, Any]:
    # Passed only when some question has a scope: engines that predate scopes
    # (and the tests' stand-ins) take the call as before.
    if all(a.docs is None for a in part):
        return {}
    return {"docs": [list(a.docs) if a.docs is not None else None for a in part]}
