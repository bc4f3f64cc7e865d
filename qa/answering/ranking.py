"""Ranking: score every candidate so that the sentence that answers comes first.

Every candidate is scored with features that separate the answering sentence
from its neighbours: how much of the question it covers (with expansions
standing in for lay words), whether the question's word pairs occur in it as
pairs ("duration of response" vs "duration of treatment"), whether it holds
the kind of value asked for and how close that value stands to the question's
words, how its neighbours and its document match, and a penalty for
fragments. The score is a linear model over the features: the one training/
fits (qa/weights/ranker.json), or the hand-set Settings.weights untrained.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

from qa.answering.candidates import candidates
from qa.answering.learned import ranking_model
from qa.answering.query import UNIT_TYPES, Query
from qa.answering.scope import Scope, scoped_doc_features
from qa.config import Settings, Weights
from qa.index.corpus_index import CorpusIndex
from qa.text import fold, stem, terms

_WORD = re.compile(r"[^\W_]+")


@dataclass(slots=True)
class Scored:
    """A candidate unit with its features and final score."""

    unit: int
    score: float
    features: dict[str, float]


FEATURES = tuple(Weights.__dataclass_fields__)


def _coverage(q: Query, unit_terms: set[str], idf: dict[str, float]) -> float:
    total = 0.0
    got = 0.0
    for t in dict.fromkeys(q.core):
        w = idf[t]
        total += w
        if t in unit_terms:
            got += w
        elif q.alternatives.get(t, set()) & unit_terms:
            got += 0.8 * w
    return got / total if total else 0.0


def _novelty(q: Query, unit_terms: set[str]) -> float:
    """Share of the unit's terms the question lacks: an answer adds something.

    A title or a topic sentence that merely restates the question scores low.
    """
    if not unit_terms:
        return 0.0
    return len(unit_terms - q.weights.keys()) / len(unit_terms)


def _doc_features(index: CorpusIndex, q: Query, idf: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Per document: IDF share of the question's terms found anywhere in it, and in its title."""
    n_docs = len(index.docs)
    total = sum(idf.values()) or 1.0
    body = np.zeros(n_docs, np.float32)
    title = np.zeros(n_docs, np.float32)
    for t, w in idf.items():
        body[index.docs_with_term(t)] += w
        title[index.docs_with_title_term(t)] += w
    return body / total, title / total


def _defined_terms(q: Query) -> list[str]:
    """Abbreviation-like words of the question ("XPO1", "DC-SIGNR", "MERS")."""
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9-]*[A-Z0-9][A-Za-z0-9-]*", q.question) if sum(c.isupper() or c.isdigit() for c in w) >= 2]


def _defines(terms_: list[str], text: str) -> float:
    """1 when the unit defines one of the question's abbreviations: "Exportin 1 (XPO1)"."""
    return 1.0 if any(f"({t}" in text or f"{t} (" in text for t in terms_) else 0.0


def _proximity(q: Query, text: str, kind: str, cache: dict[str, list[int]]) -> float:
    """How close a value of the asked-for kind sits to a word of the question."""
    if not q.answer_type or q.answer_type in ("reference", "reason"):
        return 0.0
    values = [m.start() for m in UNIT_TYPES[q.answer_type].finditer(text)]
    if not values:
        return 0.0
    positions = cache.get(text)
    if positions is None:
        positions = cache[text] = _positions(q, text)
    if not positions:
        return 0.0
    d = min(abs(v - p) for v in values for p in positions)
    return 1.0 / (1.0 + d / 20.0)


def _positions(q: Query, text: str) -> list[int]:
    wanted = set(q.core)
    for alts in q.alternatives.values():
        wanted |= alts
    return [m.end() for m in _WORD.finditer(fold(text)) if stem(m.group()) in wanted]



_LABEL = re.compile(r"^([^:]{2,60}):\s+\S")


def _label(q: Query, text: str) -> float:
    """For "Label: value" items, the share of the label's terms the question asks about.

    "Mortality during study: n=28" is all about what "How many died?" asks;
    "Causes of mortality: …" only half.
    """
    m = _LABEL.match(text)
    if not m:
        return 0.0
    label = terms(m.group(1))
    if not label or len(label) > 8:
        return 0.0
    wanted = set(q.core).union(*q.alternatives.values()) if q.alternatives else set(q.core)
    return sum(t in wanted for t in label) / len(label)


