"""Writing files whole or not at all, and the lock that serialises builds.

What makes the index crash-safe: a file is written to a temporary name,
flushed (and fsynced when it matters), then renamed over the old one; a
folder is fsynced after a rename so that the rename itself survives a power
loss. Builds hold an flock() on <index>/.lock, which the kernel releases when
the builder dies, however it dies.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from qa.errors import QAError

LOCK_WAIT_SECONDS = 600.0

Progress = Callable[[str], None]
"""Where builds report what they are doing (the CLI's stderr, the chat's status line)."""


def quiet(_: str) -> None:
    """A Progress that says nothing."""


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


def fsync_write(path: Path, data: bytes, *, sync: bool = True) -> None:
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


def fsync_dir(path: Path) -> None:
    """Make a rename in this folder durable (where the platform allows it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB pieces."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

