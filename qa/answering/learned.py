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
    with LightGBM, evaluated here with NumPy). The trees are padded into one array per
    part (split feature, threshold, children: tree × node; leaf values: tree × leaf,
    a leaf numbered ~i), so every row descends every tree at once, a level per step."""

    features: tuple[str, ...]
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    extra: tuple[tuple[str, float], ...] = ()

    def score(self, rows: np.ndarray) -> np.ndarray:
        n_trees, width = self.feature.shape
        base = np.arange(n_trees) * width  # each tree's first node in the flat arrays
        feature, threshold = self.feature.ravel(), self.threshold.ravel()
        left, right = self.left.ravel(), self.right.ravel()
        flat_rows = np.ascontiguousarray(rows, np.float64).ravel()
        row_base = (np.arange(len(rows)) * rows.shape[1])[:, None]
        node = np.broadcast_to(self.roots, (len(rows), n_trees)).copy()
        for _ in range(width + 1):  # no path is longer than a tree's internal nodes
            inner = node >= 0
            if not inner.any():
                break
            at = np.where(inner, node, 0) + base
            x = flat_rows.take(row_base + feature.take(at))
            step = np.where(x <= threshold.take(at), left.take(at), right.take(at))
            node = np.where(inner, step, node)
        out: np.ndarray = self.value.ravel().take(~node + np.arange(n_trees) * self.value.shape[1]).sum(axis=1)
        return out

    def get(self, name: str, default: float) -> float:
        return dict(self.extra).get(name, default)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TreeModel:
        names = tuple(str(n) for n in data["features"])
        trees = data["trees"]
        inner = max([len(t["feature"]) for t in trees] + [1])
        leaves = max([len(t["value"]) for t in trees] + [1])
        shape = (len(trees), inner)
        feature, left, right = (np.zeros(shape, np.int64) for _ in range(3))
        threshold = np.zeros(shape, np.float64)
        value = np.zeros((len(trees), leaves), np.float64)
        for i, t in enumerate(trees):
            n = len(t["feature"])
            feature[i, :n], threshold[i, :n] = t["feature"], t["threshold"]
            left[i, :n], right[i, :n] = t["left"], t["right"]
            value[i, : len(t["value"])] = t["value"]
        if feature.min() < 0 or feature.max() >= len(names):
            raise ValueError("a split names a feature the model does not have")
        roots = np.array([int(t["root"]) for t in trees], np.int64)
        extra = tuple((str(k), float(v)) for k, v in data.get("settings", {}).items())
        return cls(names, roots, feature, threshold, left, right, value, extra)


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
