"""Finding corpus files and reading them: which files, how big, what encoding.

Folders are walked depth first in name order (hidden names skipped, symlink
loops and non-regular files reported); a file is read whole or skipped with a
warning naming it: over the size limit, binary, unreadable or gone. Bytes are
decoded as UTF-8 (or UTF-16 with a byte-order mark), else cp1252, else
Latin-1, so decoding never fails.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

SUFFIXES = (".txt", ".md", ".markdown")
MAX_FILE_MB_ENV = "QA_MAX_FILE_MB"
MAX_FILE_BYTES = 10 * 1024 * 1024
"""Default size limit for a corpus file. A larger text file is skipped with a
warning: 10 MiB is some 150,000 sentences, hours of embedding on a laptop CPU
for what is almost certainly not an article. $QA_MAX_FILE_MB changes it."""


def max_file_bytes() -> int:
    """The size limit for corpus files: $QA_MAX_FILE_MB megabytes, else MAX_FILE_BYTES."""
    raw = os.environ.get(MAX_FILE_MB_ENV, "").strip()
    if raw:
        try:
            mb = float(raw)
        except ValueError:
            mb = -1
        if mb > 0:
            return int(mb * 1024 * 1024)
    return MAX_FILE_BYTES


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
    """The .txt/.md files under root (sorted), and warnings for what was skipped."""
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
