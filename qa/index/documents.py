"""The documents of a generation: each one's canonical text and blocks, as read.

Citations index into a document's canonical text, which for XML, HTML and PDF
is not the file's bytes, and re-reading a PDF to show a quote would be slow.
So a generation keeps every document as its reader made it, in
documents.jsonl: one JSON object a line (reading.document.to_json), in the
order of the manifest's documents, checksummed with the generation's other
files. The manifest records each text's SHA-256, which is checked whenever a
text is handed out. A refresh takes the documents whose files did not change
from the previous generation instead of reading their files again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.index.durable import sha_file
from qa.index.manifest import DocInfo
from qa.reading.document import Document, ReadError, ReadLimits, from_json, to_json
from qa.reading.files import file_sha256
from qa.reading.formats import read_document
from qa.safe import json_text

DOCUMENTS_FILE = "documents.jsonl"


def text_sha256(text: str) -> str:
    """The SHA-256 of a canonical text (as UTF-8)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def encode(doc: Document) -> bytes:
    """A document as its line of documents.jsonl."""
    return (json_text(json.dumps(to_json(doc), ensure_ascii=False)) + "\n").encode("utf-8")


def decode_line(line: bytes) -> Document:
    """The document a line of documents.jsonl holds; ValueError when it holds none."""
    try:
        return from_json(json.loads(line.decode("utf-8")))
    except UnicodeDecodeError as exc:
        raise ValueError("not UTF-8") from exc


class DocumentStore:
    """The documents.jsonl of one generation, read one line at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._starts: list[int] | None = None

    def _offsets(self) -> list[int]:
        if self._starts is None:
            starts = [0]
            with open(self.path, "rb") as f:
                data = f.read()
            pos = data.find(b"\n")
            while pos >= 0:
                starts.append(pos + 1)
                pos = data.find(b"\n", pos + 1)
            self._starts = starts
        return self._starts

    def line(self, i: int) -> bytes | None:
        """Line i (with its newline), None when the file or the line is not there."""
        try:
            starts = self._offsets()
            if not 0 <= i < len(starts) - 1:
                return None
            with open(self.path, "rb") as f:
                f.seek(starts[i])
                return f.read(starts[i + 1] - starts[i])
        except OSError:
            return None

    def stored(self, i: int, info: DocInfo) -> tuple[Document, bytes] | None:
        """Document i and its line, when the line is there and its text is the one indexed."""
        line = self.line(i)
        if line is None:
            return None
        try:
            doc = decode_line(line)
        except ValueError:
            return None
        return (doc, line) if text_sha256(doc.text) == info.text_sha256 else None

    def document(self, i: int, info: DocInfo) -> Document | None:
        """Document i, when its line is there and its text is the one indexed."""
        got = self.stored(i, info)
        return got[0] if got else None


class Previous:
    """The documents of the generation in force, for a build to reuse: a document whose
    file has the same path and bytes is taken as it was read, not read again."""

    def __init__(self, folder: Path, manifest: dict[str, Any] | None) -> None:
        self._where: dict[tuple[str, str], tuple[int, DocInfo]] = {}
        self._store: DocumentStore | None = None
        if not manifest:
            return
        path = folder / manifest["generation"] / DOCUMENTS_FILE
        entry = manifest["files"].get(DOCUMENTS_FILE, {})
        try:
            if not path.is_file() or sha_file(path) != entry.get("sha256"):
                return  # damaged or missing: every file is read again
        except OSError:
            return
        self._store = DocumentStore(path)
        for i, d in enumerate(manifest["documents"]):
            info = DocInfo(**d)
            self._where[(info.path, info.sha256)] = (i, info)

    def get(self, path: str, sha: str) -> tuple[Document, bytes, DocInfo] | None:
        """The stored document of a file with these bytes, its line and what the manifest said of it."""
        hit = self._where.get((path, sha))
        if hit is None or self._store is None:
            return None
        i, info = hit
        got = self._store.stored(i, info)
        return (got[0], got[1], info) if got else None


def canonical_document(store: DocumentStore | None, i: int, info: DocInfo, corpus: Path) -> Document:
    """Document i as indexed: from the generation's store, else (a newer build removed
    that generation) read again from its file if the file still has the indexed bytes
    and gives the indexed text. QAError when neither holds."""
    doc = store.document(i, info) if store is not None else None
    if doc is not None:
        return doc
    try:
        data = (corpus / info.path).read_bytes()
    except OSError as exc:
        raise QAError(f"Cannot read {info.path}: {exc.strerror or exc}") from exc
    if file_sha256(data) != info.sha256:
        raise QAError(f"{info.path} changed since it was indexed.", hint="Rebuild the index (qa index).")
    try:
        # It was indexed, so it is within the limits it was indexed under.
        doc, _ = read_document(data, info.path, ReadLimits(max_bytes=max(len(data), 1), max_pages=10**6))
    except ReadError as exc:
        raise QAError(exc.message) from exc
    if text_sha256(doc.text) != info.text_sha256:
        raise QAError(f"{info.path} reads differently from when it was indexed.", hint="Rebuild the index (qa index).")
    return doc

