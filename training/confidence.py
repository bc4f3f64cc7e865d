"""Stage 3: confidence, the probability that the first citation answers.

A logistic model or boosted trees, whichever has the lower held-out log loss,
over what qa knows once it has ranked: the best candidate's score and its lead
over the next, how much probability the ranking puts on it and on its document,
its dense similarity and coverage of the question, the share of the question's
words the documents searched never use, and whether the best passage contradicts the
question (qa.answering.abstention). It is fitted on held-out predictions:
the ranking model's scores come from fits that did not see the question's
article (cross-fitting by article), and unanswerable questions come from asking
each question of the corpus without its own article, where the first citation
is wrong by construction. Those rows are weighed down (choose_without_weight):
at full weight they say that every other question has no answer in the corpus,
and the model is under-confident for people asking about what they loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from qa.answering.learned import TreeModel


@dataclass(slots=True)
class Logistic:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(self.intercept + ((x - self.mean) / self.scale) @ self.coef)

    def to_json(self, settings: dict[str, float]) -> dict[str, object]:
        return {
            "kind": "logistic",
            "features": list(self.features),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "coef": self.coef.round(6).tolist(),
            "intercept": round(self.intercept, 6),
            "settings": settings,
        }


def fit(x: np.ndarray, y: np.ndarray, names: Sequence[str], weights: np.ndarray | None = None, l2: float = 1e-2) -> Logistic:
    mean = x.mean(0)
    scale = x.std(0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    w = np.ones(len(y)) if weights is None else weights
    w = w / w.sum()

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        b, c = params[0], params[1:]
        s = b + z @ c
        p = 1.0 / (1.0 + np.exp(-np.clip(s, -50, 50)))
        eps = 1e-12
        value = -float(w @ (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))) + l2 * float(c @ c)
        g = w * (p - y)
        return value, np.concatenate([[g.sum()], g @ z + 2 * l2 * c])

    res = minimize(loss, np.zeros(len(names) + 1), jac=True, method="L-BFGS-B")
    return Logistic(tuple(names), mean, scale, res.x[1:], float(res.x[0]))


CONFIDENCE_TREES = 300
CONFIDENCE_TREE_PARAMS = {"num_leaves": 3, "learning_rate": 0.05, "min_data_in_leaf": 40}
"""Small trees (pairs of splits), many of them: chosen by held-out log loss over the
cross-fitted rows, like the ranking's trees by CV P@1."""


MONOTONE = {"score": 1, "margin": 1, "mass": 1, "doc_mass": 1, "dense": 1, "coverage": 1, "unknown": -1, "contradiction": -1}
"""The direction in which each feature may move the probability (trees are free to learn
the size): a closer, better-covered, clearer best passage is never less likely right.
Trees learn nothing beyond the range they saw, and these keep a split learned on one
kind of question from turning round what a feature means on another."""


