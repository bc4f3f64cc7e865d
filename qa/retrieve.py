"""Hybrid retrieval and reranking: find the sentence that answers, not a related one.

Dense search (FAISS over MiniLM vectors of each unit with its heading context)
and BM25 each propose candidates; every candidate is then scored with a few
features that separate the answering sentence from its neighbours: how much
of the question it covers (with expansions standing in for lay words), whether
the question's word pairs occur in it as pairs ("duration of response" vs
"duration of treatment"), whether it holds the kind of value asked for, how
its neighbours and its document match, and a penalty for fragments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.config import Settings, Weights
from qa.query import UNIT_TYPES, Query
from qa.store import CorpusIndex
from qa.text import STOPWORDS, fold, stem, terms

_WORD = re.compile(r"[^\W_]+")


@dataclass(slots=True)
class Scored:
    """A candidate unit with its features and final score."""

    unit: int
    score: float
    features: dict[str, float]


FEATURES = tuple(Weights.__dataclass_fields__)
NEIGHBOURS_OF = 20
"""The sentences next to this many of the likeliest candidates (by dense + BM25)
are scored too, so that a passage can be cited whole."""


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


def unknown_share(index: CorpusIndex, q: Query) -> float:
    """IDF share of the question's words that the corpus never uses, even as a
    stand-in: a question about things the corpus does not mention."""
    core = list(dict.fromkeys(q.core))
    if not core:
        return 0.0
    idf = {t: index.lexical.idf_of(t) for t in core}
    missing = sum(w for t, w in idf.items() if _unknown(index, q, t))
    return missing / (sum(idf.values()) or 1.0)


def _unknown(index: CorpusIndex, q: Query, term: str) -> bool:
    """The corpus never uses the term, nor any word the question lets stand in for it."""
    vocab = index.lexical.vocab
    return term not in vocab and not any(a in vocab for a in q.alternatives.get(term, ()))


CONTRADICTION = 10.0
"""Subtracted from the answerability when the best unit contradicts the question:
more than any match adds, so such a question is always abstained on."""


def answerability(index: CorpusIndex, q: Query, top: Scored) -> float:
    """How likely the best unit answers at all (compared with Settings.abstain_below
    and abstain_below_value)."""
    # A contradiction outweighs any match: the unit answers another question.
    penalty = CONTRADICTION if contradicts(index, q, top) else 0.0
    return top.score + top.features["coverage"] - 3.0 * unknown_share(index, q) - penalty


_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "i": "1", "ii": "2", "iii": "3", "iv": "4"}
_PART = re.compile(r"\b(part|phase|cohort|arm|stage|wave)\s+(\d+|one|two|three|four|five|iv|i{1,3})([a-c]?)\b", re.I)
_NAME = re.compile(r"\b[A-Z]{4,}(?:-[A-Z0-9]+)*\b|\b[A-Z0-9]+(?:-[A-Z0-9]+)*-[A-Z]{4,}\b")
_NON = re.compile(r"\bnon-?([a-z]{3,})", re.I)


def _parts(text: str) -> set[tuple[str, str]]:
    """("part", "2") for "part two", ("phase", "2b") for "phase IIb"."""
    out = set()
    for noun, num, suffix in _PART.findall(text):
        num = num.lower()
        out.add((noun.lower(), _NUMBER_WORDS.get(num, num) + suffix.lower()))
    return out


_STATISTIC = frozenset({"median", "mean", "average"})
_LINKS = frozenset({"to", "of", "since", "from", "until", "after", "before"})
_QUANTITY = frozenset(
    stem(w)
    for w in """time duration number rate proportion percentage percent level value count total length
    period interval median mean average""".split()
)
"""Words that name the kind of quantity, not which quantity."""
_POPULATION = frozenset(
    stem(w) for w in "patients participants subjects cases people persons individuals children adults men women".split()
)
"""Whose quantity it is: "of patients" ends the measure ("median age of patients treated with...")."""


def measured(question: str) -> list[str]:
    """The specific words of the quantity a statistic is asked for: "median time
    to progression" -> [progress]; "mean incubation period" -> [incub]."""
    tokens = fold(question).split()
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.strip("?.,;:()") not in _STATISTIC:
            continue
        linked = False
        for j in range(i + 1, len(tokens)):
            word = tokens[j].strip("()\"'")
            bare = word.rstrip("?.,;:")
            if not bare:
                break
            if bare in _LINKS and j + 1 < len(tokens) and tokens[j + 1] not in STOPWORDS:
                linked = True
                continue
            if bare in STOPWORDS:
                break
            found = [t for t in terms(bare) if not t.isdigit()]
            if linked and any(t in _POPULATION for t in found):
                break
            out.extend(t for t in found if t not in _QUANTITY and t not in _POPULATION)
            linked = False
            if word != bare:
                break  # the clause ends here
    return list(dict.fromkeys(out))


