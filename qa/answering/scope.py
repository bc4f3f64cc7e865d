"""Scope: a question asked of some documents only, and finding those documents by name.

People who read trials usually ask about one report at a time ("in this trial,
how many were randomised?"), and a question that names no article is otherwise
answered from whichever article matches best. A scope is the documents a
question may be answered from; only their units are ranked, and nothing is done
in proportion to the rest of the corpus: dense similarity is `vectors[a:b] @ q`
over each document's unit range, BM25 is scored over those units' rows only,
and the document-level features are worked out for those documents only.
Corpus-wide statistics (IDF, the mean unit length) stay the corpus's, so a
unit scores the same whether the question is scoped or not.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

import numpy as np

from qa.answering.query import Query
from qa.config import Settings
from qa.errors import QAError
from qa.index.corpus_index import CorpusIndex
from qa.text import terms

CLOSE_NAMES = 3
"""How many close document names a failed look-up suggests."""


@dataclass(frozen=True, slots=True)
class Scope:
    """The documents a question is asked of: their ids and unit ranges."""

    docs: tuple[int, ...]
    ranges: tuple[tuple[int, int], ...]
    """Each document's [first, last + 1) unit ids (CorpusIndex.doc_unit_ranges)."""

    @property
    def size(self) -> int:
        """The number of units in the scope."""
        return sum(b - a for a, b in self.ranges)

    def units(self) -> np.ndarray:
        """The scope's unit ids, in order."""
        if not self.ranges:
            return np.zeros(0, np.int64)
        return np.concatenate([np.arange(a, b) for a, b in self.ranges])


def scope_of(index: CorpusIndex, docs: Sequence[int]) -> Scope:
    """The scope of these documents (ids in the index), each once."""
    ids = tuple(sorted(set(docs)))
    return Scope(ids, tuple(index.doc_unit_ranges[d] for d in ids))


def scoped_lexical(index: CorpusIndex, q: Query, scope: Scope) -> np.ndarray:
    """BM25 scores as `LexicalIndex.scores` gives them, but computed for the scope's
    units only; an array over all units (zero outside the scope), because the
    ranking looks scores up by unit id."""
    out = np.zeros(len(index.units), np.float32)
    inside = index.lexical.scores_in(scope.ranges, q.weights, q.groups)
    pos = 0
    for a, b in scope.ranges:
        out[a:b] = inside[pos : pos + b - a]
        pos += b - a
    return out


def scoped_ids(index: CorpusIndex, lex: np.ndarray, qvec: np.ndarray, settings: Settings, scope: Scope) -> np.ndarray:
    """The first candidates within a scope: all its units while few (as for a small
    corpus), else the best of them by dense similarity and by BM25."""
    ids = scope.units()
    if len(ids) <= 2 * settings.candidates:
        return ids
    k = settings.candidates
    sims = np.concatenate([np.asarray(index.vectors[a:b] @ qvec, dtype=np.float32) for a, b in scope.ranges])
    top_dense = ids[np.argpartition(-sims, k - 1)[:k]]
    scores = lex[ids]
    top = np.argpartition(-scores, k - 1)[:k]
    return np.union1d(top_dense, ids[top[scores[top] > 0]])


def scoped_doc_features(index: CorpusIndex, idf: dict[str, float], scope: Scope) -> tuple[np.ndarray, np.ndarray]:
    """The ranking's document features (IDF share of the question's terms found in
    the document, and in its title) for the scope's documents only; zero for the others."""
    n_docs = len(index.docs)
    total = sum(idf.values()) or 1.0
    body = np.zeros(n_docs, np.float32)
    title = np.zeros(n_docs, np.float32)
    for d, (a, b) in zip(scope.docs, scope.ranges, strict=True):
        present = index.lexical.terms_in(idf, [(a, b)])
        title_terms = set(terms(index.docs[d].title))
        body[d] = sum(w for t, w in idf.items() if t in present) / total
        title[d] = sum(w for t, w in idf.items() if t in title_terms) / total
    return body, title


def resolve(paths: Sequence[str], pattern: str) -> list[str]:
    """The documents a name or a glob means, in corpus order.

    A corpus-relative path matches itself; without a folder in it, a name also
    matches a document's file name, with or without its suffix ("PMC59610" for
    "trials/PMC59610.txt"), and a glob (`*`, `?`, `[...]`) is tried on both the
    path and the file name. Case only matters when something matches exactly.
    Nothing matching is a QAError that suggests a few close names.
    """
    name = pattern.strip().replace("\\", "/").removeprefix("./")
    if not name:
        raise QAError("No document named.", hint="Give a corpus file name or a glob, e.g. PMC59610.txt or 'PMC*'.")
    if name in paths:
        return [name]
    folder = "/" in name
    if any(c in name for c in "*?["):
        hits = [p for p in paths if fnmatchcase(p, name) or (not folder and fnmatchcase(posixpath.basename(p), name))]
        if not hits:
            low = name.lower()
            hits = [p for p in paths if fnmatchcase(p.lower(), low) or (not folder and fnmatchcase(posixpath.basename(p).lower(), low))]
    else:
        hits = [p for p in paths if not folder and name in (posixpath.basename(p), _stem(p))]
        if not hits:
            low = name.lower()
            hits = [p for p in paths if low == p.lower() or (not folder and low in (posixpath.basename(p).lower(), _stem(p).lower()))]
    if hits:
        return hits
    raise QAError(f"No document in the corpus matches {pattern.strip()!r}.", hint=_suggest(paths, name))


def _stem(path: str) -> str:
    return posixpath.splitext(posixpath.basename(path))[0]


def _suggest(paths: Sequence[str], name: str) -> str:
    if not paths:
        return "The corpus has no documents."
    by_key: dict[str, str] = {}
    for p in paths:
        for key in (p.lower(), posixpath.basename(p).lower(), _stem(p).lower()):
            by_key.setdefault(key, p)
    close = difflib.get_close_matches(name.lower(), list(by_key), n=CLOSE_NAMES * 3, cutoff=0.6)
    names = list(dict.fromkeys(by_key[c] for c in close))[:CLOSE_NAMES]
    if names:
        return "Close names: " + ", ".join(names) + "."
    shown = ", ".join(paths[:CLOSE_NAMES])
    more = f" and {len(paths) - CLOSE_NAMES} more" if len(paths) > CLOSE_NAMES else ""
    return f"The corpus has {shown}{more} (`qa list` shows them all)."