@dataclass(slots=True)
class Trees:
    """Gradient-boosted trees fitted to the log loss: the sum of their leaves is the
    log-odds, which qa's TreeModel evaluates at run time."""

    features: tuple[str, ...]
    data: dict[str, object]
    model: TreeModel

    def probability(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(self.model.score(x))

    def to_json(self, settings: dict[str, float]) -> dict[str, object]:
        return {**self.data, "settings": settings}


def fit_trees(x: np.ndarray, y: np.ndarray, names: Sequence[str], seed: int = 13, weights: np.ndarray | None = None) -> Trees:
    """Binary log loss over the (weighted) rows (single-threaded: reproducible)."""
    import lightgbm as lgb

    from training.ranker import tree_arrays

    params = {"objective": "binary", "verbose": -1, "num_threads": 1, "seed": seed, "deterministic": True,
              "monotone_constraints": [MONOTONE.get(n, 0) for n in names], **CONFIDENCE_TREE_PARAMS}
    booster = lgb.train(params, lgb.Dataset(x, y, weight=weights), CONFIDENCE_TREES)
    data = tree_arrays(booster.dump_model(), names)
    return Trees(tuple(names), data, TreeModel.from_json(data))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
    return out


def log_loss(p: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> float:
    """Mean (weighted) negative log-likelihood of the labels: the proper score the kind
    and the features are chosen by."""
    q = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.average(y * np.log(q) + (1 - y) * np.log(1 - q), weights=w))


# The weight of a question asked of the corpus without its article, against 1 for the
# same question asked of the corpus with it: how often a user's question is one the
# corpus cannot answer. Each such question is a row beside every answerable one, so
# at 1 the model is calibrated for a user whose every other question has no answer,
# and under-confident for one who asks about what they loaded. Candidates, most
# cautious first; the stage keeps the first that calibrates every multi-article set.
WITHOUT_WEIGHTS = (1.0, 0.5, 0.25, 0.125)
WITHOUT_ECE = 0.05


def row_weights(rows: list, without: float) -> np.ndarray:  # type: ignore[type-arg]
    return np.array([without if r[1] == "without" else 1.0 for r in rows])


def cross_fitted(fit_one: Callable[..., Logistic | Trees], x: np.ndarray, y: np.ndarray, names: Sequence[str],
                 folds: np.ndarray, w: np.ndarray) -> tuple[list[Logistic | Trees], np.ndarray]:
    """A model per fold, fitted without it, and each row's probability from the model
    that left its fold out."""
    p = np.zeros(len(y))
    models = []
    for k in sorted(set(folds.tolist())):
        m = fit_one(x[folds != k], y[folds != k], names, w[folds != k])
        models.append(m)
        p[folds == k] = m.probability(x[folds == k])
    return models, p


def choose_without_weight(rows: list, seed: int, log: Callable[[str], None]) -> float:  # type: ignore[type-arg]
    """The most cautious weight of the corpus-without-its-article rows at which the
    cross-fitted ECE of every multi-article set's answerable questions (asked of the
    whole corpus) is at most WITHOUT_ECE; trees over every feature."""
    from qa.answering.evaluate import reliability

    y = np.array([r[4] for r in rows])
    folds = np.array([r[2] for r in rows])
    names = sorted(rows[0][3])
    x = np.array([[r[3][n] for n in names] for r in rows])
    sets = {r[0] for r in rows if r[1] == "without"}
    asked = {s: np.array([r[0] == s and r[1] == "corpus" for r in rows]) for s in sorted(sets)}
    without = np.array([r[1] == "without" for r in rows])
    best: tuple[float, float] | None = None
    for w in WITHOUT_WEIGHTS:
        _, p = cross_fitted(lambda x_, y_, n_, w_: fit_trees(x_, y_, n_, seed, w_), x, y, names, folds, row_weights(rows, w))
        eces = {s: reliability(p[sel], y[sel])[1] for s, sel in asked.items()}
        log(f"  rows without their article weighed {w:g}: ECE of the answerable questions "
            + ", ".join(f"{s} {e:.3f}" for s, e in eces.items()) + f"; without their article abstained {np.mean(p[without] < 0.5):.3f}")
        if best is None or max(eces.values()) < best[1]:
            best = (w, max(eces.values()))
        if max(eces.values()) <= WITHOUT_ECE:
            return w
    assert best is not None
    return best[0]


def choose_confidence(rows: list, probe: list, seed: int, log: Callable[[str], None],  # type: ignore[no-untyped-def,type-arg]
                      weights: np.ndarray | None = None):
    """The confidence model's kind (logistic or trees), chosen by the cross-fitted
    (weighted) log loss over rows (set, kind, fold, features, label), over every
    feature; what leaving each one out does to that loss is reported. Returns
    (features, fitter, fold models, held-out probabilities). probe: rows that are only
    predicted."""
    y = np.array([r[4] for r in rows])
    folds = np.array([r[2] for r in rows])
    w = np.ones(len(y)) if weights is None else weights
    fitters: dict[str, Callable[..., Logistic | Trees]] = {
        "logistic": lambda x, y_, names, w_: fit(x, y_, names, w_),
        "trees": lambda x, y_, names, w_: fit_trees(x, y_, names, seed, w_),
    }

    def cross_fit(kind: str, names: list[str]) -> tuple[list, np.ndarray]:  # type: ignore[type-arg]
        return cross_fitted(fitters[kind], np.array([[r[3][n] for n in names] for r in rows]), y, names, folds, w)

    def loss_of(p: np.ndarray) -> float:
        return log_loss(p, y, w)

    names = sorted(rows[0][3])
    fits = {kind: cross_fit(kind, names) for kind in fitters}
    losses = {kind: loss_of(p) for kind, (_, p) in fits.items()}
    log("  confidence, held-out log loss by kind: " + ", ".join(f"{k} {v:.4f}" for k, v in losses.items()))
    kind = min(losses, key=losses.__getitem__)
    base = losses[kind]
    # The ablation is a report and every feature is kept, as in the ranking stage: a
    # set chosen by this CV scores better on it than elsewhere. Greedy elimination
    # dropped candidates, score and unknown (log loss 0.4887 -> 0.4831); held out
    # (bench/accuracy.py), the five fresh STORM sets' answerable questions wrongly
    # abstained on were 37.5 / 3.7 / 15.4 / 9.4 / 13.3% with it and are
    # 32.5 / 0.0 / 15.4 / 6.2 / 6.7% with all ten, their unanswerable ones abstained
    # on the same.
    for name in names:
        loss = loss_of(cross_fit(kind, [n for n in names if n != name])[1])
        log(f"    {kind} without {name:<14} {loss:.4f} ({loss - base:+.4f})")
    models, p = fits[kind]
    log(f"  chosen: {kind} over every feature ({', '.join(names)}); held-out log loss {base:.4f}")
    if probe:  # each probe row predicted by the fold model that left its question out
        folds_probe = np.array([r[2] for r in probe])
        xp = np.array([[r[3][n] for n in names] for r in probe])
        pp = np.zeros(len(probe))
        for k, m in enumerate(models):
            pp[folds_probe == k] = m.probability(xp[folds_probe == k])
        sets, kinds = np.array([r[0] for r in probe]), np.array([r[1] for r in probe])
        for what, label in (("elsewhere", "asked of the article most like their own alone"),
                            ("foreign", "asked of another data set's corpus")):
            shares = {s_: float(np.mean(pp[(kinds == what) & (sets == s_)] < 0.5)) for s_ in sorted(set(sets[kinds == what]))}
            if shares:
                log(f"  {label} (unanswerable, not fitted on), abstained: " + ", ".join(f"{k} {v:.3f}" for k, v in shares.items()))
    return names, fitters[kind], models, p
