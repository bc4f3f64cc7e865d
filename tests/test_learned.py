"""The trained models as qa evaluates them: trees scored all at once agree with a walk down each tree."""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import pytest

from qa.answering.learned import CONFIDENCE, RANKER, TreeModel, confidence_model, ranking_model
from qa.errors import QAError
from qa.paths import WEIGHTS_ENV, weights_dir


def _random_tree(rng: random.Random, n_features: int, leaves: int) -> dict[str, Any]:
    """A tree as training/ writes it, its nodes and leaves numbered in no useful order."""
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    leaf_ids = list(range(leaves))
    rng.shuffle(leaf_ids)
    pending = iter(leaf_ids)

    def grow(n: int) -> int:
        if n == 1:
            return ~next(pending)
        node = len(feature)
        feature.append(rng.randrange(n_features))
        threshold.append(round(rng.uniform(-1.5, 1.5), 3))
        left.append(0)
        right.append(0)
        k = rng.randint(1, n - 1)
        left[node] = grow(k)
        right[node] = grow(n - k)
        return node

    root = grow(leaves)
    return {"root": root, "feature": feature, "threshold": threshold, "left": left, "right": right,
            "value": [round(rng.uniform(-1, 1), 4) for _ in range(leaves)]}


def _walk(data: dict[str, Any], row: np.ndarray) -> float:
    total = 0.0
    for t in data["trees"]:
        node = t["root"]
        while node >= 0:
            node = t["left"][node] if row[t["feature"][node]] <= t["threshold"][node] else t["right"][node]
        total += t["value"][~node]
    return total


@pytest.mark.parametrize("seed", range(6))
def test_trees_scored_at_once_agree_with_walking_each_tree(seed: int) -> None:
    rng = random.Random(seed)
    n_features = 5
    leaves = [1, 2, 7, 9, 17, 40][seed]  # one leaf, and past each bit width
    trees = [_random_tree(rng, n_features, rng.randint(1, leaves)) for _ in range(30)]
    data = {"kind": "trees", "features": [f"f{i}" for i in range(n_features)], "trees": trees}
    model = TreeModel.from_json(data)
    rows = np.random.default_rng(seed).normal(size=(200, n_features))
    rows[::9, 2] = np.nan  # LightGBM sends a missing value right, as `x <= t` being false does
    rows[1::9, 0] = trees[0]["threshold"][0] if trees[0]["threshold"] else 0.0  # exactly on a threshold: left
    expected = np.array([_walk(data, r) for r in rows])
    np.testing.assert_allclose(model.score(rows), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("load", "name"), [(ranking_model, RANKER), (confidence_model, CONFIDENCE)])
def test_the_shipped_models_score_as_their_files_say(load, name: str) -> None:
    """Trees agree with walking them; a logistic model (the confidence stage chooses the
    kind by held-out log loss) with its formula written out."""
    model = load(True)
    data = json.loads((weights_dir() / name).read_text("utf-8"))
    rows = np.random.default_rng(0).uniform(-0.5, 1.5, size=(300, len(model.features)))
    if data.get("kind") == "trees":
        assert isinstance(model, TreeModel)
        expected = np.array([_walk(data, r) for r in rows])
    else:
        assert data["kind"] == "logistic" and name == CONFIDENCE
        z = [(r - np.array(data["mean"])) / np.array(data["scale"]) for r in rows]
        expected = np.array([data["intercept"] + sum(c * v for c, v in zip(data["coef"], zr, strict=True)) for zr in z])
    np.testing.assert_allclose(model.score(rows), expected, rtol=0, atol=1e-9)


def test_a_tree_whose_children_skip_a_leaf_is_refused() -> None:
    tree = {"root": 0, "feature": [0], "threshold": [0.0], "left": [~0], "right": [~0], "value": [1.0, 2.0]}
    with pytest.raises(ValueError, match="each of its leaves once"):
        TreeModel.from_json({"kind": "trees", "features": ["f0"], "trees": [tree]})


def test_a_damaged_model_file_is_a_message_for_people(tmp_path, monkeypatch) -> None:
    from qa.answering import learned

    (tmp_path / "ranker.json").write_text('{"kind": "trees", "features": ["a"], "trees": [{"root": 0}]}')
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path))
    learned._load.cache_clear()
    try:
        with pytest.raises(QAError, match="damaged"):
            ranking_model(True)
    finally:
        learned._load.cache_clear()
