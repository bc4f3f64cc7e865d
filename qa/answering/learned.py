"""The trained ranking and confidence models, read from qa's weights folder.

Each is a linear model over standardised features or gradient-boosted trees over
features that qa computes at run time (qa.answering.ranking,
qa.answering.confidence); training/ fits them on public data and writes them as
JSON next to the encoder adapter. With Settings.trained
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
    with LightGBM, evaluated here with NumPy in the manner of QuickScorer).

    Every split is tested for every row at once. A split a row fails (it goes right)
    rules out the leaves of that split's left subtree, and the leaf the row reaches is
    the leftmost leaf that no failed split ruled out. With each tree's leaves as bits,
    left to right, a row's leaf is the lowest bit that none of its failed splits set:
    a handful of array operations over all rows and trees, with no walk down them."""

    features: tuple[str, ...]
    feature: np.ndarray
    """Split feature, tree × internal node (padded with splits that never fail)."""
    threshold: np.ndarray
    """Split threshold, tree × internal node: a row goes left when x <= threshold."""
    ruled_out: np.ndarray
    """Per split, the bits of the leaves a row that fails it cannot reach: its left subtree's."""
    value: np.ndarray
    """Leaf values, tree × leaf numbered left to right (padded)."""
    extra: tuple[tuple[str, float], ...] = ()

    def score(self, rows: np.ndarray) -> np.ndarray:
        n_trees, width = self.feature.shape
        x = np.asarray(rows, np.float64)[:, self.feature.ravel()].reshape(len(rows), n_trees, width)
        fails = ~(x <= self.threshold)  # NaN fails, as LightGBM sends it right
        bits = self.ruled_out.dtype.type
        alive = ~np.bitwise_or.reduce(fails.astype(self.ruled_out.dtype) * self.ruled_out, axis=2)
        leaf = np.bitwise_count((alive & (~alive + bits(1))) - bits(1)).astype(np.intp)  # lowest set bit
        out: np.ndarray = self.value.ravel().take(leaf + np.arange(n_trees) * self.value.shape[1]).sum(axis=1)
        return out

    def get(self, name: str, default: float) -> float:
        return dict(self.extra).get(name, default)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TreeModel:
        """Trees as training/ writes them: per tree its root and, per internal node,
        feature, threshold and children (a node id, or ~leaf), and its leaf values."""
        names = tuple(str(n) for n in data["features"])
        trees = data["trees"]
        width = max([len(t["feature"]) for t in trees] + [1])
        n_leaves = max([len(t["value"]) for t in trees] + [1])
        if n_leaves > 64:
            raise ValueError("a tree has more than 64 leaves")
        dtype = next(d for d in (np.uint8, np.uint16, np.uint32, np.uint64) if np.iinfo(d).bits >= n_leaves)
        feature = np.zeros((len(trees), width), np.intp)
        threshold = np.full((len(trees), width), np.inf)
        ruled_out = np.zeros((len(trees), width), dtype)
        value = np.zeros((len(trees), n_leaves), np.float64)
        for i, t in enumerate(trees):
            order, left_leaves = _leaves_in_order(int(t["root"]), t["left"], t["right"])
            if sorted(order) != list(range(len(t["value"]))):
                raise ValueError("a tree's children do not reach each of its leaves once")
            position = {leaf: k for k, leaf in enumerate(order)}
            n = len(t["feature"])
            feature[i, :n], threshold[i, :n] = t["feature"], t["threshold"]
            for node, leaves in left_leaves.items():
                ruled_out[i, node] = sum(1 << position[leaf] for leaf in leaves)
            value[i, : len(order)] = [t["value"][leaf] for leaf in order]
        if feature.min() < 0 or feature.max() >= len(names):
            raise ValueError("a split names a feature the model does not have")
        extra = tuple((str(k), float(v)) for k, v in data.get("settings", {}).items())
        return cls(names, feature, threshold, ruled_out, value, extra)


def _leaves_in_order(root: int, left: list[int], right: list[int]) -> tuple[list[int], dict[int, list[int]]]:
    """A tree's leaves left to right, and the leaves under each internal node's left child."""
    order: list[int] = []
    under_left: dict[int, list[int]] = {}

    def walk(node: int, depth: int) -> list[int]:
        if node < 0:
            order.append(~node)
            return [~node]
        if depth > len(left):
            raise ValueError("a tree's children form a cycle")
        under_left[node] = walk(left[node], depth + 1)
        return under_left[node] + walk(right[node], depth + 1)

    walk(root, 0)
    return order, under_left


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


def confidence_model(trained: bool) -> Model | None:
    """The calibrated confidence model, or None: its score is the log-odds that the
    first citation answers (a logistic model's, or the sum of boosted trees' leaves)."""
    return _load(weights_dir() / CONFIDENCE) if trained else None
