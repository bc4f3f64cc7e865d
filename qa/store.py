"""The persisted index: build, refresh only what changed, verify, load.

Layout of an index folder:
    manifest.json      what was built from what: model, dimension, chunker,
                       every corpus file's hash, every index file's checksum
    gen-<id>/          one generation: units.jsonl, vectors.npy, faiss.index,
                       lexical.npz, vocab.json, abbreviations.json
    cache/<key>/       per-document vectors by content hash, so a changed
                       corpus re-embeds only the documents that changed
    .lock              held while building

A build writes a new generation and then replaces manifest.json atomically;
readers follow the manifest, so a build killed at any moment leaves the
previous index in force. Nothing is ever unpickled.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.abbreviations import find_abbreviations
from qa.errors import QAError
from qa.ingest import CHUNKER_VERSION, MAX_FILE_BYTES, corpus_files, decode, file_sha256, looks_binary, units_of
from qa.lexical import LexicalIndex
from qa.models import Unit
from qa.text import terms, words

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.embed import Embedder

FORMAT_VERSION = 2
CONTEXT_VERSION = "2"
"""Bump when the text embedded for a unit changes (cached vectors go stale)."""
LOCK_WAIT_SECONDS = 600.0
EMBED_CHUNK_UNITS = 2048
"""Documents are embedded in groups of about this many units, each group cached
as soon as it is done, so an interrupted build keeps the work finished."""

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass(slots=True)
class DocInfo:
    path: str
    sha256: str
    size: int
    mtime_ns: int
    units: int
    encoding: str
    title: str


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


def section_label(unit: Unit) -> str:
    """The heading path shown with a citation, without the document title."""
    inner = unit.section[1:] if len(unit.section) > 1 else unit.section
    return " › ".join(inner)


def index_terms(unit: Unit, abbreviations: dict[str, str]) -> list[str]:
    """Lexical terms of a unit: its text, its headings, and the long form of
    every abbreviation the corpus defines that it uses ("TEAE" also counts as
    "treatment-emergent adverse event")."""
    out = terms(unit.text + " " + " ".join(unit.section[1:]))
    if abbreviations:
        for w in dict.fromkeys(words(unit.text)):
            long = abbreviations.get(w)
            if long:
                out.extend(terms(long))
    return out


def embedding_text(unit: Unit) -> str:
    """What is embedded for a unit: its heading context, then its text."""
    label = " › ".join(unit.section[1:][-2:])
    return f"{label}: {unit.text}" if label else unit.text


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
        self._faiss: Any = None
        self._terms: dict[int, list[str]] = {}
        self.doc_unit_ranges = _ranges(units, len(self.docs))
        self._unit_doc = np.fromiter((u.doc for u in units), np.int32, len(units))
        self._title_terms: dict[int, frozenset[str]] = {}

    @property
    def model(self) -> str:
        return self.manifest["model"]

    @property
    def index_type(self) -> str:
        return self.manifest.get("index_type", "flat")

    def faiss_index(self) -> Any:
        if self._faiss is None:
            import faiss

            gen = self.folder / self.manifest["generation"]
            self._faiss = faiss.read_index(str(gen / "faiss.index"))
            if self.index_type == "hnsw":
                self._faiss.hnsw.efSearch = max(64, self._faiss.hnsw.efSearch)
        return self._faiss

    def docs_with_term(self, term: str) -> np.ndarray:
        """Ids of the documents containing a (stemmed) term."""
        j = self.lexical.vocab.get(term)
        if j is None:
            return np.zeros(0, np.int32)
        w = self.lexical.weights
        rows = w.indices[w.indptr[j] : w.indptr[j + 1]]
        return np.unique(self._unit_doc[rows])

    def title_terms(self, doc: int) -> frozenset[str]:
        t = self._title_terms.get(doc)
        if t is None:
            t = self._title_terms[doc] = frozenset(terms(self.docs[doc].title))
        return t

    def unit_terms(self, i: int) -> list[str]:
        """The lexical terms of unit i (memoised)."""
        t = self._terms.get(i)
        if t is None:
            t = self._terms[i] = index_terms(self.units[i], self.abbreviations)
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


# --- reading ----------------------------------------------------------------------------


def _sha_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / "manifest.json"
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise _Stale(f"the manifest is unreadable ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise _Stale("the index was written by another version of qa")
    return data


class _Stale(Exception):
    """The index on disk cannot be used as it is; the message says why."""


def verify(folder: Path, manifest: dict[str, Any]) -> None:
    """Check every index file against the manifest's checksums."""
    gen = folder / manifest["generation"]
    for name, expected in manifest["files"].items():
        path = gen / name
        if not path.is_file():
            raise _Stale(f"index file {name} is missing")
        if path.stat().st_size != expected["size"] or _sha_file(path) != expected["sha256"]:
            raise _Stale(f"index file {name} is damaged (checksum mismatch)")


