"""The manifest, the generations it points to, and their verification.

Layout of an index folder:
    manifest.json      what was built from what: model, dimension, chunker,
                       every corpus file's hash, every index file's checksum
    gen-<id>/          one generation: documents.jsonl (every document's
                       canonical text and blocks), units.jsonl, sections.json,
                       contexts.json, vectors.npy, faiss.index, lexical.npz,
                       vocab.json, abbreviations.json
    cache/<key>/       per-document vectors by content hash, so a changed
                       corpus re-embeds only the documents that changed
    .lock              held while building

A build writes a new generation and then replaces manifest.json atomically;
readers follow the manifest, so a build killed at any moment leaves the
previous index in force. Every field of the manifest is type-checked and every
file of a generation checksummed before it is used.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.index.durable import fsync_write, sha_file
from qa.safe import json_text

FORMAT_VERSION = 3
INDEX_FILES = (
    "documents.jsonl", "units.jsonl", "sections.json", "contexts.json", "vectors.npy", "lexical.npz", "vocab.json",
    "abbreviations.json", "faiss.index",
)
"""The files of a generation; the manifest must list (and checksum) each."""


class Stale(Exception):
    """The index on disk cannot be used as it is; the message says why."""


@dataclass(slots=True)
class DocInfo:
    """One indexed document, as the manifest records it."""

    path: str
    sha256: str
    size: int
    mtime_ns: int
    units: int
    encoding: str
    """How the bytes were decoded ("utf-8", "cp1252"...), or the format read from bytes ("xml", "html", "pdf")."""
    title: str
    format: str
    """"text", "markdown", "jats", "html" or "pdf"."""
    pages: int
    """Pages of a PDF, 0 for other formats."""
    text_sha256: str
    """SHA-256 of the canonical text (documents.jsonl), checked whenever it is handed out."""


def doc_dict(d: DocInfo) -> dict[str, Any]:
    """A DocInfo as the manifest's JSON object."""
    return {k: getattr(d, k) for k in DocInfo.__slots__}


_GENERATION = re.compile(r"gen-[A-Za-z0-9-]+")
_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_DOC_FIELDS = {
    "path": str, "sha256": str, "size": int, "mtime_ns": int, "units": int, "encoding": str, "title": str,
    "format": str, "pages": int, "text_sha256": str,
}


def check_manifest(data: Any) -> None:
    """Raise Stale unless the manifest has every field, with the right types."""
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise Stale("the index was written by another version of qa")
    bad = "the manifest is incomplete or malformed"
    gen = data.get("generation")
    if not isinstance(gen, str) or not _GENERATION.fullmatch(gen):
        raise Stale(bad)
    for key, kind in (("model", str), ("dim", int), ("chunker", str), ("context", str), ("documents", list), ("files", dict)):
        if not isinstance(data.get(key), kind):
            raise Stale(bad)
    for name, entry in data["files"].items():
        if (
            not _FILE_NAME.fullmatch(name)
            or not isinstance(entry, dict)
            or not isinstance(entry.get("size"), int)
            or not isinstance(entry.get("sha256"), str)
        ):
            raise Stale(bad)
    for d in data["documents"]:
        if not isinstance(d, dict) or any(not isinstance(d.get(k), t) for k, t in _DOC_FIELDS.items()):
            raise Stale(bad)
    for s in data.get("skipped", []):
        if not isinstance(s, dict) or not isinstance(s.get("path"), str) or not isinstance(s.get("size"), int):
            raise Stale(bad)
    if not set(INDEX_FILES) <= set(data["files"]):
        raise Stale(bad)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest, None when there is no index; Stale when it cannot be used."""
    path = folder / "manifest.json"
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise Stale(f"the manifest is unreadable ({exc.__class__.__name__})") from exc
    check_manifest(data)
    manifest: dict[str, Any] = data  # checked: a dict with every field
    return manifest


def verify(folder: Path, manifest: dict[str, Any]) -> None:
    """Check every index file against the manifest's checksums."""
    gen = folder / manifest["generation"]
    for name, expected in manifest["files"].items():
        path = gen / name
        try:
            if not path.is_file():
                raise Stale(f"index file {name} is missing")
            size = path.stat().st_size
            if size != expected["size"]:
                what = "truncated" if size < expected["size"] else "damaged"
                raise Stale(f"index file {name} is {what} ({size} bytes, the manifest says {expected['size']})")
            if sha_file(path) != expected["sha256"]:
                raise Stale(f"index file {name} is damaged (checksum mismatch)")
        except OSError as exc:
            raise Stale(f"index file {name} is unreadable ({exc.strerror or exc})") from exc


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Replace manifest.json atomically: the one write that puts an index in force."""
    # json_text escapes lone surrogates (file names that are not UTF-8), which
    # cannot be encoded raw; JSON readers restore them.
    fsync_write(folder / "manifest.json", json_text(json.dumps(manifest, indent=1, ensure_ascii=False)).encode("utf-8"))


def remove_leftovers(folder: Path) -> None:
    """Delete what killed builds left behind (run under the build lock): half-written
    generations, generations never put in force, temporary files."""
    try:
        current = (read_manifest(folder) or {}).get("generation")
    except Stale:
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


def tidy(folder: Path, current: str) -> None:
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
        remove_leftovers(folder)
    except OSError:
        pass  # a build is running; it cleans up itself
    finally:
        os.close(fd)

