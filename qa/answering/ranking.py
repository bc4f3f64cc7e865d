"""Ranking: score every candidate so that the sentence that answers comes first.

Every candidate is scored with features that separate the answering sentence
from its neighbours: how much of the question it covers (with expansions
standing in for lay words), whether the question's word pairs occur in it as
pairs ("duration of response" vs "duration of treatment"), whether it holds
the kind of value asked for and how close that value stands to the question's
words, how its neighbours and its document match, what its section headings
name (results, methods, the abstract, the framing of the study), whether it
reports a test of a difference, and a penalty for fragments. The score is the model training/ fits (qa/weights/ranker.json: trees,
evaluated by qa.answering.learned), or, untrained, the hand-set Settings.weights.
Features are computed as columns, one row per candidate; what depends on a unit
alone (its terms, the values it holds) is worked out once and kept.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.answering.candidates import candidates
from qa.answering.learned import ranking_model
from qa.answering.query import UNIT_TYPES, Query, is_comparison
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
    row: np.ndarray
    """The unit's features, in FEATURES order."""

    @property
    def features(self) -> dict[str, float]:
        """The features by name."""
        return dict(zip(FEATURES, self.row.tolist(), strict=True))


FEATURES = tuple(Weights.__dataclass_fields__)
_COLUMN = {name: k for k, name in enumerate(FEATURES)}
"""Each feature's column in rank()'s feature rows."""


@dataclass(frozen=True, slots=True)
class _Asked:
    """What every candidate of one question is compared with, worked out once."""

    core: tuple[tuple[str, float, frozenset[str]], ...]
    """Each core term once, with its IDF and the expansions that stand in for it."""
    total: float
    asked: frozenset[str]
    """Every term the question weights (its own and the expansions)."""
    wanted: frozenset[str]
    """The core terms and their expansions: the words a value should sit near."""
    pairs: tuple[tuple[str, str], ...]
    answer_type: str | None
    defined: tuple[str, ...]

    @classmethod
    def of(cls, q: Query, idf: dict[str, float]) -> _Asked:
        core = tuple((t, idf[t], frozenset(q.alternatives.get(t, ()))) for t in dict.fromkeys(q.core))
        wanted = frozenset(q.core).union(*q.alternatives.values())
        pairs = tuple(itertools.pairwise(q.core)) if len(q.core) >= 2 else ()
        return cls(core, sum(w for _, w, _ in core), frozenset(q.weights), wanted, pairs, q.answer_type, tuple(_defined_terms(q)))


def _coverage(a: _Asked, unit: frozenset[str]) -> float:
    """IDF share of the question's terms the unit holds (an expansion counts 0.8)."""
    if not a.total:
        return 0.0
    got = 0.0
    for t, w, alternatives in a.core:
        if t in unit:
            got += w
        elif alternatives and not alternatives.isdisjoint(unit):
            got += 0.8 * w
    return got / a.total


def _novelty(a: _Asked, unit: frozenset[str]) -> float:
    """Share of the unit's terms the question lacks: an answer adds something.

    A title or a topic sentence that merely restates the question scores low.
    """
    if not unit:
        return 0.0
    return 1.0 - len(a.asked.intersection(unit)) / len(unit)


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


def _defines(terms_: tuple[str, ...], text: str) -> float:
    """1 when the unit defines one of the question's abbreviations: "Exportin 1 (XPO1)"."""
    return 1.0 if any(f"({t}" in text or f"{t} (" in text for t in terms_) else 0.0


# Candidates recur from question to question (a batch asks one article many
# things), so what depends on a unit's text alone is worked out once per text.
@lru_cache(maxsize=1 << 16)
def _values(answer_type: str, text: str) -> tuple[int, ...]:
    """Where the values of a kind start in a text."""
    return tuple(m.start() for m in UNIT_TYPES[answer_type].finditer(text))


