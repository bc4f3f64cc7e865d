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
import functools
import hashlib
import json
import os
import re
import shutil
import stat
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.abbreviations import find_abbreviations
from qa.errors import QAError
from qa.ingest import (
    CHUNKER_VERSION,
    MAX_FILE_MB_ENV,
    corpus_files,
    decode,
    file_sha256,
    looks_binary,
    max_file_bytes,
    units_of,
)
from qa.lexical import LexicalIndex
from qa.models import Unit
from qa.safe import json_text
from qa.text import terms, words

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.embed import Embedder

FORMAT_VERSION = 2
CONTEXT_VERSION = "2"
"""Bump when the text embedded for a unit changes (cached vectors go stale)."""
LEXICAL_VERSION = "3"
"""Bump when the terms BM25 indexes change (qa.text.terms): the lexical index is
rebuilt, the cached vectors stay valid."""
LOCK_WAIT_SECONDS = 600.0
EMBED_CHUNK_UNITS = 512
"""Documents are embedded in groups of about this many units (a few seconds on
a laptop's CPU), each group cached as soon as it is done, so an interrupted
build keeps the work finished, and each reported through `progress`."""

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
        self.unit_docs = np.fromiter((u.doc for u in units), np.int32, len(units))
        """The document of each unit, as an array."""
        self._title_docs: dict[str, list[int]] | None = None

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
            try:
                self._faiss = faiss.read_index(str(gen / "faiss.index"))
            except RuntimeError:
                # A newer build deleted this generation after it was loaded; the
                # vectors (mapped at load) still hold all that search needs.
                self._faiss = build_faiss(np.asarray(self.vectors), self.index_type)
            if self.index_type == "hnsw":
                self._faiss.hnsw.efSearch = HNSW_EF_SEARCH
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


class _Stale(Exception):
    """The index on disk cannot be used as it is; the message says why."""


_GENERATION = re.compile(r"gen-[A-Za-z0-9-]+")
_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_DOC_FIELDS = {"path": str, "sha256": str, "size": int, "mtime_ns": int, "units": int, "encoding": str, "title": str}


def _check_manifest(data: Any) -> None:
    """Raise _Stale unless the manifest has every field, with the right types."""
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise _Stale("the index was written by another version of qa")
    bad = "the manifest is incomplete or malformed"
    gen = data.get("generation")
    if not isinstance(gen, str) or not _GENERATION.fullmatch(gen):
        raise _Stale(bad)
    for key, kind in (("model", str), ("dim", int), ("chunker", str), ("context", str), ("documents", list), ("files", dict)):
        if not isinstance(data.get(key), kind):
            raise _Stale(bad)
    for name, entry in data["files"].items():
        if (
            not _FILE_NAME.fullmatch(name)
            or not isinstance(entry, dict)
            or not isinstance(entry.get("size"), int)
            or not isinstance(entry.get("sha256"), str)
        ):
            raise _Stale(bad)
    for d in data["documents"]:
        if not isinstance(d, dict) or any(not isinstance(d.get(k), t) for k, t in _DOC_FIELDS.items()):
            raise _Stale(bad)
    for s in data.get("skipped", []):
        if not isinstance(s, dict) or not isinstance(s.get("path"), str) or not isinstance(s.get("size"), int):
            raise _Stale(bad)
    if not set(INDEX_FILES) <= set(data["files"]):
        raise _Stale(bad)


