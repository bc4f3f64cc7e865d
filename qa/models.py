"""Plain data passed between the pipeline stages and the front ends."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Unit:
    """A citable span of a document: a sentence, a list item, a table row or a reference."""

    doc: int
    """Index of the document in the corpus listing."""
    start: int
    """Offset of the first character in the document text."""
    end: int
    """Offset one past the last character (text == document_text[start:end])."""
    text: str
    """The verbatim source text."""
    section: tuple[str, ...]
    """Heading path, outermost first (e.g. ("Safety (n=123)",))."""
    kind: str
    """"sentence", "bullet" (a list item), "row" (a table row), "reference" or "meta"."""
    block: int
    """Index of the paragraph or list item the unit belongs to, per document."""
    page: int | None = None
    """1-based page where the unit starts (PDF), else None."""
    page_end: int | None = None
    """1-based page where the unit ends (PDF; the same as page unless it runs over a page break)."""
    table: str | None = None
    """Table rows and captions: the table's label ("Table 2")."""
    context: str = ""
    """Table rows: the table's label, caption and column headers, embedded and
    searched with the row but never quoted."""


@dataclass(slots=True)
class Citation:
    """A quoted passage with where it stands and how well it scored."""

    doc: str
    start: int
    end: int
    text: str
    section: str
    score: float
    units: tuple[int, ...] = ()
    """Unit ids the passage is made of (one, or two adjacent sentences), the best-ranked first."""
    page: int | None = None
    """1-based page where the passage starts (PDF), else None."""
    page_end: int | None = None
    """1-based page where it ends (PDF), else None."""
    table: str | None = None
    """The table a cited row or caption belongs to ("Table 2"), else None."""

    def pages(self) -> str:
        """Where the passage stands in a paged document: "p. 4", "pp. 4–5", or ""."""
        if self.page is None:
            return ""
        if self.page_end is not None and self.page_end != self.page:
            return f"pp. {self.page}–{self.page_end}"
        return f"p. {self.page}"

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("units")
        d["score"] = round(self.score, 4)
        return d


FINDING_LABELS = ("significantly increased", "significantly decreased", "no significant difference")
"""What a trial can report for an outcome: the Evidence Inference labels."""


@dataclass(frozen=True, slots=True)
class Finding:
    """What the cited evidence reports for a comparison: the direction of the
    result, and how sure the model that read it is (set by the engine only when
    that is high; the front ends show it when present)."""

    label: str
    """One of FINDING_LABELS."""
    probability: float
    """The model's calibrated probability of the label, 0 to 1."""

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "probability": round(self.probability, 4)}

    def describe(self) -> str:
        """As people read it, the same in every front end: "significantly decreased (model confidence 0.93)"."""
        return f"{self.label} (model confidence {self.probability:.2f})"


UNCERTAIN_BELOW = 0.7
"""Answers with a lower confidence (a calibrated probability) carry a warning."""


@dataclass(slots=True)
class Answer:
    """The result of asking one question."""

    question: str
    answer: str | None
    abstained: bool
    citations: list[Citation]
    confidence: float = 0.0
    searched: str = ""
    """The question as understood: a follow-up rewritten with the previous turn's context."""
    id: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    finding: Finding | None = None
    """For a comparison question, what the cited evidence reports (None when not
    asked, not known, or not known well enough to say)."""
    reason: str | None = None
    """Why qa abstained, in words for people, where a check says so ("the closest passage
    reports a group the question does not name"); None when it answered or the
    confidence alone was too low."""

    @property
    def not_found(self) -> str:
        """What qa says when it abstains, with the reason when a check gave one: the same
        words in every front end."""
        return f"Not found in the corpus: {self.reason}." if self.reason else "Not found in the corpus."

    @property
    def uncertainty(self) -> str | None:
        """A plain warning for an answer given with low confidence (None when confident
        or when qa abstained), the same words in every front end."""
        if self.abstained or self.confidence >= UNCERTAIN_BELOW:
            return None
        tens = max(1, round(self.confidence * 10))
        return f"Uncertain: answers given with this confidence are right about {tens} times in 10. Check the passage."

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "reason": self.reason,
            "finding": self.finding.to_json() if self.finding is not None else None,
            "citations": [c.to_json() for c in self.citations],
        }
