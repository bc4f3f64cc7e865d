"""Building a generation: read the corpus, embed what changed, write, put in force.

Every file is hashed; a file whose path and bytes are those of a document of
the generation in force is not read again: its document (canonical text and
blocks) is taken from that generation (qa.index.documents). The others are
read by the reader for their format; a file that cannot be read is skipped
with a one-line warning naming it. Documents whose bytes are unchanged take
their vectors from the per-document cache; the others are embedded in groups
of about EMBED_CHUNK_UNITS units, each group cached as soon as it is done.
The new generation is written beside the current one and put in force by
replacing manifest.json in one atomic rename (see qa.index.manifest).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import QAError
from qa.index.adapters import answering_models
from qa.index.dense import CONTEXT_VERSION, build_faiss, embedding_text
from qa.index.documents import DOCUMENTS_FILE, Previous, encode, text_sha256
from qa.index.durable import Progress, fsync_dir, fsync_write, sha_file
from qa.index.embed import encoder_id, model_dimension
from qa.index.lexical import LEXICAL_VERSION, LexicalIndex, index_terms
from qa.index.manifest import FORMAT_VERSION, DocInfo, Stale, doc_dict, read_manifest, write_manifest
from qa.models import Unit
from qa.reading.abbreviations import find_abbreviations
from qa.reading.document import ReadError
from qa.reading.files import MAX_PAGES_ENV, FileLimits, file_limits, file_sha256, read_doc, skipped_entry
from qa.reading.formats import read_document
from qa.reading.units import CHUNKER_VERSION, units_of
from qa.safe import json_text

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.index.embed import Encoder

EMBED_CHUNK_UNITS = 512
"""Documents are embedded in groups of about this many units (a few seconds on
a laptop's CPU), each group cached as soon as it is done, so an interrupted
build keeps the work finished, and each reported through `progress`."""


@dataclass(slots=True)
class BuildReport:
    """What a refresh did, for people."""

    action: str = "loaded"
    """"loaded" (nothing changed), "updated" or "built"."""
    reason: str = ""
    documents: int = 0
    units: int = 0
    embedded_documents: list[str] = field(default_factory=list)
    embedded_units: int = 0
    removed_documents: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def cache_key(settings: Settings) -> str:
    """The cache folder of a model and chunker: vectors cached under another are never reused."""
    raw = f"{encoder_id(settings.model, settings.trained)}|{CHUNKER_VERSION}|{CONTEXT_VERSION}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def limits_of(settings: Settings) -> FileLimits:
    """The size and page limits for corpus files these settings ask for."""
    return file_limits(settings.max_file_bytes, settings.max_pages)


def limits_record(limits: FileLimits) -> dict[str, int]:
    """The limits as the manifest records them."""
    return {"text_bytes": limits.text_bytes, "pdf_bytes": limits.pdf_bytes, "pages": limits.pages}


def build(
    corpus: Path,
    folder: Path,
    settings: Settings,
    embedder: Encoder,
    files: list[Path],
    warnings: list[str],
    reason: str,
    progress: Progress,
) -> BuildReport:
    old: dict[str, str] = {}
    prev = None
    try:
        prev = read_manifest(folder)
        if prev:
            old = {d["path"]: d["sha256"] for d in prev["documents"]}
    except Stale:
        pass
    reuse = Previous(folder, prev if prev and prev.get("chunker") == CHUNKER_VERSION else None)
    cache = folder / "cache" / cache_key(settings)
    cache.mkdir(parents=True, exist_ok=True)
    limits = limits_of(settings)
    expected_dim = model_dimension(settings.model, embedder)
    docs: list[DocInfo] = []
    units: list[Unit] = []
    lines: list[bytes] = []  # each document as documents.jsonl holds it
    doc_vectors: list[np.ndarray | None] = []
    pending: list[int] = []  # docs whose vectors must be computed
    abbreviations: dict[str, str] = {}
    file_warnings: list[str] = []  # kept in the manifest, shown again on every load
    skipped: list[dict[str, Any]] = []
    for path in files:
        got = read_doc(path, corpus, limits.bytes_for(path), file_warnings, skipped)
        if got is None:
            continue
        data, st = got
        rel = path.relative_to(corpus).as_posix()
        sha = file_sha256(data)
        stored = reuse.get(rel, sha)
        if stored is not None:
            doc, line, info = stored
            encoding = info.encoding
        else:
            try:
                doc, encoding = read_document(data, rel, limits.reader(rel))
            except ReadError as exc:
                why = exc.message + (f" (set {MAX_PAGES_ENV} to change it)" if "pages, over the limit" in exc.message else "")
                file_warnings.append(why)
                skipped.append(skipped_entry(rel, st, why))
                continue
            line = encode(doc)
        del data
        doc_id = len(docs)
        doc_units = units_of(doc_id, doc)
        if not doc_units:
            why = "empty file" if not doc.text.strip() else "no text to cite"
            file_warnings.append(f"skipped {rel}: {why}")
            skipped.append(skipped_entry(rel, st, why))
            continue
        file_warnings.extend(doc.warnings)
        title = doc.title or (doc_units[0].section[0] if doc_units[0].section else "") or rel
        docs.append(DocInfo(rel, sha, st.st_size, st.st_mtime_ns, len(doc_units), encoding, title, doc.format,
                            len(doc.page_starts), text_sha256(doc.text)))
        units.extend(doc_units)
        lines.append(line)
        for k, v in find_abbreviations(doc.text).items():
            abbreviations.setdefault(k, v)
        del doc
        doc_vectors.append(_cached_vectors(cache / f"{sha}.npy", len(doc_units), expected_dim))
        if doc_vectors[-1] is None:
            pending.append(doc_id)
    warnings = warnings + file_warnings
    if not docs:
        raise QAError(f"Nothing in {corpus} could be indexed.", hint="\n".join(warnings) or None)
    report = BuildReport("built" if not old else "updated", reason, len(docs), len(units), warnings=warnings)
    report.removed_documents = sorted(set(old) - {d.path for d in docs})
    starts = np.cumsum([0] + [d.units for d in docs])

    def embed(todo: list[int]) -> None:
        total = sum(docs[i].units for i in todo)
        progress(f"Embedding {total:,} units from {len(todo)} document(s) with {settings.model}…")
        done = 0
        group: list[int] = []
        size = 0
        for n, doc_id in enumerate(todo):
            group.append(doc_id)
            size += docs[doc_id].units
            if size >= EMBED_CHUNK_UNITS or n == len(todo) - 1:
                texts = [embedding_text(u) for i in group for u in units[starts[i] : starts[i + 1]]]
                vecs = embedder.encode(texts)
                off = 0
                for i in group:
                    v = vecs[off : off + docs[i].units]
                    off += docs[i].units
                    doc_vectors[i] = v
                    # Each document's vectors are cached as soon as they exist, so
                    # a build killed later re-embeds none of them. No fsync: a
                    # torn cache file (power loss) fails to load and is redone.
                    fsync_write(cache / f"{docs[i].sha256}.npy", _npy_bytes(v), sync=False)
                    report.embedded_documents.append(docs[i].path)
                report.embedded_units += len(texts)
                done += len(texts)
                if total > EMBED_CHUNK_UNITS:
                    progress(f"Embedded {done:,} of {total:,} units ({100 * done // total}%)…")
                group, size = [], 0

    if pending:
        embed(pending)
    dims = {v.shape[1] for v in doc_vectors if v is not None}
    if len(dims) > 1:  # cached vectors of a model with another dimension
        true_dim = int(embedder.dimension)
        embed([i for i, v in enumerate(doc_vectors) if v is None or v.shape[1] != true_dim])
    vectors = np.concatenate([v for v in doc_vectors if v is not None])
    doc_vectors.clear()  # the per-document copies are no longer needed
    write_generation(folder, settings, docs, units, vectors, abbreviations, progress, skipped, file_warnings, limits,
                     lines)
    # Only now that the new generation is in force may stale cache entries go.
    keep = {f"{d.sha256}.npy" for d in docs}
    for p in cache.glob("*.npy"):
        if p.name not in keep:
            p.unlink(missing_ok=True)
    return report


def _cached_vectors(path: Path, n_units: int, dim: int | None) -> np.ndarray | None:
    """A document's cached vectors, None when absent or not what is expected."""
    try:
        vec: np.ndarray = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if vec.ndim != 2 or vec.dtype != np.float32 or vec.shape[0] != n_units or (dim is not None and vec.shape[1] != dim):
        return None
    if not np.isfinite(vec).all():
        return None
    return vec


def _npy_bytes(arr: np.ndarray) -> bytes:
    b = io.BytesIO()
    np.save(b, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)
    return b.getvalue()


def write_generation(
    folder: Path,
    settings: Settings,
    docs: list[DocInfo],
    units: list[Unit],
    vectors: np.ndarray,
    abbreviations: dict[str, str],
    progress: Progress,
    skipped: list[dict[str, Any]] | None = None,
    warnings: list[str] | None = None,
    limits: FileLimits | None = None,
    documents: list[bytes] | None = None,
) -> None:
    """Write a new generation beside the current one, then put it in force by
    replacing manifest.json (one atomic rename): readers see the old index or
    the new one, never a mixture, whenever the process is killed."""
    import faiss

    gen_name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = folder / f".{gen_name}.tmp"
    tmp.mkdir(parents=True)
    try:
        with open(tmp / DOCUMENTS_FILE, "wb") as fb:
            for line in documents or ():
                fb.write(line)
        section_ids: dict[tuple[str, ...], int] = {}
        context_ids: dict[tuple[str | None, str], int] = {(None, ""): 0}
        with open(tmp / "units.jsonl", "w", encoding="utf-8") as f:
            for u in units:
                sid = section_ids.setdefault(u.section, len(section_ids))
                cid = context_ids.setdefault((u.table, u.context), len(context_ids))
                row = [u.doc, u.start, u.end, u.kind, u.block, sid, u.text, u.page, u.page_end, cid]
                f.write(json_text(json.dumps(row, ensure_ascii=False)))
                f.write("\n")
        (tmp / "sections.json").write_text(json_text(json.dumps([list(s) for s in section_ids], ensure_ascii=False)), "utf-8")
        (tmp / "contexts.json").write_text(json_text(json.dumps([list(c) for c in context_ids], ensure_ascii=False)), "utf-8")
        np.save(tmp / "vectors.npy", vectors, allow_pickle=False)
        LexicalIndex.build(index_terms(u, abbreviations) for u in units).save(tmp)
        (tmp / "abbreviations.json").write_text(json.dumps(abbreviations, ensure_ascii=False), "utf-8")
        dim = int(vectors.shape[1])
        index_type = "flat" if len(units) <= settings.exact_search_max else "hnsw"
        faiss.write_index(build_faiss(vectors, index_type), str(tmp / "faiss.index"))
        files = {}
        for p in sorted(tmp.iterdir()):
            with open(p, "rb") as f:
                os.fsync(f.fileno())
            files[p.name] = {"size": p.stat().st_size, "sha256": sha_file(p)}
        fsync_dir(tmp)
        os.replace(tmp, folder / gen_name)
        fsync_dir(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    manifest = {
        "format": FORMAT_VERSION,
        "model": settings.model,
        "encoder": encoder_id(settings.model, settings.trained),
        "answering": answering_models(settings.trained),
        "dim": dim,
        "chunker": CHUNKER_VERSION,
        "context": CONTEXT_VERSION,
        "lexical": LEXICAL_VERSION,
        "index_type": index_type,
        "generation": gen_name,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "documents": [doc_dict(d) for d in docs],
        "skipped": skipped or [],
        "warnings": warnings or [],
        "limits": limits_record(limits or file_limits()),
        "files": files,
    }
    write_manifest(folder, manifest)
    fsync_dir(folder)
    for old in folder.glob("gen-*"):
        if old.name != gen_name:
            shutil.rmtree(old, ignore_errors=True)
    for old in folder.glob(".gen-*.tmp"):
        shutil.rmtree(old, ignore_errors=True)

