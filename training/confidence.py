"""Stage 3: confidence, the probability that the first citation answers.

A logistic model over what qa knows once it has ranked: the best candidate's
score and its lead over the next, how much probability the ranking puts on it,
its dense similarity and coverage of the question, the share of the question's
words the corpus never uses, and whether the best passage contradicts the
question (qa.answering.abstention). It is fitted on held-out predictions:
the ranking model's scores come from fits that did not see the question's
article (cross-fitting by article), and unanswerable questions come from asking
each question of the corpus without its own article, where the first citation
is wrong by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize


@dataclass(slots=True)
class Logistic:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = self.intercept + ((x - self.mean) / self.scale) @ self.coef
        out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
        return out

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
