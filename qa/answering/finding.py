"""The reported finding: what the cited evidence says a comparison found.

For a question comparing an intervention with a comparator on an outcome ("How
did X compare with Y on Z?"), a cross-encoder trained on doctors' labels
(Evidence Inference; training/finding.py) reads the question and the first
citation together and says whether the intervention significantly increased
the outcome, significantly decreased it, or made no significant difference.
Its probability is temperature-calibrated on held-out articles, and the
engine reports the finding only at or above the threshold fitted with it.
The model is the packaged MiniLM with its top layers and a head replaced by
qa/weights/finding.safetensors.
"""

from __future__ import annotations

import json
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import QAError
from qa.index.adapters import load_tensors, weights_path
from qa.index.embed import resolve_model
from qa.models import FINDING_LABELS, Finding

FINDING = "finding.safetensors"
CALIBRATION = "finding.json"
_COMPARISON = re.compile(
    r"\b(?:compar\w*|versus|vs\.?|relative to|rather than|than|against|differ\w*|between\b.+\band\b|effect of\b.+\bon\b)",
    re.I,
)


def is_comparison(question: str) -> bool:
    """The question compares two arms, or asks an intervention's effect on an outcome."""
    return bool(_COMPARISON.search(question))


class FindingReader:
    """Loads the model on first use; thread-safe (the chat answers in a worker)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.path = folder / FINDING if folder else weights_path(FINDING)
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        cal = self.path.with_name(CALIBRATION)
        settings = json.loads(cal.read_text("utf-8")) if cal.is_file() else {}
        self.temperature = float(settings.get("temperature", 1.0))
        self.threshold = float(settings.get("threshold", 0.9))
        self.max_length = int(settings.get("max_length", 192))

    @property
    def available(self) -> bool:
        return self.path.is_file()

    def _load(self) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging

        logging.disable_progress_bar()

        base = resolve_model("all-MiniLM-L6-v2")
        bert = AutoModel.from_pretrained(base)
        tensors = load_tensors(self.path)
        params = dict(bert.named_parameters())
        head = torch.nn.Linear(bert.config.hidden_size, len(FINDING_LABELS))
        with torch.no_grad():
            for key, value in tensors.items():
                if key.startswith("bert."):
                    name = key[len("bert."):]
                    if name not in params:
                        raise QAError(f"The finding model does not fit the base model ({name}).")
                    params[name].copy_(value.to(params[name].dtype))
            head.weight.copy_(tensors["head.weight"].float())
            head.bias.copy_(tensors["head.bias"].float())
        bert.eval()
        self._model = (bert, head)
        self._tokenizer = AutoTokenizer.from_pretrained(base)

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Calibrated class probabilities for (question, passage) pairs."""
        import torch

        with self._lock:
            if self._model is None:
                self._load()
        bert, head = self._model
        x = self._tokenizer([q for q, _ in pairs], [p for _, p in pairs], truncation="longest_first",
                            max_length=self.max_length, padding=True, return_tensors="pt")
        with torch.inference_mode():
            h = bert(**x).last_hidden_state
            m = x["attention_mask"].unsqueeze(-1).to(h.dtype)
            logits = head((h * m).sum(1) / m.sum(1)).numpy().astype(np.float64)
        z = logits / self.temperature
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        out: np.ndarray = p / p.sum(1, keepdims=True)
        return out

    def read(self, question: str, passage: str) -> Finding | None:
        """The finding the passage reports, when the model is sure enough; else None."""
        if not self.available or not is_comparison(question):
            return None  # other questions have no finding to report
        p = self.probabilities([(question, passage)])[0]
        best = int(p.argmax())
        return Finding(FINDING_LABELS[best], float(p[best])) if p[best] >= self.threshold else None


@lru_cache(maxsize=4)
def finding_reader(folder: Path) -> FindingReader:
    """One reader per weights folder and process (the model loads on first use)."""
    return FindingReader(folder)