def _holds(answer_type: str | None, text: str, kind: str) -> float:
    """1 when the unit holds a value of the asked-for kind (only that pattern is tried)."""
    if not answer_type:
        return 0.0
    if answer_type == "reference" and kind == "reference":
        return 1.0
    return 1.0 if UNIT_TYPES[answer_type].search(text) else 0.0


def _phrase(q: Query, unit_terms: list[str]) -> float:
    core = q.core
    if len(core) < 2:
        return 0.0
    pairs = set(itertools.pairwise(unit_terms))
    qp = list(itertools.pairwise(core))
    return sum(p in pairs for p in qp) / len(qp)


def rank(index: CorpusIndex, q: Query, qvec: np.ndarray, settings: Settings, scope: Scope | None = None) -> list[Scored]:
    """Candidates for the question (from the scope's documents only, when given), best first."""
    ids, dense, lex = candidates(index, q, qvec, settings, scope)
    if len(ids) == 0:
        return []
    w = settings.weights
    lex_max = float(lex[ids].max()) if len(ids) else 0.0
    lex_max = lex_max if lex_max > 0 else 1.0
    idf = {t: index.lexical.idf_of(t) for t in q.core}
    doc_cover, title_cover = _doc_features(index, q, idf) if scope is None else scoped_doc_features(index, idf, scope)
    defined = _defined_terms(q)
    pos_cache: dict[str, list[int]] = {}
    # Neighbour similarity needs the vectors of units next to each candidate.
    neighbours: dict[int, float] = {}
    units = index.units
    for i in ids.tolist():
        u = units[i]
        best = -1.0
        for j in (i - 1, i + 1):
            if 0 <= j < len(units) and units[j].doc == u.doc:
                s = dense.get(j)
                if s is None:
                    s = float(index.vectors[j] @ qvec)
                    dense[j] = s
                best = max(best, s)
        neighbours[i] = max(best, 0.0)
    base: dict[int, float] = {}
    rows: list[tuple[int, dict[str, float]]] = []
    for i in ids.tolist():
        u = units[i]
        ut = index.unit_terms(i)
        uts = set(ut)
        f = {
            "dense": dense[i],
            "lexical": float(lex[i]) / lex_max,
            "coverage": _coverage(q, uts, idf),
            "novelty": _novelty(q, uts),
            "length": min(len(ut) / 25.0, 1.0),
            "phrase": _phrase(q, ut),
            "answer_type": _holds(q.answer_type, u.text, u.kind),
            "proximity": _proximity(q, u.text, u.kind, pos_cache),
            "defines": _defines(defined, u.text) if defined else 0.0,
            "label": _label(q, u.text),
            "neighbour": neighbours[i],
            "document": 0.0,
            "doc_coverage": float(doc_cover[u.doc]),
            "title": float(title_cover[u.doc]),
            "short": 1.0 if len(u.text.split()) < 5 else 0.0,
        }
        rows.append((i, f))
        base[i] = f["dense"] + f["lexical"] + f["coverage"]
    # Document relevance: the mean of each document's three best units.
    per_doc: dict[int, list[float]] = {}
    for i, b in base.items():
        per_doc.setdefault(units[i].doc, []).append(b)
    doc_score = {d: float(np.mean(sorted(v, reverse=True)[:3])) for d, v in per_doc.items()}
    best_doc = max(doc_score.values())
    for i, f in rows:
        f["document"] = doc_score[units[i].doc] - best_doc
    model = ranking_model(settings.trained)
    if model is not None:
        scores = model.score(np.array([[f[name] for name in model.features] for _, f in rows], np.float64)).tolist()
    else:
        weighted = [(name, getattr(w, name)) for name in FEATURES if getattr(w, name)]
        scores = [sum(x * f[name] for name, x in weighted) for _, f in rows]
    out = [Scored(i, score, f) for (i, f), score in zip(rows, scores, strict=True)]
    out.sort(key=lambda s: -s.score)
    return out
