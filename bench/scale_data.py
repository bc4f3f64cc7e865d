"""The scale benchmark's data: seeded synthetic vectors, questions and texts shaped like
qa's (bench/scale.py says how), and vectors shaped like COVID-QA's real ones.

A size's data is written once to its folder under the workdir and reused by every stage.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import numpy as np

DIM = 384
UNITS_PER_DOC = 200
SUBSPACE = 64
VOCAB = 30_000
EF_SEARCH = (16, 32, 64, 128, 256)
K_CANDIDATES = 100
N_QUERIES = 200
SEED = 1234


def synthetic_vectors(n: int, seed: int = SEED, chunk: int = 50_000) -> np.ndarray:
    """n clustered, L2-normalised float32 vectors (generated in chunks: no float64 copy)."""
    rng = np.random.default_rng(seed)
    n_docs = max(1, -(-n // UNITS_PER_DOC))
    centres = rng.standard_normal((n_docs, DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    basis, _ = np.linalg.qr(rng.standard_normal((DIM, SUBSPACE)).astype(np.float32))  # DIM x SUBSPACE, orthonormal
    basis = basis.T.astype(np.float32)
    out = np.empty((n, DIM), np.float32)
    scale = 1.36 / np.sqrt(SUBSPACE)  # noise norm ~1.36: cosine ~0.35 within a document
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        docs = np.arange(s, e) // UNITS_PER_DOC
        v = centres[docs] + (rng.standard_normal((e - s, SUBSPACE), dtype=np.float32) * scale) @ basis
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[s:e] = v
    return out


def synthetic_queries(vectors: np.ndarray, n: int, seed: int = SEED + 1) -> tuple[np.ndarray, np.ndarray]:
    """Queries near random units (cosine ~0.6), and the units they were made from."""
    rng = np.random.default_rng(seed)
    src = rng.choice(len(vectors), size=min(n, len(vectors)), replace=False)
    noise = rng.standard_normal((len(src), DIM), dtype=np.float32)
    noise *= 1.33 / np.linalg.norm(noise, axis=1, keepdims=True)
    q = np.asarray(vectors[src], np.float32) + noise
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return np.ascontiguousarray(q), src


def _words(seed: int = SEED) -> list[str]:
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    out, seen = [], set()
    while len(out) < VOCAB:
        w = "".join(rng.choice(letters, size=int(rng.integers(4, 11))))
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def synthetic_texts(n: int, seed: int = SEED) -> list[str]:
    """n sentences of 8-40 pseudo-words, Zipf-distributed (s ~1.1)."""
    rng = np.random.default_rng(seed)
    words = np.array(_words(seed))
    ranks = np.arange(1, VOCAB + 1, dtype=np.float64)
    p = ranks**-1.1
    p /= p.sum()
    lengths = rng.integers(8, 41, size=n)
    draws = rng.choice(VOCAB, size=int(lengths.sum()), p=p)
    out, pos = [], 0
    for ln in lengths.tolist():
        out.append(" ".join(words[draws[pos : pos + ln]].tolist()).capitalize() + ".")
        pos += ln
    return out


def size_dir(workdir: Path, n: int, data: str = "clustered") -> Path:
    return workdir / "scale" / (f"n{n}" if data == "clustered" else f"{data}-n{n}")


def ensure_data(d: Path, n: int, data: str = "clustered") -> Path:
    d.mkdir(parents=True, exist_ok=True)
    if not (d / "vectors.npy").is_file():
        if data == "covidqa":
            v, q = covidqa_like_vectors(d.parent.parent / "covidqa", n)
            np.save(d / "queries.npy", q)
        else:
            v = synthetic_vectors(n)
            q, src = synthetic_queries(v, N_QUERIES)
            np.save(d / "queries.npy", q)
            np.save(d / "query_src.npy", src)
        np.save(d / ".vectors.tmp.npy", v)
        os.replace(d / ".vectors.tmp.npy", d / "vectors.npy")
    return d


def covidqa_like_vectors(base: Path, n: int, seed: int = SEED, chunk: int = 50_000) -> tuple[np.ndarray, np.ndarray]:
    """n vectors shaped like real ones, and the real COVID-QA question vectors.

    Each vector is a real COVID-QA unit vector plus Gaussian noise with the
    real within-document covariance (a new sentence of a document like that
    unit's), so the corpus keeps the real embeddings' anisotropy and topic
    structure at any size. The queries are the 718 real questions, encoded.
    """
    from qa.index.embed import Embedder
    from qa.index.manifest import read_manifest

    index = base / "index"
    manifest = read_manifest(index)
    if manifest is None:
        raise SystemExit(f"--data covidqa needs the COVID-QA index: run bench/perf.py --corpora covidqa first ({index})")
    real = np.load(index / manifest["generation"] / "vectors.npy").astype(np.float32)
    bounds = np.cumsum([0] + [doc["units"] for doc in manifest["documents"]])
    resid = np.concatenate([real[a:b] - real[a:b].mean(axis=0) for a, b in itertools.pairwise(bounds) if b > a])
    cov = resid.T @ resid / len(resid)
    chol = np.linalg.cholesky(cov + 1e-6 * np.eye(DIM, dtype=np.float32)).astype(np.float32)
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), np.float32)
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        src = rng.integers(0, len(real), size=e - s)
        v = real[src] + rng.standard_normal((e - s, DIM), dtype=np.float32) @ chol.T
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[s:e] = v
    questions = json.loads((base / "questions.json").read_text("utf-8"))["questions"]
    queries = Embedder(manifest["model"]).encode(questions)
    return out, np.ascontiguousarray(queries, dtype=np.float32)