INDEX_FILES = ("units.jsonl", "sections.json", "vectors.npy", "lexical.npz", "vocab.json", "abbreviations.json", "faiss.index")
"""The files of a generation; the manifest must list (and checksum) each."""


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest, None when there is no index; _Stale when it cannot be used."""
    path = folder / "manifest.json"
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise _Stale(f"the manifest is unreadable ({exc.__class__.__name__})") from exc
    _check_manifest(data)
    return data


def verify(folder: Path, manifest: dict[str, Any]) -> None:
    """Check every index file against the manifest's checksums."""
    gen = folder / manifest["generation"]
    for name, expected in manifest["files"].items():
        path = gen / name
        try:
            if not path.is_file():
                raise _Stale(f"index file {name} is missing")
            size = path.stat().st_size
            if size != expected["size"]:
                what = "truncated" if size < expected["size"] else "damaged"
                raise _Stale(f"index file {name} is {what} ({size} bytes, the manifest says {expected['size']})")
            if _sha_file(path) != expected["sha256"]:
                raise _Stale(f"index file {name} is damaged (checksum mismatch)")
        except OSError as exc:
            raise _Stale(f"index file {name} is unreadable ({exc.strerror or exc})") from exc


def load(folder: Path, manifest: dict[str, Any]) -> CorpusIndex:
    """The index a manifest describes, after checking every file's checksum."""
    verify(folder, manifest)
    gen = folder / manifest["generation"]
    try:
        units: list[Unit] = []
        sections: list[tuple[str, ...]] = [tuple(s) for s in json.loads((gen / "sections.json").read_text("utf-8"))]
        n_docs = len(manifest["documents"])
        with open(gen / "units.jsonl", encoding="utf-8") as f:
            for line in f:
                doc, start, end, kind, block, sec, text = json.loads(line)
                if not 0 <= doc < n_docs:
                    raise _Stale("index files disagree on the documents")
                units.append(Unit(doc, start, end, text, sections[sec], kind, block))
        # Memory-mapped, seen as a plain ndarray: indexing an np.memmap costs a
        # Python-level __getitem__/__array_finalize__ per row (5-10% of rank()).
        vectors = np.load(gen / "vectors.npy", mmap_mode="r", allow_pickle=False).view(np.ndarray)
        lexical = LexicalIndex.load(gen)
        abbreviations = json.loads((gen / "abbreviations.json").read_text("utf-8"))
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise _Stale(f"the index files cannot be read ({exc.__class__.__name__})") from exc
    if vectors.ndim != 2 or vectors.dtype != np.float32:
        raise _Stale("vectors.npy does not hold a float32 matrix")
    if vectors.shape[1] != manifest["dim"]:
        raise _Stale(f"the vectors have {vectors.shape[1]} dimensions but the manifest says {manifest['dim']}")
    if len(units) != vectors.shape[0] or len(units) != lexical.size:
        raise _Stale("index files disagree on the number of units")
    return CorpusIndex(folder, manifest, units, vectors, lexical, abbreviations)


# --- building ---------------------------------------------------------------------------