def load(folder: Path, manifest: dict[str, Any]) -> CorpusIndex:
    verify(folder, manifest)
    gen = folder / manifest["generation"]
    units: list[Unit] = []
    sections: list[tuple[str, ...]] = [tuple(s) for s in json.loads((gen / "sections.json").read_text("utf-8"))]
    with open(gen / "units.jsonl", encoding="utf-8") as f:
        for line in f:
            doc, start, end, kind, block, sec, text = json.loads(line)
            units.append(Unit(doc, start, end, text, sections[sec], kind, block))
    vectors = np.load(gen / "vectors.npy", mmap_mode="r", allow_pickle=False)
    lexical = LexicalIndex.load(gen)
    abbreviations = json.loads((gen / "abbreviations.json").read_text("utf-8"))
    if len(units) != vectors.shape[0] or len(units) != lexical.size:
        raise _Stale("index files disagree on the number of units")
    return CorpusIndex(folder, manifest, units, vectors, lexical, abbreviations)


# --- building ---------------------------------------------------------------------------


class BuildLock:
    """An exclusive lock on the index folder; a second builder waits, saying so."""

    def __init__(self, folder: Path, progress: Progress, wait: float = LOCK_WAIT_SECONDS) -> None:
        self.path = folder / ".lock"
        self.progress = progress
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "another process"
            self.progress(f"Another qa build ({holder}) is updating {self.path.parent}; waiting for it to finish…")
            deadline = time.monotonic() + self.wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        os.close(fd)
                        raise QAError(f"Another qa build is still updating {self.path.parent}; try again later.") from None
                    time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _fsync_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _cache_key(settings: Settings, dim: int | None = None) -> str:
    raw = f"{settings.model}|{CHUNKER_VERSION}|{CONTEXT_VERSION}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _stat_matches(manifest: dict[str, Any], files: list[Path], root: Path) -> bool:
    docs = manifest["documents"]
    if len(docs) != len(files):
        return False
    for d, p in zip(docs, files):
        if d["path"] != p.relative_to(root).as_posix():
            return False
        try:
            st = p.stat()
        except OSError:
            return False
        if st.st_size != d["size"] or st.st_mtime_ns != d["mtime_ns"]:
            return False
    return True


def _settings_match(manifest: dict[str, Any], settings: Settings) -> str | None:
    """Why the index does not fit the settings, or None when it does."""
    if manifest.get("model") != settings.model:
        return f"the embedding model changed ({manifest.get('model')} → {settings.model})"
    if manifest.get("chunker") != CHUNKER_VERSION or manifest.get("context") != CONTEXT_VERSION:
        return "the chunker changed since the index was built"
    return None


