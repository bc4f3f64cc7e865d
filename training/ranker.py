"""Stage 2: the ranking model, fitted on the features qa computes at run time.

For every training question, qa itself (the Engine, over an index built with
the stage-1 encoder) proposes its candidates and computes their features
(qa.answering.ranking); each candidate is labelled by the benchmarks' rule.
A linear model over standardised features is fitted with a listwise loss: the
softmax over a question's candidates should put its mass on the units that
answer. Questions are weighted so that each data set counts by its number of
articles, not of questions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from qa.answering.engine import Engine
from qa.answering.learned import TreeModel
from qa.answering.ranking import Scored, rank
from qa.config import Settings
from training.data import Question, answers


@dataclass(slots=True)
class Group:
    """One question's candidates: feature rows, which answer, and where they are."""

    question: Question
    features: np.ndarray
    labels: np.ndarray
    units: list[int]
    scored: list[Scored] = field(default_factory=list)


def collect(engine: Engine, questions: Sequence[Question], names: Sequence[str], log: Callable[[str], None] = print) -> list[Group]:
    """qa's candidates and features for each question, labelled, in the order of the
    hand-set weights: whether a trained ranking model lies in the weights folder (the
    confidence stage run alone finds one) must not change the groups, whose order the
    fits see."""
    idx = engine.index
    untrained = replace(engine.settings, trained=False)  # the ranking only: the encoder stays trained
    docs = {d.path: n for n, d in enumerate(idx.docs)}
    groups = []
    t0 = time.perf_counter()
    queries = [engine.prepare(q.text) for q in questions]
    vecs = engine.embedder.encode([qq.dense_text for qq in queries])
    for n, (q, query, vec) in enumerate(zip(questions, queries, vecs, strict=True)):
        ranked = rank(idx, query, vec, untrained)
        doc = docs.get(q.doc, -1)
        labels = np.array([idx.units[s.unit].doc == doc and answers(idx.units[s.unit], q.spans) for s in ranked], np.float64)
        feats = np.array([[s.features[f] for f in names] for s in ranked], np.float64)
        groups.append(Group(q, feats, labels, [s.unit for s in ranked], ranked))
        if (n + 1) % 200 == 0:
            log(f"  features for {n + 1}/{len(questions)} questions, {time.perf_counter() - t0:.0f} s")
    return groups