@lru_cache(maxsize=1 << 13)
def _word_ends(text: str) -> tuple[tuple[str, int], ...]:
    """Each word's stem and where it ends (in the folded text)."""
    return tuple((stem(m.group()), m.end()) for m in _WORD.finditer(fold(text)))


_LABEL = re.compile(r"^([^:]{2,60}):\s+\S")


@lru_cache(maxsize=1 << 16)
def _label_terms(text: str) -> tuple[str, ...]:
    """The terms of a "Label: value" item's label (none when it has no short label)."""
    m = _LABEL.match(text)
    label = terms(m.group(1)) if m else []
    return tuple(label) if len(label) <= 8 else ()


SECTION_KINDS = {
    "abstract": re.compile(r"\babstract\b|\bsummary\b", re.I),
    "results": re.compile(r"\bresults?\b|\bfindings\b|\boutcomes?\b", re.I),
    "methods": re.compile(r"method|design|statistic|analys|participant|subject|\bpatients\b|population|procedure|protocol|"
                          r"randomi[sz]|eligib|intervention|treatment|setting|measure|assessment", re.I),
    "framing": re.compile(r"introduction|background|discussion|conclusion|limitation|summary", re.I),
}
"""The kinds of section a heading path names; the ranking model learns what each is
worth for which question (methods name the arms; results report what they did)."""


@lru_cache(maxsize=1 << 14)
def _section_kinds(section: tuple[str, ...], title: str) -> tuple[float, ...]:
    """For each of SECTION_KINDS, 1 when the unit's headings (below the title) name it."""
    headings = " › ".join(h for h in section if h != title)
    return tuple(1.0 if pattern.search(headings) else 0.0 for pattern in SECTION_KINDS.values())


_STATISTIC = re.compile(
    r"\bp\s*(?:[<>=≤≥]|value)|\b(?:95|90|99)\s*%\s*(?:CI|CrI|confidence)|\bconfidence interval|"
    # The effect measures' abbreviations only in capitals: "grade 3 or 4" is no odds ratio.
    r"\b(?:odds|hazard|risk|rate) ratios?\b|\b(?-i:a?OR|a?HR|RR|IRR|MD|SMD)\b\s*[=:,(]?\s*-?\d|"
    r"\bsignifican|\bdiffer(?:ed|ence)",
    re.I,
)


@lru_cache(maxsize=1 << 16)
def _statistic(text: str) -> float:
    """1 when the text reports a test of a difference."""
    return 1.0 if _STATISTIC.search(text) else 0.0


@lru_cache(maxsize=1 << 16)
def _is_short(text: str) -> bool:
    return len(text.split()) < 5


def _proximity(a: _Asked, text: str) -> float:
    """How close a value of the asked-for kind sits to a word of the question."""
    if not a.answer_type or a.answer_type in ("reference", "reason"):
        return 0.0
    values = _values(a.answer_type, text)
    if not values:
        return 0.0
    positions = [end for s, end in _word_ends(text) if s in a.wanted]
    if not positions:
        return 0.0
    d = min(abs(v - p) for v in values for p in positions)
    return 1.0 / (1.0 + d / 20.0)


def _label(a: _Asked, text: str) -> float:
    """For "Label: value" items, the share of the label's terms the question asks about.

    "Mortality during study: n=28" is all about what "How many died?" asks;
    "Causes of mortality: …" only half.
    """
    label = _label_terms(text)
    return sum(t in a.wanted for t in label) / len(label) if label else 0.0


def _holds(a: _Asked, text: str, kind: str) -> float:
    """1 when the unit holds a value of the asked-for kind (only that pattern is tried)."""
    if not a.answer_type:
        return 0.0
    if a.answer_type == "reference" and kind == "reference":
        return 1.0
    return 1.0 if _values(a.answer_type, text) else 0.0


def _phrase(a: _Asked, unit: frozenset[tuple[str, str]]) -> float:
    """Share of the question's adjacent term pairs that the unit holds as pairs."""
    if not a.pairs:
        return 0.0
    return sum(p in unit for p in a.pairs) / len(a.pairs)