def open_index(
    corpus: Path,
    folder: Path,
    settings: Settings,
    embedder: Embedder | Callable[[], Embedder],
    *,
    rebuild: bool = False,
    progress: Progress = _quiet,
) -> tuple[CorpusIndex, BuildReport]:
    """Load the index for a corpus, building or refreshing it first if needed.

    `embedder` may be a factory, so that loading an up-to-date index never
    loads the model.
    """
    t0 = time.perf_counter()
    if not corpus.exists():
        raise QAError(f"Corpus folder {corpus} does not exist.", hint="Pass --corpus DIR or create it with some .txt/.md files.")
    if not corpus.is_dir():
        raise QAError(f"Corpus {corpus} is not a folder.")
    files, warnings = corpus_files(corpus)
    if not files:
        raise QAError(f"No .txt or .md files in {corpus}.", hint="Put the articles to search in that folder.")
    reason = "no index yet"
    if not rebuild:
        try:
            manifest = read_manifest(folder)
            if manifest is not None:
                mismatch = _settings_match(manifest, settings)
                if mismatch:
                    reason = mismatch
                elif _stat_matches(manifest, files, corpus):
                    idx = load(folder, manifest)
                    report = BuildReport("loaded", "up to date", len(idx.docs), len(idx.units), warnings=warnings)
                    report.seconds = time.perf_counter() - t0
                    return idx, report
                else:
                    reason = "the corpus changed"
        except _Stale as exc:
            reason = str(exc)
            progress(f"The index in {folder} cannot be used: {reason}. Rebuilding it.")
    else:
        reason = "rebuild requested"
    folder.mkdir(parents=True, exist_ok=True)
    with BuildLock(folder, progress):
        # Another builder may have finished while we waited for the lock.
        if not rebuild:
            try:
                manifest = read_manifest(folder)
                if manifest and not _settings_match(manifest, settings):
                    files, warnings = corpus_files(corpus)
                    if _stat_matches(manifest, files, corpus):
                        idx = load(folder, manifest)
                        return idx, BuildReport("loaded", "built by another process", len(idx.docs), len(idx.units), warnings=warnings)
            except _Stale:
                pass
        emb = embedder if not callable(embedder) or hasattr(embedder, "encode") else embedder()
        report = _build(corpus, folder, settings, emb, files, warnings, reason, progress)
    report.seconds = time.perf_counter() - t0
    idx = load(folder, read_manifest(folder))  # type: ignore[arg-type]
    return idx, report


