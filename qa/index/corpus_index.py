"""A loaded index: the units, their vectors, FAISS and BM25 over them.

`load` reads a generation that the manifest describes, after checking every
file's checksum; nothing in it is ever unpickled, and the vectors are
memory-mapped.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.index.dense import load_faiss
from qa.index.documents import DOCUMENTS_FILE, DocumentStore
from qa.index.lexical import LexicalIndex, index_terms
from qa.index.manifest import DocInfo, Stale, verify
from qa.models import Unit
from qa.text import terms

if TYPE_CHECKING:
    import faiss


@dataclass(frozen=True, slots=True)
class UnitTerms:
    """A unit's lexical terms in order, each once, and as adjacent pairs."""

    order: tuple[str, ...]
    unique: frozenset[str]
    pairs: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, order: list[str]) -> UnitTerms:
        return cls(tuple(order), frozenset(order), frozenset(itertools.pairwise(order)))


class CorpusIndex:
    """A loaded index: units, their vectors, FAISS and BM25 over them."""

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        units: list[Unit],
        vectors: np.ndarray,
        lexical: LexicalIndex,
        abbreviations: dict[str, str],
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.units = units
        self.vectors = vectors
        self.lexical = lexical
        self.abbreviations = abbreviations
        self.docs: list[DocInfo] = [DocInfo(**d) for d in manifest["documents"]]
        self.doc_ids = {d.path: i for i, d in enumerate(self.docs)}
        """Each document's id, by its corpus-relative path."""
        self._faiss: faiss.Index | None = None
        self._terms: dict[int, UnitTerms] = {}
        self.doc_unit_ranges = _ranges(units, len(self.docs))
        self.unit_docs = np.fromiter((u.doc for u in units), np.int32, len(units))
        """The document of each unit, as an array."""
        self.unit_is_reference = np.fromiter((u.kind == "reference" for u in units), np.bool_, len(units))
        """Whether each unit is an entry of a reference list."""
        self._title_docs: dict[str, list[int]] | None = None
        self.documents = DocumentStore(folder / manifest["generation"] / DOCUMENTS_FILE)
        """Every document's canonical text and blocks, read one at a time."""

    @property
    def model(self) -> str:
        """The embedding model the vectors were made with."""
        name: str = self.manifest["model"]  # check_manifest made sure it is a string
        return name

    @property
    def index_type(self) -> str:
        """"flat" (exact search) or "hnsw"."""
        kind: str = self.manifest.get("index_type", "flat")
        return kind

    def faiss_index(self) -> faiss.Index:
        """FAISS over the vectors, read on first use."""
        if self._faiss is None:
            gen = self.folder / self.manifest["generation"]
            self._faiss = load_faiss(gen / "faiss.index", self.vectors, self.index_type)
        return self._faiss

    def docs_with_term(self, term: str) -> np.ndarray:
        """Ids of the documents containing a (stemmed) term."""
        j = self.lexical.vocab.get(term)
        if j is None:
            return np.zeros(0, np.int32)
        w = self.lexical.weights
        rows = w.indices[w.indptr[j] : w.indptr[j + 1]]
        return np.unique(self.unit_docs[rows])

    def docs_with_title_term(self, term: str) -> list[int]:
        """Ids of the documents whose title contains a (stemmed) term."""
        if self._title_docs is None:
            by_term: dict[str, list[int]] = {}
            for d, doc in enumerate(self.docs):
                for t in dict.fromkeys(terms(doc.title)):
                    by_term.setdefault(t, []).append(d)
            self._title_docs = by_term
        return self._title_docs.get(term, [])

    def unit_terms(self, i: int) -> UnitTerms:
        """The lexical terms of unit i, as the ranking features read them (memoised)."""
        t = self._terms.get(i)
        if t is None:
            t = self._terms[i] = UnitTerms.of(index_terms(self.units[i], self.abbreviations))
        return t


def _ranges(units: list[Unit], n_docs: int) -> list[tuple[int, int]]:
    ranges = [(0, 0)] * n_docs
    i = 0
    while i < len(units):
        j = i
        while j < len(units) and units[j].doc == units[i].doc:
            j += 1
        ranges[units[i].doc] = (i, j)
        i = j
    return ranges


def load(folder: Path, manifest: dict[str, Any]) -> CorpusIndex:
    """The index a manifest describes, after checking every file's checksum."""
    verify(folder, manifest)
    gen = folder / manifest["generation"]
    try:
        units: list[Unit] = []
        sections: list[tuple[str, ...]] = [tuple(s) for s in json.loads((gen / "sections.json").read_text("utf-8"))]
        contexts: list[tuple[str | None, str]] = [(t, c) for t, c in json.loads((gen / "contexts.json").read_text("utf-8"))]
        n_docs = len(manifest["documents"])
        with open(gen / "units.jsonl", encoding="utf-8") as f:
            for line in f:
                doc, start, end, kind, block, sec, text, page, page_end, cid = json.loads(line)
                if not 0 <= doc < n_docs:
                    raise Stale("index files disagree on the documents")
                table, context = contexts[cid]
                units.append(Unit(doc, start, end, text, sections[sec], kind, block, page, page_end, table, context))
        # Memory-mapped, seen as a plain ndarray: indexing an np.memmap costs a
        # Python-level __getitem__/__array_finalize__ per row (5-10% of rank()).
        vectors = np.load(gen / "vectors.npy", mmap_mode="r", allow_pickle=False).view(np.ndarray)
        lexical = LexicalIndex.load(gen)
        abbreviations = json.loads((gen / "abbreviations.json").read_text("utf-8"))
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise Stale(f"the index files cannot be read ({exc.__class__.__name__})") from exc
    if vectors.ndim != 2 or vectors.dtype != np.float32:
        raise Stale("vectors.npy does not hold a float32 matrix")
    if vectors.shape[1] != manifest["dim"]:
        raise Stale(f"the vectors have {vectors.shape[1]} dimensions but the manifest says {manifest['dim']}")
    if len(units) != vectors.shape[0] or len(units) != lexical.size:
        raise Stale("index files disagree on the number of units")
    return CorpusIndex(folder, manifest, units, vectors, lexical, abbreviations)

