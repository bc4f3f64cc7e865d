"""The lexical part of the index: BM25 over citable units, stored as a sparse
matrix (no pickles, mmap-friendly), and the terms it indexes for a unit."""

from __future__ import annotations

import bisect
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from qa.models import Unit
from qa.text import terms, words

K1 = 1.2
B = 0.75
LEXICAL_VERSION = "5"
"""Bump when the terms BM25 indexes change (qa.text.terms, index_terms): the
lexical index is rebuilt, the cached vectors stay valid."""


def index_terms(unit: Unit, abbreviations: dict[str, str]) -> list[str]:
    """Lexical terms of a unit: its text, its headings (for a table row, also its
    table's label, caption and column headers), and the long form of every
    abbreviation the corpus defines that it uses ("TEAE" also counts as
    "treatment-emergent adverse event")."""
    out = terms(unit.text + " " + " ".join(unit.section[1:]) + (" " + unit.context if unit.context else ""))
    if abbreviations:
        for w in dict.fromkeys(words(unit.text)):
            long = abbreviations.get(w)
            if long:
                out.extend(terms(long))
    return out


class LexicalIndex:
    """Precomputed BM25 term weights: scoring a query is a sparse column sum."""

    def __init__(self, vocab: dict[str, int], idf: np.ndarray, weights: sparse.csc_matrix) -> None:
        self.vocab = vocab
        self.idf = idf
        self.weights = weights
        self._sorted: list[str] | None = None
        self._rows: sparse.csr_matrix | None = None

    @property
    def size(self) -> int:
        """The number of units indexed."""
        rows: int = self.weights.shape[0]
        return rows

    @classmethod
    def build(cls, docs: Iterable[Sequence[str]]) -> LexicalIndex:
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[float] = []
        lengths: list[int] = []
        for r, toks in enumerate(docs):
            lengths.append(len(toks))
            for t, c in Counter(toks).items():
                rows.append(r)
                cols.append(vocab.setdefault(t, len(vocab)))
                tfs.append(c)
        n = len(lengths)
        shape = (n, len(vocab))
        if n == 0:
            return cls(vocab, np.zeros(0, np.float32), sparse.csc_matrix(shape, dtype=np.float32))
        tf = sparse.csr_matrix((np.array(tfs, np.float32), (rows, cols)), shape=shape)
        df = np.bincount(np.array(cols, np.int64), minlength=len(vocab)).astype(np.float32)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        dl = np.array(lengths, np.float32)
        norm = K1 * (1 - B + B * dl / max(float(dl.mean()), 1e-9))
        tf = tf.tocoo()
        w = tf.data * (K1 + 1) / (tf.data + norm[tf.row]) * idf[tf.col]
        weights = sparse.csc_matrix((w.astype(np.float32), (tf.row, tf.col)), shape=shape)
        return cls(vocab, idf, weights)

    def idf_of(self, term: str) -> float:
        """IDF of a term; a term the corpus never uses gets the largest possible."""
        j = self.vocab.get(term)
        if j is None:
            return math.log(1.0 + (self.size + 0.5) / 0.5)
        return float(self.idf[j])

    def completions(self, prefix: str, limit: int = 2) -> list[str]:
        """Terms of the corpus that begin with prefix (at most limit + 1 of them,
        so that a caller can tell an unambiguous completion from a common start)."""
        if self._sorted is None:
            self._sorted = sorted(self.vocab)
        out: list[str] = []
        i = bisect.bisect_left(self._sorted, prefix)
        while i < len(self._sorted) and self._sorted[i].startswith(prefix) and len(out) <= limit:
            out.append(self._sorted[i])
            i += 1
        return out

    def scores(self, weighted_terms: dict[str, float], groups: Sequence[Sequence[str]] = ()) -> np.ndarray:
        """BM25 score of every unit for weighted query terms.

        Terms in a group (alternatives for one phrase) contribute only their
        best-scoring member per unit, so synonyms do not add up.
        """
        return self._score(self.weights, weighted_terms, groups)

    def scores_in(self, ranges: Sequence[tuple[int, int]], weighted_terms: dict[str, float],
                  groups: Sequence[Sequence[str]] = ()) -> np.ndarray:
        """BM25 scores of the units in these [start, end) ranges only, one after the
        other: the scores `scores` gives them (IDF and lengths stay the corpus's),
        for work in proportion to those units rather than to the corpus, so that a
        question asked of one document costs that document."""
        rows = self._row_major()
        blocks = [rows[a:b] for a, b in ranges if b > a]
        if not blocks:
            return np.zeros(0, np.float32)
        return self._score(blocks[0] if len(blocks) == 1 else sparse.vstack(blocks, format="csr"), weighted_terms, groups)

    def terms_in(self, candidates: Iterable[str], ranges: Sequence[tuple[int, int]]) -> set[str]:
        """Which of these terms occur in the units of these [start, end) ranges (a
        document's, or a scope's)."""
        wanted = {self.vocab[t]: t for t in candidates if t in self.vocab}
        rows = self._row_major()
        parts = [rows.indices[rows.indptr[a] : rows.indptr[b]] for a, b in ranges if b > a]
        if not wanted or not parts:
            return set()
        return {wanted[int(c)] for c in np.unique(np.concatenate(parts)) if int(c) in wanted}

    def units_with(self, term: str, start: int, end: int) -> int:
        """How many of the units start..end-1 use the term."""
        j = self.vocab.get(term)
        if j is None:
            return 0
        rows = self.weights.indices[self.weights.indptr[j] : self.weights.indptr[j + 1]]
        return int(np.count_nonzero((rows >= start) & (rows < end)))

    def _row_major(self) -> sparse.csr_matrix:
        # The stored matrix is by term (a query's columns are cheap); a range of
        # units wants it by unit. Converted once, on the first scoped question.
        if self._rows is None:
            self._rows = self.weights.tocsr()
        return self._rows

    def _score(self, matrix: sparse.spmatrix, weighted_terms: dict[str, float], groups: Sequence[Sequence[str]]) -> np.ndarray:
        grouped = {t for g in groups for t in g}
        cols = [(self.vocab[t], w) for t, w in weighted_terms.items() if t in self.vocab and t not in grouped]
        out = np.zeros(matrix.shape[0], np.float32)
        if cols:
            idx = [c for c, _ in cols]
            qw = np.array([w for _, w in cols], np.float32)
            out += np.asarray(matrix[:, idx] @ qw).ravel()
        for g in groups:
            gcols = [self.vocab[t] for t in g if t in self.vocab]
            if gcols:
                w = weighted_terms.get(g[0], 0.5)
                out += w * np.asarray(matrix[:, gcols].max(axis=1).todense()).ravel()
        return out

    def save(self, folder: Path) -> list[str]:
        np.savez(
            folder / "lexical.npz",
            data=self.weights.data,
            indices=self.weights.indices,
            indptr=self.weights.indptr,
            shape=np.array(self.weights.shape, np.int64),
            idf=self.idf,
        )
        (folder / "vocab.json").write_text(json.dumps(sorted(self.vocab, key=self.vocab.__getitem__)), "utf-8")
        return ["lexical.npz", "vocab.json"]

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        with np.load(folder / "lexical.npz", allow_pickle=False) as z:
            shape = tuple(int(x) for x in z["shape"])
            weights = sparse.csc_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
            idf = z["idf"]
        names = json.loads((folder / "vocab.json").read_text("utf-8"))
        return cls({t: i for i, t in enumerate(names)}, idf, weights)
