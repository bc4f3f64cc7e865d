"""Cross-encoders: the packaged MiniLM reading a question and a passage together.

A cross-encoder is the packaged model with the low-rank changes of a weights file
merged in (qa.index.adapters) and a linear head over the mean of its last layer.
qa ships one, the finding model (qa.answering.finding), which says what a
comparison found; a passage reader built the same way was trained and measured,
and not kept (docs/models.md). It answers through its exported ONNX graph
(qa.index.graphs) when there is one that agrees with the torch model; otherwise
it loads torch once, answers with it and exports the graph for next time.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from qa.index import graphs
from qa.index.adapters import digest, load_tensors, merge_adapter
from qa.index.embed import resolve_model

BASE = "all-MiniLM-L6-v2"
"""The packaged model whose layers a cross-encoder's weights change."""


class CrossEncoder:
    """A (question, passage) model with `outputs` class scores per pair. Thread-safe
    (the chat answers in a worker)."""

    def __init__(self, kind: str, path: Path, outputs: int, max_length: int) -> None:
        self.kind = kind
        self.path = path
        self.outputs = outputs
        self.max_length = max_length
        self.base = resolve_model(BASE)
        self._torch: Any = None
        self._graph: Any = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.path.is_file()

    @property
    def key(self) -> str:
        return graphs.graph_key(self.kind, digest(self.path), BASE, str(self.max_length))

    def _load_torch(self) -> Any:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging

        logging.disable_progress_bar()
        bert = AutoModel.from_pretrained(self.base)
        tensors = load_tensors(self.path)
        merge_adapter(bert, tensors, prefix="bert.")
        head = torch.nn.Linear(bert.config.hidden_size, self.outputs)
        with torch.no_grad():
            head.weight.copy_(tensors["head.weight"].float())
            head.bias.copy_(tensors["head.bias"].float())

        class Model(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert, self.head = bert, head

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
                h = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
                m = attention_mask.unsqueeze(-1).to(h.dtype)
                logits: torch.Tensor = self.head((h * m).sum(1) / m.sum(1).clamp(min=1e-9))
                return logits

        return Model().eval()

    def _inputs(self, pairs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
        return graphs.batch_inputs(graphs.tokenizer(self.base, self.max_length).encode_batch(pairs))

    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Scores for (question, passage) pairs: one row per pair, `outputs` columns."""
        if not pairs:
            return np.zeros((0, self.outputs))
        with self._lock:
            if self._graph is None:
                path = graphs.usable(self.kind, self.key)
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

        if graphs.tried(self.kind, self.key):
            return
        check_x = self._inputs([(q, p) for q, p in zip(graphs.CHECK_TEXTS, reversed(graphs.CHECK_TEXTS), strict=True)])
        want = self._torch_logits(check_x)

        def check(path: Path) -> float:
            got = graphs.open_session(path, keep=False).run(["logits"], check_x)[0].astype(np.float64)
            return agreement(got, want)

        graphs.export(self.kind, self.key, self._torch, {k: torch.from_numpy(v) for k, v in example.items()}, ["logits"], check)

    def export_graph(self, example: tuple[str, str]) -> None:
        """Export the graph unless that was tried (called where torch is loaded anyway)."""
        if not self.available or graphs.tried(self.kind, self.key):
            return
        with self._lock:
            if self._torch is None:
                self._torch = self._load_torch()
        self._export(self._inputs([example]))


def agreement(got: np.ndarray, want: np.ndarray) -> float:
    """1 − the largest difference between two models' class probabilities."""
    return 1.0 - float(np.abs(softmax(got) - softmax(want)).max())


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of class scores."""
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(1, keepdims=True)
    return out
