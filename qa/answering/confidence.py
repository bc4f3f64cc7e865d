"""Confidence: the probability that the first citation answers the question.

What qa knows once it has ranked becomes a few features of the best candidate
(its score and lead over the next, the share of the ranking's probability it
holds and that its document holds, its dense similarity and coverage, the share
of the question's words the documents searched never use, whether it contradicts the
question, how many candidates there were: few in one short document, where the
best is more often right). The trained confidence model
(qa/weights/confidence.json, fitted to held-out questions by training/) maps
them to a probability, and qa abstains below the
threshold fitted with it. Untrained, the old answerability score
(qa.answering.abstention) is squashed around its hand-set thresholds.
"""

from __future__ import annotations

import math

import numpy as np

from qa.answering.abstention import answerability, contradicts, unknown_share
from qa.answering.learned import confidence_model
from qa.answering.query import Query
from qa.answering.ranking import Scored
from qa.answering.scope import Scope
from qa.config import Settings
from qa.index.corpus_index import CorpusIndex

VALUE_TYPES = frozenset({"count", "percent", "duration", "date", "dose", "person", "place", "registration"})
"""Answer types whose answer is one value, which one sentence holds."""
CONFIDENCE_SCALE = 0.25
"""Width of the untrained logistic around its threshold."""
DEFAULT_THRESHOLD = 0.5


def features(index: CorpusIndex, q: Query, ranked: list[Scored], scope: Scope | None = None) -> dict[str, float]:
    """The confidence model's inputs for a ranked candidate list (not empty), from the
    documents searched (scope; None: the whole corpus)."""
    top = ranked[0]
    scores = np.array([s.score for s in ranked[:50]], np.float64)
    share = np.exp(scores - scores[0])
    mass = 1.0 / float(share.sum())
    docs = index.unit_docs[[s.unit for s in ranked[:50]]]
    return {
        "score": top.score,
        "margin": top.score - ranked[1].score if len(ranked) > 1 else 5.0,
        "mass": mass,
        "doc_mass": float(share[docs == docs[0]].sum()) * mass,
        "dense": top.features["dense"],
        "coverage": top.features["coverage"],
        "unknown": unknown_share(index, q, scope),
        "contradiction": 1.0 if contradicts(index, q, top, scope) else 0.0,
        "value": 1.0 if q.answer_type in VALUE_TYPES else 0.0,
        "candidates": math.log1p(len(ranked)),
    }


def confidence(
    index: CorpusIndex, q: Query, ranked: list[Scored], settings: Settings, scope: Scope | None = None,
) -> tuple[float, float]:
    """(probability that ranked[0] answers, the threshold below which qa abstains)."""
    if not ranked:
        return 0.0, DEFAULT_THRESHOLD
    model = confidence_model(settings.trained)
    if model is None:
        value = q.answer_type in VALUE_TYPES
        threshold = settings.abstain_below_value if value else settings.abstain_below
        z = (answerability(index, q, ranked[0], scope) - threshold) / CONFIDENCE_SCALE
        return 1.0 / (1.0 + math.exp(-max(min(z, 50), -50))), DEFAULT_THRESHOLD
    f = features(index, q, ranked, scope)
    if f["contradiction"] and settings.contradiction_abstains:
        return 0.0, model.get("threshold", DEFAULT_THRESHOLD)
    z = float(model.score(np.array([[f[name] for name in model.features]], np.float64))[0])
    return 1.0 / (1.0 + math.exp(-max(min(z, 50), -50))), model.get("threshold", DEFAULT_THRESHOLD)
