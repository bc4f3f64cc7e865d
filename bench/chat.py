"""The chat from a cold start: launch it, type a question at once, time the answer on screen.

    .venv/bin/python bench/chat.py                  # shipped corpus, 5 launches, table on stdout
    .venv/bin/python bench/chat.py --delay 0.5      # type the question half a second after launch
    .venv/bin/python bench/chat.py --json -         # every figure as JSON on stdout

Each launch runs `qa chat` in a fresh detached tmux session (as a person's terminal
would), sends the question's keys and Enter the moment the session exists, and reads
the screen (capture-pane) every 20 ms until the answer's first citation is on it. The
figure is the time from launch to that screen. The index is built once beforehand in
--workdir (default .bench/, git-ignored), so every launch finds it current: the cold
start is the program's, not the index build's. Needs tmux.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKDIR, PYTHON, ROOT, finish, fmt_seconds, machine, median, prepare_storm, run_child, table  # noqa: E402

QUESTION = "What was the median duration of response?"
EXPECTED = "Median duration of response in responders"
"""Text of the first citation the question is answered with (the STORM article)."""
TARGET_S = 2.0
POLL_S = 0.02
SESSION = "qa-bench-chat"


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def launch(corpus: Path, index: Path, question: str, expected: str, delay: float, timeout: float) -> dict[str, Any]:
    """One cold launch: seconds until the answer's first citation is on screen."""
    command = " ".join(shlex.quote(a) for a in [PYTHON, "-m", "qa", "chat", "--corpus", str(corpus), "--index", str(index)])
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    t0 = time.perf_counter()
    _tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", "-c", str(ROOT), f"HF_HUB_OFFLINE=1 exec {command}")
    try:
        if delay:
            time.sleep(delay)
        _tmux("send-keys", "-t", SESSION, "-l", question)
        _tmux("send-keys", "-t", SESSION, "Enter")
        typed = time.perf_counter() - t0
        screen = ""
        while time.perf_counter() - t0 < timeout:
            screen = _tmux("capture-pane", "-p", "-t", SESSION)
            if expected in screen:
                return {"seconds": time.perf_counter() - t0, "typed_at_s": typed}
            time.sleep(POLL_S)
        return {"seconds": None, "typed_at_s": typed, "screen": screen}
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5, help="launches to time (the median is reported)")
    p.add_argument("--delay", type=float, default=0.0, help="seconds between launch and typing")
    p.add_argument("--timeout", type=float, default=30.0, help="give up on a launch after this long")
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON ('-': JSON on stdout instead)")
    a = p.parse_args(argv)
    if shutil.which("tmux") is None:
        print("bench/chat.py needs tmux (apt install tmux).", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    c = prepare_storm(a.workdir)
    built = run_child([PYTHON, "-m", "qa", "index", "--corpus", str(c.corpus), "--index", str(c.index)])
    if built.returncode != 0:
        print(f"building the index failed:\n{built.stderr}", file=sys.stderr)
        return 1
    runs = [launch(c.corpus, c.index, QUESTION, EXPECTED, a.delay, a.timeout) for _ in range(a.repeats)]
    times = [r["seconds"] for r in runs if r["seconds"] is not None]
    res: dict[str, Any] = {
        "machine": machine(),
        "question": QUESTION,
        "delay_s": a.delay,
        "runs": runs,
        "answered": len(times),
        "median_s": median(times) if times else None,
        "max_s": max(times) if times else None,
        "target_s": TARGET_S,
    }
    return finish(res, t0, a.json, render)


def render(res: dict[str, Any]) -> str:
    med = res["median_s"]
    verdict = "no answer" if med is None else ("met" if med <= res["target_s"] else "missed")
    rows = [[
        f"launch, question typed {res['delay_s']:g} s after",
        f"{res['answered']}/{len(res['runs'])}",
        fmt_seconds(med),
        fmt_seconds(res["max_s"]),
        f"≤ {res['target_s']:g} s: {verdict}",
    ]]
    return table(rows, ["chat (shipped corpus)", "answered", "first answer, median", "max", "target"])


if __name__ == "__main__":
    sys.exit(main())
