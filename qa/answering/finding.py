"""The reported finding: what the cited evidence says a comparison found.

For a question comparing an intervention with a comparator on an outcome ("How
did X compare with Y on Z?"), a cross-encoder trained on doctors' labels
(Evidence Inference; training/finding.py) reads the question and the first
citation together and says whether the intervention significantly increased
the outcome, significantly decreased it, or made no significant difference.
Its probability is temperature-calibrated on held-out articles, and the
engine reports the finding only at or above the threshold fitted with it.
The model is the packaged MiniLM with the low-rank changes and the head of
qa/weights/finding.safetensors merged in (qa.index.adapters).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.answering.cross import CrossEncoder, softmax
from qa.answering.query import is_comparison
from qa.index.adapters import weights_path
from qa.index.corpus_index import CorpusIndex
from qa.index.dense import embedding_text
from qa.models import FINDING_LABELS, Citation, Finding

FINDING = "finding.safetensors"
CALIBRATION = "finding.json"
class FindingReader:
    """The finding model (a qa.answering.cross.CrossEncoder) with its calibration."""

    def __init__(self, folder: Path | None = None) -> None:
        path = folder / FINDING if folder else weights_path(FINDING)
        cal = path.with_name(CALIBRATION)
        settings = json.loads(cal.read_text("utf-8")) if cal.is_file() else {}
        self.temperature = float(settings.get("temperature", 1.0))
        self.threshold = float(settings.get("threshold", 0.9))
        self.model = CrossEncoder("finding", path, len(FINDING_LABELS), int(settings.get("max_length", 192)))

    @property
    def available(self) -> bool:
        return self.model.available

    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Uncalibrated class scores for (question, passage) pairs."""
        return self.model.logits(pairs)

    def export_graph(self) -> None:
        """Export the graph unless that was tried (called where torch is loaded anyway)."""
        self.model.export_graph(("How did A compare with B on C?", "C fell with A (p = 0.01)."))

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Calibrated class probabilities for (question, passage) pairs."""
        return softmax(self.logits(pairs) / self.temperature)

    def read(self, question: str, passage: str) -> Finding | None:
        """The finding the passage reports, when the model is sure enough; else None."""
        if not self.available or not is_comparison(question):
            return None  # other questions have no finding to report
        p = self.probabilities([(question, passage)])[0]
        best = int(p.argmax())
        return Finding(FINDING_LABELS[best], float(p[best])) if p[best] >= self.threshold else None


def finding_passage(index: CorpusIndex, citation: Citation) -> str:
    """What the finding model reads for a citation: its best-ranked unit with the unit's
    headings, the text it was trained on (training.data.Doc.passage). Fed the citation as
    shown (a neighbour joined, no headings) it was right for 0.652 of EI train part b's
    questions, asked of their articles; fed this, 0.692."""
    if not citation.units:
        return citation.text
    return embedding_text(index.units[citation.units[0]])


@lru_cache(maxsize=4)
def finding_reader(folder: Path) -> FindingReader:
    """One reader per weights folder and process (the model loads on first use)."""
    return FindingReader(folder)
