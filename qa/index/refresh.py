"""Opening the index for a corpus: load it when it is up to date, else refresh it.

Up to date means: the same model, chunker, lexical analysis and vector
dimension, every corpus file with the size and modification time the
manifest records (documents only touched, same bytes, get their new times
recorded instead of a rebuild), and a file size limit that lets in and keeps
out the same files. A damaged index is rebuilt, saying why; two builders
take turns under the build lock, and the second finds the work done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from qa.errors import QAError
from qa.index.adapters import answering_models
from qa.index.build import BuildReport, build, limits_of, limits_record
from qa.index.corpus_index import CorpusIndex, load
from qa.index.dense import CONTEXT_VERSION
from qa.index.durable import BuildLock, Progress, quiet
from qa.index.embed import encoder_id, model_dimension
from qa.index.lexical import LEXICAL_VERSION
from qa.index.manifest import Stale, read_manifest, remove_leftovers, tidy, write_manifest
from qa.reading.files import FileLimits, corpus_files, file_sha256
from qa.reading.units import CHUNKER_VERSION

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.index.embed import Encoder


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
    if manifest.get("encoder", manifest.get("model")) != encoder_id(settings.model, settings.trained):
        return "the trained encoder changed since the index was built"
    if manifest.get("chunker") != CHUNKER_VERSION or manifest.get("context") != CONTEXT_VERSION:
        return "the chunker changed since the index was built"
    if manifest.get("lexical") != LEXICAL_VERSION:
        return "the lexical analysis changed since the index was built"
    want = model_dimension(settings.model, embedder)
    if want is not None and manifest.get("dim") != want:
        return f"the vector dimension changed ({manifest.get('dim')} → {want})"
    return None


def _try_load(folder: Path, settings: Settings, embedder: Any, files: list[Path], corpus: Path) -> CorpusIndex | str:
    """The index if it is up to date, else why it must be (re)built; Stale
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
        if _limit_matters(manifest, limits_of(settings)):
            return "the file size or page limit changed"
        try:
            return load(folder, manifest)
        except Stale:
            try:
                again = read_manifest(folder)
            except Stale:
                again = None
            if again is None or again["generation"] == manifest["generation"]:
                raise
    raise Stale("the index kept changing while it was read")


def _restamp(folder: Path, settings: Settings, embedder: Any, files: list[Path], corpus: Path) -> bool:
    """When documents were only touched (new mtime, same bytes: a checkout, a
    copy, an editor saving unchanged text), record their new timestamps in the
    manifest instead of rebuilding. False when anything else changed."""
    try:
        manifest = read_manifest(folder)
    except Stale:
        return False
    if manifest is None or _settings_match(manifest, settings, embedder) or _limit_matters(manifest, limits_of(settings)):
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
        write_manifest(folder, manifest)
    return touched


def _limit_matters(manifest: dict[str, Any], limits: FileLimits) -> bool:
    """Whether new size or page limits would let in a skipped file or keep out an indexed one."""
    if manifest.get("limits") == limits_record(limits):
        return False
    if any(d["size"] > limits.bytes_for(d["path"]) or d["pages"] > limits.pages for d in manifest["documents"]):
        return True
    for s in manifest.get("skipped", []):
        reason = str(s.get("reason", ""))
        if "size limit" in reason and s["size"] <= limits.bytes_for(s["path"]):
            return True
        if "pages, over the limit" in reason:
            return True  # its page count is not known until it is read again
    return False


def _encoder(embedder: Encoder | Callable[[], Encoder]) -> Encoder:
    """The embedder, or the one its factory makes: called only when a build needs a model."""
    if callable(embedder) and not hasattr(embedder, "encode"):
        return embedder()
    return cast("Encoder", embedder)  # it has encode(): an Encoder, not a factory


