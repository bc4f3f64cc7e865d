"""Killing a qa command mid-run, for the tests that resume after it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

SAFETY_TIMEOUT = 600  # seconds; a guard against a hung child, never an assertion


def kill_after_lines(args: list[str], output: Path, lines: int) -> tuple[int, str]:
    """Run `python -m qa ARGS`, SIGKILL it once `output` holds `lines` lines (or it
    ends); its exit status and stderr."""
    child = subprocess.Popen([sys.executable, "-m", "qa", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.extend(iter(child.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    deadline = time.monotonic() + SAFETY_TIMEOUT
    while time.monotonic() < deadline and child.poll() is None:
        if output.exists() and output.read_bytes().count(b"\n") >= lines:
            break
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    reader.join(5)
    return child.returncode, "".join(err)
