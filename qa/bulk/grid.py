"""The extraction grid: every question asked of every document, each document alone.

Systematic reviewers pull the same fields out of every included trial into one
table, with the source of each cell. A cell is one question asked of one
document (a scoped question: only that document's units are ranked), so its
answer can only come from that trial. The questions are analysed and encoded
once for the whole grid and ranked per document (Engine.ask_many keeps their
vectors), which is what makes a grid of hundreds of cells take seconds.

A cell's record is the object `qa grid --format jsonl` writes, one per line:
{"doc", "question_id", "question", "answer", "abstained", "confidence",
"finding", "citations"}, the citations exactly as `qa batch` writes them. What a
cell shows in a table (csv, md, xlsx, the chat) is decided here, once.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qa.bulk.runner import CHUNK, Ask, Outcome, answer_all
from qa.safe import one_line

if TYPE_CHECKING:
    from qa.answering.engine import Engine
    from qa.bulk.questions import Row
    from qa.models import Answer

LOW_CONFIDENCE = 0.75
"""An answered cell below this confidence is marked for checking. Confidence is
0.5 at the abstention threshold, so a cell between 0.5 and this was answered,
but by a passage that matched the question only a little better than would
have been abstained on."""
NOT_FOUND = "—"
"""What a cell shows when qa found no answer to its question in the document."""
LOW_MARK = " (?)"
FINDING_MARKS = {
    "significantly increased": "↑ sig. increased",
    "significantly decreased": "↓ sig. decreased",
    "no significant difference": "= no sig. difference",
}
"""A reported finding as a cell's suffix (the full label is in the quotes file)."""
QUOTE_COLUMNS = (
    "document", "question_id", "question", "answer", "abstained", "confidence", "finding",
    "finding_probability", "quote", "start", "end", "page", "page_end", "table", "section",
)
"""The columns of the quotes file (or sheet): every cell's first citation and where it stands."""


@dataclass(frozen=True, slots=True)
class GridQuestion:
    """A column of the grid: a question with its id (the column's name)."""

    id: str
    question: str
    line: int = 0
    """Its line in the question file, for messages (0: a preset's row number)."""


def grid_questions(rows: Sequence[Row]) -> list[GridQuestion]:
    """The columns for question-file rows (already cleaned and checked)."""
    return [GridQuestion(r.id, r.question or "", r.line) for r in rows]


def cell_key(record: dict[str, Any]) -> str:
    """A cell's name, from its record: its document and question id."""
    return key_of(record["doc"], record["question_id"])


def key_of(doc: str, question_id: str) -> str:
    return json.dumps([doc, question_id], ensure_ascii=False)


def cell_record(doc: str, question: GridQuestion, answer: Answer) -> dict[str, Any]:
    """The cell's record (the jsonl object), from its answer."""
    d = answer.to_json()
    return {
        "doc": doc,
        "question_id": question.id,
        "question": question.question,
        "answer": d["answer"],
        "abstained": d["abstained"],
        "confidence": d["confidence"],
        "finding": d["finding"],
        "citations": d["citations"],
    }


def todo(docs: Sequence[str], questions: Sequence[GridQuestion], done: Collection[str] = ()) -> list[tuple[str, GridQuestion]]:
    """The cells still to answer, a document's row at a time (so rows finish in order)."""
    return [(d, q) for d in docs for q in questions if key_of(d, q.id) not in done]


def run_grid(
    engine: Engine, cells: Sequence[tuple[str, GridQuestion]], *, k: int | None = None, chunk: int = CHUNK
) -> Iterator[tuple[str, GridQuestion, Outcome]]:
    """Ask each cell's question of its document alone, yielding each outcome as its chunk is answered."""
    asks = [Ask(q.question, q.id, (d,), q.line) for d, q in cells]
    for out in answer_all(engine, asks, k=k, chunk=chunk):
        d, q = cells[out.index]
        yield d, q, out


def is_low(record: dict[str, Any]) -> bool:
    """Answered, but with a confidence below LOW_CONFIDENCE."""
    return not record["abstained"] and record["confidence"] < LOW_CONFIDENCE


def cell_value(record: dict[str, Any] | None) -> str:
    """What a cell says, on one line: the short answer, else the quote, with the
    reported finding after it; NOT_FOUND when qa abstained; "" for a cell with no
    record (not answered yet, or failed)."""
    if record is None:
        return ""
    if record["abstained"]:
        return NOT_FOUND
    cites = record["citations"]
    text = record["answer"] or (cites[0]["text"] if cites else "")
    finding = record.get("finding")
    if finding:
        text = f"{text} · {FINDING_MARKS.get(finding['label'], finding['label'])}"
    return one_line(text)


def cell_text(record: dict[str, Any] | None) -> str:
    """The cell as csv and md show it: cell_value, with LOW_MARK when low."""
    text = cell_value(record)
    return text + LOW_MARK if record is not None and is_low(record) else text


def quote_row(record: dict[str, Any]) -> list[object]:
    """A cell's row of the quotes file (QUOTE_COLUMNS): its first citation verbatim."""
    c = record["citations"][0] if record["citations"] else {}
    finding = record.get("finding") or {}
    return [
        record["doc"], record["question_id"], record["question"], record["answer"] or "",
        str(record["abstained"]).lower(), record["confidence"], finding.get("label", ""),
        finding.get("probability", ""), c.get("text", ""), c.get("start", ""), c.get("end", ""),
        _blank(c.get("page")), _blank(c.get("page_end")), _blank(c.get("table")), c.get("section", ""),
    ]


def _blank(v: object) -> object:
    return "" if v is None else v
