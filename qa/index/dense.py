"""The dense part of the index: the text embedded for a unit, and FAISS over the vectors.

FAISS is imported inside the functions that use it, so that importing this
module (for the constants) stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.models import Unit

if TYPE_CHECKING:
    import faiss

CONTEXT_VERSION = "3"
"""Bump when the text embedded for a unit changes (cached vectors go stale)."""

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256
"""The HNSW search breadth. FAISS does not widen it to k, and qa takes 100
dense candidates: bench/scale.py measured recall@100 against exact search of
0.86 at 64 and 0.97 at 256 on COVID-QA-like vectors at 10^6 units, for
0.3 ms and 0.9 ms a query (docs/performance.md)."""


def embedding_text(unit: Unit) -> str:
    """What is embedded for a unit: its heading context, then its text; for a table
    row, the table's label, caption and column headers, then the row."""
    if unit.context:
        return f"{unit.context}: {unit.text}"
    label = " › ".join(unit.section[1:][-2:])
    return f"{label}: {unit.text}" if label else unit.text


def build_faiss(vectors: np.ndarray, index_type: str) -> faiss.Index:
    """Exact inner-product search while small; HNSW above the threshold."""
    import faiss

    dim = int(vectors.shape[1])
    index: faiss.Index
    if index_type == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index = hnsw
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def load_faiss(path: Path, vectors: np.ndarray, index_type: str) -> faiss.Index:
    """The FAISS index a generation holds, ready to search."""
    import faiss

    try:
        index = faiss.read_index(str(path))
    except RuntimeError:
        # A newer build deleted this generation after it was loaded; the
        # vectors (mapped at load) still hold all that search needs.
        index = build_faiss(np.asarray(vectors), index_type)
    if index_type == "hnsw" and isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index
