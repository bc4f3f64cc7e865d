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


@dataclass(frozen=True, slots=True)
class TreeModel:
    """score = the sum of each tree's leaf (gradient-boosted trees fitted by training/
    with LightGBM, evaluated here with NumPy: every tree's nodes as flat arrays, a
    leaf numbered ~i)."""

    features: tuple[str, ...]
    trees: tuple[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]
    """Per tree: root, split feature, threshold, left child, right child, leaf values."""
    extra: tuple[tuple[str, float], ...] = ()

    def score(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros(len(rows), np.float64)
        at = np.arange(len(rows))
        for root, feature, threshold, left, right, value in self.trees:
            node = np.full(len(rows), root, np.int64)
            inner = node >= 0
            while inner.any():
                i = node[inner]
                go_left = rows[at[inner], feature[i]] <= threshold[i]
                node[inner] = np.where(go_left, left[i], right[i])
                inner = node >= 0
            out += value[~node]
        return out

    def get(self, name: str, default: float) -> float:
        return dict(self.extra).get(name, default)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TreeModel:
        names = tuple(str(n) for n in data["features"])
        trees = []
        for t in data["trees"]:
            feature = np.asarray(t["feature"], np.int64)
            if feature.size and (feature.min() < 0 or feature.max() >= len(names)):
                raise ValueError("a split names a feature the model does not have")
            trees.append((int(t["root"]), feature, np.asarray(t["threshold"], np.float64), np.asarray(t["left"], np.int64),
                          np.asarray(t["right"], np.int64), np.asarray(t["value"], np.float64)))
        extra = tuple((str(k), float(v)) for k, v in data.get("settings", {}).items())
        return cls(names, tuple(trees), extra)


Model = LinearModel | TreeModel


@lru_cache(maxsize=8)
def _load(path: Path) -> Model | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
        return TreeModel.from_json(data) if data.get("kind") == "trees" else LinearModel.from_json(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise QAError(f"The trained model {path} is damaged: {exc}", hint="Reinstall qa (see the README).") from exc


def ranking_model(trained: bool) -> Model | None:
    """The learned ranking model, or None (untrained or not shipped)."""
    return _load(weights_dir() / RANKER) if trained else None


def confidence_model(trained: bool) -> LinearModel | None:
    """The calibrated confidence model (logistic), or None."""
    model = _load(weights_dir() / CONFIDENCE) if trained else None
    if model is not None and not isinstance(model, LinearModel):
        raise QAError(f"The confidence model in {weights_dir()} is not a logistic model.", hint="Reinstall qa (see the README).")
    return model