def _read_doc(path: Path, root: Path, warnings: list[str]) -> tuple[bytes, str, str, os.stat_result] | None:
    rel = path.relative_to(root).as_posix()
    try:
        st = path.stat()
        if st.st_size > MAX_FILE_BYTES:
            warnings.append(f"skipped {rel}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            return None
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        warnings.append(f"skipped {rel}: {exc.strerror or exc}")
        return None
    if looks_binary(data):
        warnings.append(f"skipped {rel}: binary file, not text")
        return None
    text, encoding = decode(data)
    if encoding != "utf-8":
        warnings.append(f"{rel}: not valid UTF-8; read as {encoding}")
    return data, text, encoding, st


def _build(
    corpus: Path,
    folder: Path,
    settings: Settings,
    embedder: Embedder,
    files: list[Path],
    warnings: list[str],
    reason: str,
    progress: Progress,
) -> BuildReport:
    old: dict[str, str] = {}
    try:
        prev = read_manifest(folder)
        if prev:
            old = {d["path"]: d["sha256"] for d in prev["documents"]}
    except _Stale:
        pass
    cache = folder / "cache" / _cache_key(settings)
    cache.mkdir(parents=True, exist_ok=True)
    docs: list[DocInfo] = []
    units: list[Unit] = []
    doc_vectors: list[np.ndarray | None] = []
    pending: list[int] = []  # docs whose vectors must be computed
    abbreviations: dict[str, str] = {}
    for path in files:
        got = _read_doc(path, corpus, warnings)
        if got is None:
            continue
        data, text, encoding, st = got
        rel = path.relative_to(corpus).as_posix()
        doc_id = len(docs)
        doc_units = units_of(doc_id, text)
        if not doc_units:
            warnings.append(f"skipped {rel}: no text to cite")
            continue
        sha = file_sha256(data)
        title = doc_units[0].section[0] if doc_units[0].section else rel
        docs.append(DocInfo(rel, sha, st.st_size, st.st_mtime_ns, len(doc_units), encoding, title))
        units.extend(doc_units)
        for k, v in find_abbreviations(text).items():
            abbreviations.setdefault(k, v)
        cached = cache / f"{sha}.npy"
        vec = None
        if cached.is_file():
            try:
                vec = np.load(cached, allow_pickle=False)
                if vec.shape[0] != len(doc_units):
                    vec = None
            except (OSError, ValueError):
                vec = None
        doc_vectors.append(vec)
        if vec is None:
            pending.append(doc_id)
    if not docs:
        raise QAError(f"Nothing in {corpus} could be indexed.", hint="\n".join(warnings) or None)
    report = BuildReport("built" if not old else "updated", reason, len(docs), len(units), warnings=warnings)
    report.removed_documents = sorted(set(old) - {d.path for d in docs})
    starts = np.cumsum([0] + [d.units for d in docs])
    if pending:
        total = sum(docs[i].units for i in pending)
        progress(f"Embedding {total} units from {len(pending)} document(s) with {settings.model}…")
        show_bar = total > 256
        group: list[int] = []
        size = 0
        for n, doc_id in enumerate(pending):
            group.append(doc_id)
            size += docs[doc_id].units
            if size >= EMBED_CHUNK_UNITS or n == len(pending) - 1:
                texts = [embedding_text(u) for i in group for u in units[starts[i] : starts[i + 1]]]
                vecs = embedder.encode(texts, progress=show_bar)
                off = 0
                for i in group:
                    v = vecs[off : off + docs[i].units]
                    off += docs[i].units
                    doc_vectors[i] = v
                    buf = _npy_bytes(v)
                    _fsync_write(cache / f"{docs[i].sha256}.npy", buf)
                    report.embedded_documents.append(docs[i].path)
                report.embedded_units += len(texts)
                group, size = [], 0
    vectors = np.concatenate([v for v in doc_vectors if v is not None]) if units else np.zeros((0, 1), np.float32)
    _write_generation(folder, settings, docs, units, vectors, abbreviations, progress)
    # Only now that the new generation is in force may stale cache entries go.
    keep = {f"{d.sha256}.npy" for d in docs}
    for p in cache.glob("*.npy"):
        if p.name not in keep:
            p.unlink(missing_ok=True)
    return report


def _npy_bytes(arr: np.ndarray) -> bytes:
    import io

    b = io.BytesIO()
    np.save(b, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)
    return b.getvalue()


def _write_generation(
    folder: Path,
    settings: Settings,
    docs: list[DocInfo],
    units: list[Unit],
    vectors: np.ndarray,
    abbreviations: dict[str, str],
    progress: Progress,
) -> None:
    import faiss

    gen_name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = folder / f".{gen_name}.tmp"
    tmp.mkdir(parents=True)
    try:
        section_ids: dict[tuple[str, ...], int] = {}
        lines = []
        for u in units:
            sid = section_ids.setdefault(u.section, len(section_ids))
            lines.append(json.dumps([u.doc, u.start, u.end, u.kind, u.block, sid, u.text], ensure_ascii=False))
        (tmp / "units.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
        (tmp / "sections.json").write_text(json.dumps([list(s) for s in section_ids], ensure_ascii=False), "utf-8")
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
            files[p.name] = {"size": p.stat().st_size, "sha256": _sha_file(p)}
        _fsync_dir(tmp)
        os.replace(tmp, folder / gen_name)
        _fsync_dir(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    manifest = {
        "format": FORMAT_VERSION,
        "model": settings.model,
        "dim": dim,
        "chunker": CHUNKER_VERSION,
        "context": CONTEXT_VERSION,
        "index_type": index_type,
        "generation": gen_name,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "documents": [_doc_dict(d) for d in docs],
        "files": files,
    }
    _fsync_write(folder / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False).encode())
    _fsync_dir(folder)
    for old in folder.glob("gen-*"):
        if old.name != gen_name:
            shutil.rmtree(old, ignore_errors=True)
    for old in folder.glob(".gen-*.tmp"):
        shutil.rmtree(old, ignore_errors=True)


def _doc_dict(d: DocInfo) -> dict[str, Any]:
    return {k: getattr(d, k) for k in DocInfo.__slots__}  # type: ignore[attr-defined]


def build_faiss(vectors: np.ndarray, index_type: str) -> Any:
    """Exact inner-product search while small; HNSW above the threshold."""
    import faiss

    dim = int(vectors.shape[1])
    if index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index
