"""The trained ranking and confidence models, read from qa's weights folder.

Both are linear models over standardised features that qa computes at run time
(qa.answering.ranking, qa.answering.confidence); training/ fits them on public
data and writes them as JSON next to the encoder adapter. With Settings.trained
False, or where the files are missing, ranking falls back to the hand-set
Settings.weights and confidence to the old answerability threshold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import QAError
from qa.paths import weights_dir

RANKER = "ranker.json"
CONFIDENCE = "confidence.json"


@dataclass(frozen=True, slots=True)
class LinearModel:
    """score = intercept + coef · (features − mean) / scale."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float = 0.0
    extra: tuple[tuple[str, float], ...] = ()
    """Settings fitted with the model (passage margins, the abstention threshold)."""

    def score(self, rows: np.ndarray) -> np.ndarray:
        """Scores of feature rows (one row per candidate, columns in `features` order)."""
        out: np.ndarray = self.intercept + ((rows - self.mean) / self.scale) @ self.coef
        return out

    def get(self, name: str, default: float) -> float:
        return dict(self.extra).get(name, default)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearModel:
        names = tuple(str(n) for n in data["features"])
        mean, scale, coef = (np.asarray(data[k], np.float64) for k in ("mean", "scale", "coef"))
        if not mean.shape == scale.shape == coef.shape == (len(names),):
            raise ValueError("feature, mean, scale and coef lengths differ")
        extra = tuple((str(k), float(v)) for k, v in data.get("settings", {}).items())
        return cls(names, mean, scale, coef, float(data.get("intercept", 0.0)), extra)


@lru_cache(maxsize=8)
def _load(path: Path) -> LinearModel | None:
    if not path.is_file():
        return None
    try:
        return LinearModel.from_json(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise QAError(f"The trained model {path} is damaged: {exc}", hint="Reinstall qa (see the README).") from exc


def ranking_model(trained: bool) -> LinearModel | None:
    """The learned ranking model, or None (untrained or not shipped)."""
    return _load(weights_dir() / RANKER) if trained else None


def confidence_model(trained: bool) -> LinearModel | None:
    """The calibrated confidence model, or None."""
    return _load(weights_dir() / CONFIDENCE) if trained else None
