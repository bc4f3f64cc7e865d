"""Candidates for a question: the units dense search and BM25 propose, and their neighbours.

Dense search (FAISS over MiniLM vectors of each unit with its heading context)
and BM25 each propose up to Settings.candidates units; a small corpus is
scored whole. The sentences next to the likeliest candidates join them, so
that an answer running over two sentences can be cited as one passage.
"""

from __future__ import annotations

import numpy as np

from qa.answering.query import Query, asks_for_publication
from qa.answering.scope import Scope, scoped_ids, scoped_lexical
from qa.config import Settings
from qa.index.corpus_index import CorpusIndex

NEIGHBOURS_OF = 20
"""The sentences next to this many of the likeliest candidates (by dense + BM25)
are scored too, so that a passage can be cited whole."""


def whole_corpus_search(index: CorpusIndex, settings: Settings) -> bool:
    """Whether an unscoped question searches FAISS (else every unit is a candidate)."""
    return len(index.units) > 2 * settings.candidates


def dense_search(index: CorpusIndex, qvecs: np.ndarray, settings: Settings) -> np.ndarray:
    """The ids of each question's nearest units (a row per question; -1 pads), one
    FAISS search for all of them."""
    _, ids = index.faiss_index().search(np.ascontiguousarray(qvecs, np.float32), min(settings.candidates, len(index.units)))
    return ids


def candidates(
    index: CorpusIndex, q: Query, qvec: np.ndarray, settings: Settings, scope: Scope | None = None,
    nearest: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate unit ids, the dense similarity of each, and BM25 scores of all units
    (with a scope, only its units are candidates and scored: qa.answering.scope).
    nearest: the question's row of dense_search, when a batch searched already."""
    n = len(index.units)
    k = min(settings.candidates, n)
    lex = index.lexical.scores(q.weights, q.groups) if scope is None else scoped_lexical(index, q, scope)
    if scope is not None:
        ids = scoped_ids(index, lex, qvec, settings, scope)
    elif not whole_corpus_search(index, settings):
        ids = np.arange(n)
    else:
        near = dense_search(index, qvec.reshape(1, -1), settings)[0] if nearest is None else nearest
        top_lex = np.argpartition(-lex, k - 1)[:k]
        ids = np.union1d(near[near >= 0], top_lex[lex[top_lex] > 0])
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
    if not asks_for_publication(q):
        # A reference list names other studies: its entries answer "where was it
        # published?", not what this article found or did (the ranking model never
        # saw one: its training articles have none).
        keep = ~index.unit_is_reference[ids]
        ids, sims = ids[keep], sims[keep]
    return ids, sims, lex