@dataclass(slots=True)
class LinearRanker:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray

    def scores(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef

    def to_json(self) -> dict[str, object]:
        return {
            "kind": "linear",
            "features": list(self.features),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "coef": self.coef.round(6).tolist(),
        }


def fit(groups: Sequence[Group], names: Sequence[str], weights: Sequence[float] | None = None, l2: float = 1e-3) -> LinearRanker:
    """Listwise fit: maximise the log softmax mass each group puts on its answering units."""
    use = [(g, w) for g, w in zip(groups, weights or [1.0] * len(groups), strict=True) if g.labels.any() and len(g.labels) > 1]
    allx = np.concatenate([g.features for g, _ in use])
    mean = allx.mean(0)
    scale = allx.std(0)
    scale[scale < 1e-9] = 1.0
    xs = [(g.features - mean) / scale for g, _ in use]
    ys = [g.labels > 0 for g, _ in use]
    ws = np.array([w for _, w in use])
    ws = ws / ws.sum()

    def loss(coef: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(coef)
        for x, y, w in zip(xs, ys, ws, strict=True):
            s = x @ coef
            m = s.max()
            e = np.exp(s - m)
            z = e.sum()
            zp = e[y].sum()
            total -= w * (np.log(zp) - np.log(z))
            p_all = e / z
            p_pos = np.where(y, e / zp, 0.0)
            grad -= w * ((p_pos - p_all) @ x)
        total += l2 * float(coef @ coef)
        grad += 2 * l2 * coef
        return total, grad

    res = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return LinearRanker(tuple(names), mean, scale, res.x)


TREE_PARAMS = {"num_leaves": 7, "learning_rate": 0.05, "min_data_in_leaf": 50, "feature_fraction": 0.9,
               "bagging_fraction": 0.8, "bagging_freq": 1, "lambdarank_truncation_level": 10}
TREES = 200


@dataclass(slots=True)
class TreeRanker:
    """Gradient-boosted trees (LightGBM lambdarank), kept as the arrays qa evaluates
    with NumPy (qa.answering.learned.TreeModel): no LightGBM at run time."""

    features: tuple[str, ...]
    data: dict[str, object]
    model: TreeModel

    def scores(self, x: np.ndarray) -> np.ndarray:
        return self.model.score(x)

    def to_json(self) -> dict[str, object]:
        return dict(self.data)


def fit_trees(groups: Sequence[Group], names: Sequence[str], seed: int = 13) -> TreeRanker:
    """Lambdarank over the candidates of each question (single-threaded: reproducible)."""
    import lightgbm as lgb

    use = [g for g in groups if g.labels.any() and len(g.labels) > 1]
    x = np.concatenate([g.features for g in use])
    y = np.concatenate([(g.labels > 0).astype(int) for g in use])
    params = {"objective": "lambdarank", "verbose": -1, "num_threads": 1, "seed": seed, "deterministic": True, **TREE_PARAMS}
    booster = lgb.train(params, lgb.Dataset(x, y, group=[len(g.labels) for g in use]), TREES)
    data = tree_arrays(booster.dump_model(), names)
    return TreeRanker(tuple(names), data, TreeModel.from_json(data))


def bagged(models: Sequence[TreeRanker]) -> TreeRanker:
    """The mean of tree rankers' scores, as one model: every tree, its leaves divided by
    the number of models."""
    names = models[0].features
    if any(m.features != names for m in models):
        raise ValueError("bagged models must share their features")
    trees = [{**t, "value": [v / len(models) for v in t["value"]]}  # type: ignore[attr-defined]
             for m in models for t in m.data["trees"]]  # type: ignore[attr-defined]
    data: dict[str, object] = {"kind": "trees", "features": list(names), "trees": trees}
    return TreeRanker(names, data, TreeModel.from_json(data))


def tree_arrays(dump: dict, names: Sequence[str]) -> dict[str, object]:  # type: ignore[type-arg]
    """LightGBM's model dump as flat arrays per tree: internal nodes 0..k, leaves ~index."""
    return {"kind": "trees", "features": list(names), "trees": [_flat(info["tree_structure"]) for info in dump["tree_info"]]}


def _flat(tree: dict) -> dict[str, object]:  # type: ignore[type-arg]
    arrays: dict[str, list] = {"feature": [], "threshold": [], "left": [], "right": [], "value": []}  # type: ignore[type-arg]

    def walk(node: dict) -> int:  # type: ignore[type-arg]
        if "leaf_value" in node:
            arrays["value"].append(float(node["leaf_value"]))
            return ~(len(arrays["value"]) - 1)
        if node.get("decision_type", "<=") != "<=":
            raise ValueError(f"unsupported split {node.get('decision_type')}")
        i = len(arrays["feature"])
        arrays["feature"].append(int(node["split_feature"]))
        arrays["threshold"].append(float(node["threshold"]))
        arrays["left"].append(0)
        arrays["right"].append(0)
        arrays["left"][i] = walk(node["left_child"])
        arrays["right"][i] = walk(node["right_child"])
        return i

    return {"root": walk(tree), **arrays}


def precision_at_1(groups: Iterable[Group], model: LinearRanker | TreeRanker) -> tuple[float, float]:
    """P@1 and MRR@10 of the model's order over the candidates (units, not merged passages)."""
    p1 = mrr = 0.0
    n = 0
    for g in groups:
        n += 1
        if not len(g.labels):
            continue
        order = np.argsort(-model.scores(g.features), kind="stable")[:10]
        hits = g.labels[order] > 0
        p1 += float(hits[0])
        first = np.flatnonzero(hits)
        mrr += 1.0 / (first[0] + 1) if len(first) else 0.0
    return p1 / max(n, 1), mrr / max(n, 1)


def open_engine(corpus: Path, index: Path, settings: Settings, log: Callable[[str], None] = print) -> Engine:
    engine = Engine(corpus, index, settings)
    report = engine.open(progress=log)
    log(f"  {corpus.name}: {report.action} ({report.documents} documents, {report.units} units, {report.seconds:.0f} s)")
    return engine
