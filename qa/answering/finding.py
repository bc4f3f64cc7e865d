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
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.answering.query import is_comparison
from qa.index import graphs
from qa.index.adapters import digest, load_tensors, merge_adapter, weights_path
from qa.index.corpus_index import CorpusIndex
from qa.index.dense import embedding_text
from qa.index.embed import resolve_model
from qa.models import FINDING_LABELS, Citation, Finding

BASE = "all-MiniLM-L6-v2"
"""The packaged model the finding model's layers replace part of."""
FINDING = "finding.safetensors"
CALIBRATION = "finding.json"
class FindingReader:
    """Reads findings through the exported ONNX graph (qa.index.graphs) when there is
    one that agrees with the torch model; else loads torch once, answers with it and
    exports the graph. Thread-safe (the chat answers in a worker)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.path = folder / FINDING if folder else weights_path(FINDING)
        self._torch: Any = None
        self._graph: Any = None
        self._lock = threading.Lock()
        cal = self.path.with_name(CALIBRATION)
        settings = json.loads(cal.read_text("utf-8")) if cal.is_file() else {}
        self.temperature = float(settings.get("temperature", 1.0))
        self.threshold = float(settings.get("threshold", 0.9))
        self.max_length = int(settings.get("max_length", 192))
        self.base = resolve_model(BASE)

    @property
    def available(self) -> bool:
        return self.path.is_file()

    @property
    def key(self) -> str:
        return graphs.graph_key("finding", digest(self.path), BASE, str(self.max_length))

    def _load_torch(self) -> Any:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging

        logging.disable_progress_bar()
        bert = AutoModel.from_pretrained(self.base)
        tensors = load_tensors(self.path)
        merge_adapter(bert, tensors, prefix="bert.")
        head = torch.nn.Linear(bert.config.hidden_size, len(FINDING_LABELS))
        with torch.no_grad():
            head.weight.copy_(tensors["head.weight"].float())
            head.bias.copy_(tensors["head.bias"].float())

        class Reader(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert, self.head = bert, head

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
                h = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
                m = attention_mask.unsqueeze(-1).to(h.dtype)
                logits: torch.Tensor = self.head((h * m).sum(1) / m.sum(1).clamp(min=1e-9))
                return logits

        return Reader().eval()

    def _inputs(self, pairs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
        return graphs.batch_inputs(graphs.tokenizer(self.base, self.max_length).encode_batch(pairs))

    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Uncalibrated class scores for (question, passage) pairs."""
        with self._lock:
            if self._graph is None:
                path = graphs.usable("finding", self.key)
                if path is not None:
                    self._graph = graphs.session(path)
            if self._graph is None and self._torch is None:
                self._torch = self._load_torch()
        x = self._inputs(pairs)
        if self._graph is not None:
            out: np.ndarray = self._graph.run(["logits"], x)[0].astype(np.float64)
            return out
        out = self._torch_logits(x)
        self._export(x)
        return out

    def _torch_logits(self, x: dict[str, np.ndarray]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out: np.ndarray = self._torch(**{k: torch.from_numpy(v) for k, v in x.items()}).numpy().astype(np.float64)
        return out

    def _export(self, example: dict[str, np.ndarray]) -> None:
        import torch

        if graphs.tried("finding", self.key):
            return
        check_x = self._inputs([(q, p) for q, p in zip(graphs.CHECK_TEXTS, reversed(graphs.CHECK_TEXTS), strict=True)])
        want = softmax(self._torch_logits(check_x))

        def check(path: Path) -> float:
            got = softmax(graphs.open_session(path, keep=False).run(["logits"], check_x)[0].astype(np.float64))
            return 1.0 - float(np.abs(got - want).max())  # 1 − the largest probability difference

        graphs.export("finding", self.key, self._torch, {k: torch.from_numpy(v) for k, v in example.items()}, ["logits"], check)

    def export_graph(self) -> None:
        """Export the graph unless that was tried (called where torch is loaded anyway)."""
        if not self.available or graphs.tried("finding", self.key):
            return
        with self._lock:
            if self._torch is None:
                self._torch = self._load_torch()
        self._export(self._inputs([("How did A compare with B on C?", "C fell with A (p = 0.01).")]))

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


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of class scores."""
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(1, keepdims=True)
    return out


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
