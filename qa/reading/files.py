"""Finding corpus files and reading them: which files, how big, what encoding.

Folders are walked depth first in name order (hidden names skipped, symlink
loops and non-regular files reported) for the suffixes in FORMATS; a file is
read whole or skipped with a warning naming it: over the size limit, binary
(for a text format), unreadable or gone. Bytes of text formats are decoded as
UTF-8 (or UTF-16 with a byte-order mark), else cp1252, else Latin-1, so
decoding never fails.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from qa.reading.document import ReadLimits

FORMATS = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".nxml": "jats",
    ".xml": "jats",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
"""The format of a corpus file by its (lower-cased) suffix; files with other suffixes are not read."""
SUFFIXES = tuple(FORMATS)
TEXT_FORMATS = frozenset({"text", "markdown"})
"""Formats read as decoded text (the others are read from their bytes)."""

MAX_FILE_MB_ENV = "QA_MAX_FILE_MB"
MAX_PAGES_ENV = "QA_MAX_PAGES"
MAX_FILE_BYTES = 10 * 1024 * 1024
"""Default size limit for a corpus file. A larger text file is skipped with a
warning: 10 MiB is some 150,000 sentences, hours of embedding on a laptop CPU
for what is almost certainly not an article. $QA_MAX_FILE_MB changes it."""
MAX_PDF_BYTES = 50 * 1024 * 1024
"""Default size limit for a PDF, whose figures weigh far more than its text."""
MAX_PAGES = 500
"""Default page limit for a PDF: a trial report is tens of pages, a book is not one."""


def format_of(name: str | PurePath) -> str | None:
    """The format a file name's suffix says, None for a file qa does not read."""
    return FORMATS.get(PurePath(name).suffix.lower())


def _env_number(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else -1.0
    except ValueError:
        return None
    return value if value > 0 else None


def max_file_bytes() -> int:
    """The size limit for text corpus files: $QA_MAX_FILE_MB megabytes, else MAX_FILE_BYTES."""
    mb = _env_number(MAX_FILE_MB_ENV)
    return int(mb * 1024 * 1024) if mb else MAX_FILE_BYTES


@dataclass(frozen=True, slots=True)
class FileLimits:
    """What is too big to read: a text, XML or HTML file's bytes, a PDF's bytes, a PDF's pages."""

    text_bytes: int = MAX_FILE_BYTES
    pdf_bytes: int = MAX_PDF_BYTES
    pages: int = MAX_PAGES

    def bytes_for(self, name: str | PurePath) -> int:
        """The size limit for a file of this name."""
        return self.pdf_bytes if format_of(name) == "pdf" else self.text_bytes

    def reader(self, name: str | PurePath) -> ReadLimits:
        """The limits a reader enforces for this file."""
        return ReadLimits(max_bytes=self.bytes_for(name), max_pages=self.pages)


def file_limits(max_bytes: int | None = None, max_pages: int | None = None) -> FileLimits:
    """The limits that settings ask for: a size limit for every format (else
    $QA_MAX_FILE_MB for every format, else the defaults), a page limit (else
    $QA_MAX_PAGES, else MAX_PAGES)."""
    mb = _env_number(MAX_FILE_MB_ENV)
    size = max_bytes or (int(mb * 1024 * 1024) if mb else None)
    pages = max_pages or int(_env_number(MAX_PAGES_ENV) or MAX_PAGES)
    return FileLimits(size or MAX_FILE_BYTES, size or MAX_PDF_BYTES, pages)


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (or UTF-16 with a byte-order mark), falling back
    to cp1252 then Latin-1 (never fails)."""
    if data[:2] in _UTF16_BOMS and len(data) % 2 == 0:
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


_DECLARED_CHARSET = re.compile(rb"<meta[^>]+charset\s*=|<\?xml[^>]+encoding\s*=", re.IGNORECASE)


def html_encoding(data: bytes) -> str | None:
    """The encoding to read an HTML page in, or None where the page declares its own
    (a byte-order mark, a <meta> charset, an XML declaration) and the parser follows it.
    An undeclared page is read as a text file is (`decode`: UTF-8 where its bytes are,
    else cp1252): the parser's own default, Latin-1, would turn "1970’s" into "1970â\x80\x99s"."""
    if data[:3] == b"\xef\xbb\xbf" or data[:2] in _UTF16_BOMS or _DECLARED_CHARSET.search(data[:4096]):
        return None
    return decode(data)[1]


def looks_binary(data: bytes) -> bool:
    """NUL bytes or mostly control characters in the first 8 KiB mean binary."""
    head = data[:8192]
    if head[:2] in _UTF16_BOMS and len(data) % 2 == 0:
        # UTF-16 text is half NUL bytes; judge its characters instead.
        return looks_binary(data[: 8192 * 2].decode("utf-16", errors="replace").encode("utf-8"))
    if b"\x00" in head:
        return True
    if not head:
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(head) > 0.1


def corpus_files(root: Path) -> tuple[list[Path], list[str]]:
    """The corpus files under root (sorted; the suffixes of FORMATS), and warnings for what was skipped."""
    warnings: list[str] = []
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def listing(folder: Path) -> list[Path]:
        try:
            return sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError as exc:
            warnings.append(f"skipped folder {folder}: {exc.strerror or exc}")
            return []

    def walk(root: Path) -> None:
        # Depth first in name order, without recursion (folders may nest deeper
        # than Python's recursion limit).
        stack = [iter(listing(root))]
        while stack:
            p = next(stack[-1], None)
            if p is None:
                stack.pop()
                continue
            if p.name.startswith("."):
                continue
            try:
                st = p.stat()
            except OSError as exc:  # dangling link, symlink loop, vanished
                warnings.append(f"skipped {p}: {exc.strerror or exc}")
                continue
            key = (st.st_dev, st.st_ino)
            if stat.S_ISDIR(st.st_mode):
                if key in seen:
                    warnings.append(f"skipped {p}: folder already visited (symlink loop)")
                    continue
                seen.add(key)
                stack.append(iter(listing(p)))
            elif p.suffix.lower() in SUFFIXES:
                if stat.S_ISREG(st.st_mode):
                    found.append(p)
                else:  # a FIFO or device would block or never end
                    warnings.append(f"skipped {p}: not a regular file")

    try:
        root_stat = root.stat()
        seen.add((root_stat.st_dev, root_stat.st_ino))
    except OSError:
        pass
    walk(root)
    return found, warnings


def read_doc(
    path: Path, root: Path, limit: int, warnings: list[str], skipped: list[dict[str, Any]]
) -> tuple[bytes, os.stat_result] | None:
    """A corpus file's bytes and stat; None (with a warning naming it) when it
    cannot be indexed. Files that exist but are skipped go into `skipped` with
    their stat, so an unchanged corpus stays up to date."""
    rel = path.relative_to(root).as_posix()

    def skip(why: str, st: os.stat_result | None = None) -> None:
        warnings.append(f"skipped {rel}: {why}")
        if st is None:
            try:
                st = path.stat()
            except OSError:
                return  # gone: nothing to remember
        skipped.append(skipped_entry(rel, st, why))

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
    if format_of(path) in TEXT_FORMATS and looks_binary(data):
        skip("binary file, not text", st)
        return None
    return data, st


def skipped_entry(rel: str, st: os.stat_result, why: str) -> dict[str, Any]:
    """What the manifest remembers of a skipped file, so that it does not look changed next time."""
    return {"path": rel, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "reason": why}


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"