def _neighbours(index: CorpusIndex, ids: np.ndarray, qvec: np.ndarray) -> np.ndarray:
    """Per candidate, the best dense similarity of the unit before or after it in its
    document (0 when neither is closer than that)."""
    n = len(index.units)
    docs = index.unit_docs
    best = np.zeros(len(ids), np.float32)
    for step in (-1, 1):
        j = ids + step
        ok = (j >= 0) & (j < n)
        ok[ok] = docs[j[ok]] == docs[ids[ok]]
        sims = np.asarray(index.vectors[j[ok]] @ qvec, np.float32)
        best[ok] = np.maximum(best[ok], sims)
    return best


def _documents(docs: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Per candidate, its document's relevance (the mean of the document's three best
    candidates by base score) less the best document's."""
    per_doc: dict[int, list[float]] = {}
    for d, b in zip(docs.tolist(), base.tolist(), strict=True):
        per_doc.setdefault(d, []).append(b)
    score = {d: float(np.mean(sorted(v, reverse=True)[:3])) for d, v in per_doc.items()}
    best = max(score.values())
    return np.array([score[d] - best for d in docs.tolist()], np.float64)


def rank(
    index: CorpusIndex, q: Query, qvec: np.ndarray, settings: Settings, scope: Scope | None = None,
    nearest: np.ndarray | None = None,
) -> list[Scored]:
    """Candidates for the question (from the scope's documents only, when given), best
    first. nearest: the question's nearest units, when a batch searched FAISS at once."""
    ids, dense, lex = candidates(index, q, qvec, settings, scope, nearest)
    if len(ids) == 0:
        return []
    lex_max = float(lex[ids].max())
    lex_max = lex_max if lex_max > 0 else 1.0
    idf = {t: index.lexical.idf_of(t) for t in q.core}
    doc_cover, title_cover = _doc_features(index, q, idf) if scope is None else scoped_doc_features(index, idf, scope)
    asked = _Asked.of(q, idf)
    docs = index.unit_docs[ids]
    x = np.zeros((len(ids), len(FEATURES)), np.float64)
    col = _COLUMN
    x[:, col["dense"]] = dense
    x[:, col["lexical"]] = lex[ids] / lex_max
    x[:, col["neighbour"]] = _neighbours(index, ids, qvec)
    x[:, col["doc_coverage"]] = doc_cover[docs]
    x[:, col["title"]] = title_cover[docs]
    x[:, col["comparison"]] = 1.0 if is_comparison(q.question) else 0.0
    per_unit = ("coverage", "novelty", "length", "phrase", "answer_type", "proximity", "defines", "label", "short",
                "statistic", *SECTION_KINDS)
    units, docs_ = index.units, index.docs
    values = []
    for i in ids.tolist():
        u = units[i]
        ut = index.unit_terms(i)
        values.append((
            _coverage(asked, ut.unique),
            _novelty(asked, ut.unique),
            min(len(ut.order) / 25.0, 1.0),
            _phrase(asked, ut.pairs),
            _holds(asked, u.text, u.kind),
            _proximity(asked, u.text),
            _defines(asked.defined, u.text) if asked.defined else 0.0,
            _label(asked, u.text),
            1.0 if _is_short(u.text) else 0.0,
            _statistic(u.text),
            *_section_kinds(u.section, docs_[u.doc].title),
        ))
    x[:, [col[name] for name in per_unit]] = values
    x[:, col["document"]] = _documents(docs, x[:, col["dense"]] + x[:, col["lexical"]] + x[:, col["coverage"]])
    model = ranking_model(settings.trained)
    if model is not None:
        scores = model.score(x[:, [col[name] for name in model.features]]).tolist()
    else:
        w = settings.weights
        scores = (x @ np.array([getattr(w, name) for name in FEATURES], np.float64)).tolist()
    out = [Scored(i, score, row) for i, score, row in zip(ids.tolist(), scores, x, strict=True)]
    out.sort(key=lambda s: -s.score)
    return out