def contradicts(index: CorpusIndex, q: Query, top: Scored) -> bool:
    """The best unit is about something else than the question says."""
    unit = index.units[top.unit]
    return (
        _another_quantity(index, q, top.unit)
        or _another_part(index, q, unit.doc)
        or _unnamed_trial(index, q)
        or _non_asked(q, unit.text)
    )


def _another_quantity(index: CorpusIndex, q: Query, i: int) -> bool:
    """The question asks for the median of a quantity the unit does not name,
    though its document uses the words ("median follow-up time" answered by
    "median time to PR"). Words the document never uses may be the asker's
    paraphrase; of those it uses, a unit lacking half or more reports another
    quantity ("median overall survival" for "median progression-free survival")."""
    doc = index.units[i].doc
    known = [t for t in measured(q.text) if doc in index.docs_with_term(t)]
    if not known:
        return False
    unit_terms = set(index.unit_terms(i))
    missing = [t for t in known if t not in unit_terms and not q.alternatives.get(t, set()) & unit_terms]
    return 2 * len(missing) >= len(known)


def _another_part(index: CorpusIndex, q: Query, doc: int) -> bool:
    """The question asks about part 1 where the document reports only part 2."""
    asked = _parts(q.text)
    if not asked:
        return False
    a, b = index.doc_unit_ranges[doc]
    reported = set().union(*(_parts(u.text) for u in index.units[a:b]))
    for noun, num in asked:
        others = {n for k, n in reported if k == noun}
        if others and num not in others and num.rstrip("abc") not in {n.rstrip("abc") for n in others}:
            return True
    return False


def _unnamed_trial(index: CorpusIndex, q: Query) -> bool:
    """The question names a trial or agent the corpus never names ("the BOSTON trial")."""
    for name in _NAME.findall(q.text):
        parts = terms(name)
        if parts and all(_unknown(index, q, t) for t in parts):
            return True
    return False


def _non_asked(q: Query, unit_text: str) -> bool:
    """The question asks about non-responders where the unit speaks of responders."""
    text, asked_text = fold(unit_text), fold(q.text)
    for word in _NON.findall(asked_text):
        if re.search(rf"(?<!non)(?<!non-)\b{re.escape(word[:5])}", asked_text):
            continue  # the question asks about both ("invasive and non-invasive ventilation")
        if stem(word)[:5] in text and not re.search(rf"\bnon-?{re.escape(word[:5])}", text):
            return True
    return False


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
    pairs = set(zip(unit_terms, unit_terms[1:]))
    qp = list(zip(core, core[1:]))
    return sum(p in pairs for p in qp) / len(qp)


def candidates(index: CorpusIndex, q: Query, qvec: np.ndarray, settings: Settings) -> tuple[np.ndarray, dict[int, float], np.ndarray]:
    """Candidate unit ids, dense similarity of each, and BM25 scores of all units."""
    n = len(index.units)
    k = min(settings.candidates, n)
    lex = index.lexical.scores(q.weights, q.groups)
    if n <= 2 * settings.candidates:
        ids = np.arange(n)
    else:
        _, dense_ids = index.faiss_index().search(qvec.reshape(1, -1), k)
        top_lex = np.argpartition(-lex, k - 1)[:k]
        ids = np.union1d(dense_ids[0][dense_ids[0] >= 0], top_lex[lex[top_lex] > 0])
    sims = np.asarray(index.vectors[ids] @ qvec, dtype=np.float32)
    if len(ids) < n:
        # The sentences next to the likeliest candidates are candidates too: an
        # answer that runs on into the next sentence is cited as one passage.
        lex_max = float(lex[ids].max()) or 1.0
        likely = ids[np.argsort(-(sims + lex[ids] / lex_max))[:NEIGHBOURS_OF]]
        src = np.concatenate([likely, likely])
        near = np.concatenate([likely - 1, likely + 1])
        ok = (near >= 0) & (near < n)
        src, near = src[ok], near[ok]
        near = np.setdiff1d(near[index.unit_docs[near] == index.unit_docs[src]], ids)
        if len(near):
            ids = np.concatenate([ids, near])
            sims = np.concatenate([sims, np.asarray(index.vectors[near] @ qvec, dtype=np.float32)])
    return ids, dict(zip(ids.tolist(), sims.tolist())), lex


def rank(index: CorpusIndex, q: Query, qvec: np.ndarray, settings: Settings) -> list[Scored]:
    """Candidates for the question, best first."""
    ids, dense, lex = candidates(index, q, qvec, settings)
    if len(ids) == 0:
        return []
    w = settings.weights
    lex_max = float(lex[ids].max()) if len(ids) else 0.0
    lex_max = lex_max if lex_max > 0 else 1.0
    idf = {t: index.lexical.idf_of(t) for t in q.core}
    doc_cover, title_cover = _doc_features(index, q, idf)
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
    weighted = [(name, getattr(w, name)) for name in FEATURES if getattr(w, name)]
    out = []
    for i, f in rows:
        f["document"] = doc_score[units[i].doc] - best_doc
        score = sum(x * f[name] for name, x in weighted)
        out.append(Scored(i, score, f))
    out.sort(key=lambda s: -s.score)
    return out