class BuildLock:
    """An exclusive lock on the index folder; a second builder waits, saying so.

    flock() locks belong to the open file, so the kernel releases them when a
    builder dies, however it dies: a killed build never leaves a stale lock.
    """

    def __init__(self, folder: Path, progress: Progress, wait: float = LOCK_WAIT_SECONDS) -> None:
        self.path = folder / ".lock"
        self.progress = progress
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
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
                        raise QAError(
                            f"Another qa build ({holder}) is still updating {self.path.parent} after "
                            f"{self.wait:.0f} s; try again later."
                        ) from None
                    time.sleep(0.2)
            self.progress("The other build finished; going on.")
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _fsync_write(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write a file whole or not at all: a temporary file, then an atomic rename."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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


def model_dimension(name: str, embedder: Any = None) -> int | None:
    """The dimension of the vectors the model makes, when it can be told cheaply:
    from a model already loaded, else from the model folder's configuration
    (no torch import). None when unknown."""
    loaded = getattr(embedder, "_model", None)
    if loaded is not None:
        try:
            return int(embedder.dimension)
        except Exception:  # pragma: no cover - a broken model fails later, clearly
            return None
    return _configured_dimension(name)


@functools.lru_cache(maxsize=8)
def _configured_dimension(name: str) -> int | None:
    try:
        from qa.embed import resolve_model

        root = Path(resolve_model(name))
        modules = json.loads((root / "modules.json").read_text("utf-8"))
        dim: int | None = None
        for m in modules:
            kind = str(m.get("type", ""))
            cfg_path = root / str(m.get("path", "")) / "config.json"
            if kind.endswith(".Pooling"):
                cfg = json.loads(cfg_path.read_text("utf-8"))
                modes = sum(bool(v) for k, v in cfg.items() if k.startswith("pooling_mode_"))
                dim = int(cfg["word_embedding_dimension"]) * max(modes, 1)
            elif kind.endswith(".Dense"):
                dim = int(json.loads(cfg_path.read_text("utf-8"))["out_features"])
        return dim
    except Exception:
        return None


def _stat_matches(manifest: dict[str, Any], files: list[Path], root: Path) -> bool:
    """Whether the corpus files look as when the index was built (size and
    mtime of every document; and of every file that was skipped, so that a
    binary or unreadable file does not make the index stale forever)."""
    known: dict[str, tuple[int, int, int | None]] = {d["path"]: (d["size"], d["mtime_ns"], None) for d in manifest["documents"]}
    for s in manifest.get("skipped", []):
        known[s["path"]] = (s["size"], s.get("mtime_ns", -1), s.get("ctime_ns"))
    if len(known) != len(files):
        return False
    for p in files:
        k = known.get(p.relative_to(root).as_posix())
        if k is None:
            return False
        try:
            st = p.stat()
        except OSError:
            return False
        if st.st_size != k[0] or st.st_mtime_ns != k[1] or (k[2] is not None and st.st_ctime_ns != k[2]):
            return False
    return True


def _settings_match(manifest: dict[str, Any], settings: Settings, embedder: Any = None) -> str | None:
    """Why the index does not fit the settings, or None when it does."""
    if manifest.get("model") != settings.model:
        return f"the embedding model changed ({manifest.get('model')} → {settings.model})"
    if manifest.get("chunker") != CHUNKER_VERSION or manifest.get("context") != CONTEXT_VERSION:
        return "the chunker changed since the index was built"
    if manifest.get("lexical") != LEXICAL_VERSION:
        return "the lexical analysis changed since the index was built"
    want = model_dimension(settings.model, embedder)
    if want is not None and manifest.get("dim") != want:
        return f"the vector dimension changed ({manifest.get('dim')} → {want})"
    return None


def _try_load(folder: Path, settings: Settings, embedder: Any, files: list[Path], corpus: Path) -> CorpusIndex | str:
    """The index if it is up to date, else why it must be (re)built; _Stale
    when it is damaged. A build finishing meanwhile (it deletes the generation
    being read) is retried on the new manifest."""
    for _ in range(3):
        manifest = read_manifest(folder)
        if manifest is None:
            return "no index yet"
        mismatch = _settings_match(manifest, settings, embedder)
        if mismatch:
            return mismatch
        if not _stat_matches(manifest, files, corpus):
            return "the corpus changed"
        if _limit_matters(manifest, _size_limit(settings)):
            return "the file size limit changed"
        try:
            return load(folder, manifest)
        except _Stale:
            try:
                again = read_manifest(folder)
            except _Stale:
                again = None
            if again is None or again["generation"] == manifest["generation"]:
                raise
    raise _Stale("the index kept changing while it was read")


def _restamp(folder: Path, settings: Settings, embedder: Any, files: list[Path], corpus: Path) -> bool:
    """When documents were only touched (new mtime, same bytes: a checkout, a
    copy, an editor saving unchanged text), record their new timestamps in the
    manifest instead of rebuilding. False when anything else changed."""
    try:
        manifest = read_manifest(folder)
    except _Stale:
        return False
    if manifest is None or _settings_match(manifest, settings, embedder) or _limit_matters(manifest, _size_limit(settings)):
        return False
    docs = {d["path"]: d for d in manifest["documents"]}
    skipped = {s["path"]: s for s in manifest.get("skipped", [])}
    if len(docs) + len(skipped) != len(files):
        return False
    touched = False
    for p in files:
        rel = p.relative_to(corpus).as_posix()
        try:
            st = p.stat()  # before reading: a write after this read shows as a newer mtime next time
            d = docs.get(rel)
            if d is None:
                s = skipped.get(rel)
                if s is None or (st.st_size, st.st_mtime_ns, st.st_ctime_ns) != (s["size"], s.get("mtime_ns"), s.get("ctime_ns", st.st_ctime_ns)):
                    return False
                continue
            if st.st_size != d["size"]:
                return False
            if st.st_mtime_ns != d["mtime_ns"]:
                if file_sha256(p.read_bytes()) != d["sha256"]:
                    return False
                d["mtime_ns"] = st.st_mtime_ns
                touched = True
        except OSError:
            return False
    if touched:
        _write_manifest(folder, manifest)
    return touched


def _size_limit(settings: Settings) -> int:
    return settings.max_file_bytes or max_file_bytes()


def _limit_matters(manifest: dict[str, Any], limit: int) -> bool:
    """Whether a new size limit would let in a skipped file or keep out an indexed one."""
    if manifest.get("max_file_bytes", limit) == limit:
        return False
    return any(d["size"] > limit for d in manifest["documents"]) or any(
        s["size"] <= limit and "size limit" in str(s.get("reason", "")) for s in manifest.get("skipped", [])
    )


def _loaded(idx: CorpusIndex, reason: str, warnings: list[str], t0: float) -> tuple[CorpusIndex, BuildReport]:
    report = BuildReport("loaded", reason, len(idx.docs), len(idx.units), warnings=warnings + list(idx.manifest.get("warnings", [])))
    report.seconds = time.perf_counter() - t0
    return idx, report


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
    loads the model. A damaged or mismatched index is rebuilt, saying why
    through `progress`; a build that fails leaves the previous index as it was.
    """
    t0 = time.perf_counter()
    if not corpus.exists():
        raise QAError(f"Corpus folder {corpus} does not exist.", hint="Pass --corpus DIR or create it with some .txt/.md files.")
    if not corpus.is_dir():
        raise QAError(f"Corpus {corpus} is not a folder.")
    files, warnings = corpus_files(corpus)
    if not files:
        raise QAError(f"No .txt or .md files in {corpus}.", hint="Put the articles to search in that folder.")
    reason = "rebuild requested"
    if not rebuild:
        try:
            got = _try_load(folder, settings, embedder, files, corpus)
        except _Stale as exc:
            reason = str(exc)
            progress(f"The index in {folder} cannot be used: {reason}. Rebuilding it.")
        else:
            if isinstance(got, CorpusIndex):
                _tidy(folder, got.manifest["generation"])
                return _loaded(got, "up to date", warnings, t0)
            reason = got
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with BuildLock(folder, progress):
            if not rebuild:
                # Another builder may have finished while we waited for the lock.
                files, warnings = corpus_files(corpus)
                try:
                    got = _try_load(folder, settings, embedder, files, corpus)
                    if isinstance(got, CorpusIndex):
                        return _loaded(got, "built by another process", warnings, t0)
                except _Stale:
                    pass
                if _restamp(folder, settings, embedder, files, corpus):
                    got = _try_load(folder, settings, embedder, files, corpus)
                    if isinstance(got, CorpusIndex):
                        return _loaded(got, "up to date (files touched, same bytes)", warnings, t0)
            _remove_leftovers(folder)
            emb = embedder if not callable(embedder) or hasattr(embedder, "encode") else embedder()
            report = _build(corpus, folder, settings, emb, files, warnings, reason, progress)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise QAError(
            f"Could not build the index in {folder}: {exc.strerror or exc}{where}.",
            hint="The previous index, if there was one, is unchanged.",
        ) from exc
    report.seconds = time.perf_counter() - t0
    try:
        idx = load(folder, read_manifest(folder))  # type: ignore[arg-type]
    except (_Stale, TypeError) as exc:  # pragma: no cover - only if the disk lies
        raise QAError(f"The index just built in {folder} cannot be read back: {exc}.") from exc
    return idx, report


def _tidy(folder: Path, current: str) -> None:
    """Remove what a killed build left, if there is any and no build is running."""
    junk = [p for p in folder.glob("gen-*") if p.name != current]
    junk += list(folder.glob(".gen-*.tmp")) + list(folder.glob(".manifest.json.*.tmp"))
    if not junk:
        return
    try:
        fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError:
        return  # a read-only index: leave it be
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _remove_leftovers(folder)
    except OSError:
        pass  # a build is running; it cleans up itself
    finally:
        os.close(fd)


def _remove_leftovers(folder: Path) -> None:
    """Delete what killed builds left behind (run under the build lock): half-written
    generations, generations never put in force, temporary files."""
    try:
        current = (read_manifest(folder) or {}).get("generation")
    except _Stale:
        current = None
    for p in folder.glob(".gen-*.tmp"):
        shutil.rmtree(p, ignore_errors=True)
    for p in folder.glob("gen-*"):
        if p.name != current:
            shutil.rmtree(p, ignore_errors=True)
    for p in folder.glob(".manifest.json.*.tmp"):
        p.unlink(missing_ok=True)
    for p in folder.glob("cache/*/.*.tmp"):
        p.unlink(missing_ok=True)


def _read_doc(
    path: Path, root: Path, limit: int, warnings: list[str], skipped: list[dict[str, Any]]
) -> tuple[bytes, str, str, os.stat_result] | None:
    """A corpus file's bytes, text, encoding and stat; None (with a warning
    naming it) when it cannot be indexed. Files that exist but are skipped go
    into `skipped` with their stat, so an unchanged corpus stays up to date."""
    rel = path.relative_to(root).as_posix()

    def skip(why: str, st: os.stat_result | None = None) -> None:
        warnings.append(f"skipped {rel}: {why}")
        if st is None:
            try:
                st = path.stat()
            except OSError:
                return  # gone: nothing to remember
        skipped.append({"path": rel, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "reason": why})

    try:
        # O_NONBLOCK: a FIFO put in place of a file must not hang the build.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        warnings.append(f"skipped {rel}: it disappeared while the index was being built")
        return None
    except OSError as exc:
        skip(exc.strerror or str(exc))
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            skip("not a regular file", st)
            return None
        if st.st_size > limit:
            skip(f"{_mb(st.st_size)} is over the {_mb(limit)} size limit (set {MAX_FILE_MB_ENV} to change it)", st)
            return None
        chunks = []
        got = 0
        while got <= limit:
            b = os.read(fd, min(1 << 20, limit + 1 - got))
            if not b:
                break
            chunks.append(b)
            got += len(b)
        data = b"".join(chunks)
        del chunks
        if len(data) > limit:
            skip(f"it grew past the {_mb(limit)} size limit while being read", st)
            return None
    except OSError as exc:
        skip(exc.strerror or str(exc))
        return None
    finally:
        os.close(fd)
    if looks_binary(data):
        skip("binary file, not text", st)
        return None
    text, encoding = decode(data)
    if encoding != "utf-8":
        warnings.append(f"{rel}: not valid UTF-8; read as {encoding}")
    return data, text, encoding, st


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


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
    limit = _size_limit(settings)
    expected_dim = model_dimension(settings.model, embedder)
    docs: list[DocInfo] = []
    units: list[Unit] = []
    doc_vectors: list[np.ndarray | None] = []
    pending: list[int] = []  # docs whose vectors must be computed
    abbreviations: dict[str, str] = {}
    file_warnings: list[str] = []  # kept in the manifest, shown again on every load
    skipped: list[dict[str, Any]] = []
    for path in files:
        got = _read_doc(path, corpus, limit, file_warnings, skipped)
        if got is None:
            continue
        data, text, encoding, st = got
        rel = path.relative_to(corpus).as_posix()
        doc_id = len(docs)
        doc_units = units_of(doc_id, text)
        if not doc_units:
            why = "empty file" if not text.strip() else "no text to cite"
            file_warnings.append(f"skipped {rel}: {why}")
            skipped.append({"path": rel, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "reason": why})
            continue
        sha = file_sha256(data)
        del data
        title = doc_units[0].section[0] if doc_units[0].section else rel
        docs.append(DocInfo(rel, sha, st.st_size, st.st_mtime_ns, len(doc_units), encoding, title))
        units.extend(doc_units)
        for k, v in find_abbreviations(text).items():
            abbreviations.setdefault(k, v)
        del text
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
                    _fsync_write(cache / f"{docs[i].sha256}.npy", _npy_bytes(v), sync=False)
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
    del doc_vectors
    _write_generation(folder, settings, docs, units, vectors, abbreviations, progress, skipped, file_warnings, limit)
    # Only now that the new generation is in force may stale cache entries go.
    keep = {f"{d.sha256}.npy" for d in docs}
    for p in cache.glob("*.npy"):
        if p.name not in keep:
            p.unlink(missing_ok=True)
    return report


def _cached_vectors(path: Path, n_units: int, dim: int | None) -> np.ndarray | None:
    """A document's cached vectors, None when absent or not what is expected."""
    try:
        vec = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if vec.ndim != 2 or vec.dtype != np.float32 or vec.shape[0] != n_units or (dim is not None and vec.shape[1] != dim):
        return None
    if not np.isfinite(vec).all():
        return None
    return vec


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
    skipped: list[dict[str, Any]] | None = None,
    warnings: list[str] | None = None,
    limit: int | None = None,
) -> None:
    """Write a new generation beside the current one, then put it in force by
    replacing manifest.json (one atomic rename): readers see the old index or
    the new one, never a mixture, whenever the process is killed."""
    import faiss

    gen_name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = folder / f".{gen_name}.tmp"
    tmp.mkdir(parents=True)
    try:
        section_ids: dict[tuple[str, ...], int] = {}
        with open(tmp / "units.jsonl", "w", encoding="utf-8") as f:
            for u in units:
                sid = section_ids.setdefault(u.section, len(section_ids))
                f.write(json.dumps([u.doc, u.start, u.end, u.kind, u.block, sid, u.text], ensure_ascii=False))
                f.write("\n")
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
        "lexical": LEXICAL_VERSION,
        "index_type": index_type,
        "generation": gen_name,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "documents": [_doc_dict(d) for d in docs],
        "skipped": skipped or [],
        "warnings": warnings or [],
        "max_file_bytes": limit or max_file_bytes(),
        "files": files,
    }
    _write_manifest(folder, manifest)
    _fsync_dir(folder)
    for old in folder.glob("gen-*"):
        if old.name != gen_name:
            shutil.rmtree(old, ignore_errors=True)
    for old in folder.glob(".gen-*.tmp"):
        shutil.rmtree(old, ignore_errors=True)


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Replace manifest.json atomically: the one write that puts an index in force."""
    # json_text escapes lone surrogates (file names that are not UTF-8), which
    # cannot be encoded raw; JSON readers restore them.
    _fsync_write(folder / "manifest.json", json_text(json.dumps(manifest, indent=1, ensure_ascii=False)).encode("utf-8"))


def _doc_dict(d: DocInfo) -> dict[str, Any]:
    return {k: getattr(d, k) for k in DocInfo.__slots__}  # type: ignore[attr-defined]


HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256
"""The HNSW search breadth. FAISS does not widen it to k, and qa takes 100
dense candidates: bench/scale.py measured recall@100 against exact search of
0.86 at 64 and 0.97 at 256 on COVID-QA-like vectors at 10^6 units, for
0.3 ms and 0.9 ms a query (docs/performance.md)."""


def build_faiss(vectors: np.ndarray, index_type: str) -> Any:
    """Exact inner-product search while small; HNSW above the threshold."""
    import faiss

    dim = int(vectors.shape[1])
    if index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index