def _models_changed(folder: Path, idx: CorpusIndex, settings: Settings) -> list[str]:
    """A note when the trained models that decide answers are not those the manifest
    records (answers may differ from those given before, with the same index); the
    manifest then records them, so the note is made once. An index built before
    manifests recorded them takes the record silently."""
    now = answering_models(settings.trained)
    before = idx.manifest.get("answering")
    if before == now:
        return []
    try:
        # Loading never waits for a build: with the lock taken, the record waits for the next open.
        with BuildLock(folder, quiet, wait=0.0):
            manifest = read_manifest(folder)
            if manifest is None or manifest.get("generation") != idx.manifest["generation"]:
                return []  # rebuilt meanwhile: the new manifest records the models
            manifest["answering"] = now
            write_manifest(folder, manifest)
    except (OSError, Stale, QAError):
        pass  # a read-only index, or a build under way: the note stands until it is recorded
    idx.manifest["answering"] = now
    if before is None:
        return []
    changed = sorted(n for n in set(before) | set(now) if before.get(n) != now.get(n))
    return [f"qa's trained answering models changed since this index was last used ({', '.join(changed)}): "
            "answers may differ from those given before."]


def _loaded(idx: CorpusIndex, reason: str, warnings: list[str], t0: float) -> tuple[CorpusIndex, BuildReport]:
    report = BuildReport("loaded", reason, len(idx.docs), len(idx.units), warnings=warnings + list(idx.manifest.get("warnings", [])))
    report.seconds = time.perf_counter() - t0
    return idx, report


def open_index(
    corpus: Path,
    folder: Path,
    settings: Settings,
    embedder: Encoder | Callable[[], Encoder],
    *,
    rebuild: bool = False,
    progress: Progress = quiet,
) -> tuple[CorpusIndex, BuildReport]:
    """Load the index for a corpus, building or refreshing it first if needed.

    `embedder` may be a factory, so that loading an up-to-date index never
    loads the model. A damaged or mismatched index is rebuilt, saying why
    through `progress`; a build that fails leaves the previous index as it was.
    """
    t0 = time.perf_counter()
    if not corpus.exists():
        raise QAError(f"Corpus folder {corpus} does not exist.", hint="Pass --corpus DIR or create it with some articles (.txt, .md, .nxml, .html, .pdf).")
    if not corpus.is_dir():
        raise QAError(f"Corpus {corpus} is not a folder.")
    files, warnings = corpus_files(corpus)
    if not files:
        raise QAError(f"No articles in {corpus} (.txt, .md, .nxml/.xml, .html/.htm or .pdf files).", hint="Put the articles to search in that folder.")
    reason = "rebuild requested"
    if not rebuild:
        try:
            got = _try_load(folder, settings, embedder, files, corpus)
        except Stale as exc:
            reason = str(exc)
            progress(f"The index in {folder} cannot be used: {reason}. Rebuilding it.")
        else:
            if isinstance(got, CorpusIndex):
                tidy(folder, got.manifest["generation"])
                return _loaded(got, "up to date", warnings + _models_changed(folder, got, settings), t0)
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
                except Stale:
                    pass
                if _restamp(folder, settings, embedder, files, corpus):
                    got = _try_load(folder, settings, embedder, files, corpus)
                    if isinstance(got, CorpusIndex):
                        return _loaded(got, "up to date (files touched, same bytes)", warnings, t0)
            remove_leftovers(folder)
            report = build(corpus, folder, settings, _encoder(embedder), files, warnings, reason, progress)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise QAError(
            f"Could not build the index in {folder}: {exc.strerror or exc}{where}.",
            hint="The previous index, if there was one, is unchanged.",
        ) from exc
    report.seconds = time.perf_counter() - t0
    try:
        manifest = read_manifest(folder)
        if manifest is None:
            raise Stale("manifest.json is missing")
        idx = load(folder, manifest)
    except (Stale, TypeError) as exc:  # pragma: no cover - only if the disk lies
        raise QAError(f"The index just built in {folder} cannot be read back: {exc}.") from exc
    return idx, report
