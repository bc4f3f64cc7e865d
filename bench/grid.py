"""The extraction grid at the size of a systematic review: 90 trial reports × the RCT preset.

    .venv/bin/python bench/grid.py [--workdir .qa-eval] [--kill-after 7]

The 90 Evidence Inference validation articles (the corpus bench/accuracy.py
builds) are asked every question of `qa grid --preset rct`, end to end through
the CLI in a child process (start-up included; the index is built first and
not counted). Then the same grid is run again, killed with SIGKILL after
--kill-after seconds, and resumed: the resumed table must hold every cell
exactly once, with the same answers as the uninterrupted run.
"""

from __future__ import annotations

import argparse
import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from accuracy import EI, link_corpus  # noqa: E402

QA = [sys.executable, "-m", "qa"]


def cells(journal: Path) -> list[tuple[str, str, str]]:
    """(doc, question id, answer or quote) per journalled cell, in journal order."""
    out = []
    for line in journal.read_text("utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            cite = (r.get("citations") or [{}])[0]
            out.append((r["doc"], r["question_id"], str(r.get("answer") or cite.get("text") or "")))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, default=ROOT / ".qa-eval")
    ap.add_argument("--kill-after", type=float, default=7.0, help="seconds before the SIGKILL (mid-run: the whole grid takes ~20 s here)")
    args = ap.parse_args()
    rows = [json.loads(x) for x in (EI / "questions.jsonl").read_text("utf-8").splitlines() if x.strip()]
    corpus = link_corpus(args.workdir / "ei-validation" / "corpus", {r["doc"] for r in rows if r["split"] == "validation"})
    index = args.workdir / "ei-validation" / "index"
    where = ["--corpus", str(corpus), "--index", str(index)]
    subprocess.run([*QA, "index", *where], check=True, stdout=subprocess.DEVNULL)
    out = args.workdir / "grid-bench"
    out.mkdir(exist_ok=True)
    for f in out.iterdir():
        f.unlink()

    t0 = time.perf_counter()
    subprocess.run([*QA, "grid", "--preset", "rct", *where, "-o", str(out / "full.csv")], check=True, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    with open(out / "full.csv", newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    docs, questions = len(table) - 1, len(table[0]) - 1
    print(f"qa grid --preset rct: {docs} documents × {questions} questions = {docs * questions} cells "
          f"in {seconds:.1f} s ({docs * questions / seconds:.1f} cells/s), start-up included")

    cut = subprocess.Popen([*QA, "grid", "--preset", "rct", *where, "-o", str(out / "cut.csv")], stderr=subprocess.DEVNULL)
    time.sleep(args.kill_after)
    cut.send_signal(signal.SIGKILL)
    cut.wait()
    before = len(cells(out / "cut.csv.cells.jsonl")) if (out / "cut.csv.cells.jsonl").exists() else 0
    subprocess.run([*QA, "grid", "--preset", "rct", *where, "-o", str(out / "cut.csv"), "--resume"], check=True,
                   stderr=subprocess.DEVNULL)
    full, resumed = cells(out / "full.csv.cells.jsonl"), cells(out / "cut.csv.cells.jsonl")
    keys = [(d, q) for d, q, _ in resumed]
    same = sorted(full) == sorted(resumed)
    print(f"killed after {args.kill_after:.0f} s with {before} cells journalled; resumed: {len(resumed)} cells, "
          f"{len(keys) - len(set(keys))} repeated, {docs * questions - len(set(keys))} missing, "
          f"answers {'identical to' if same else 'DIFFERENT from'} the uninterrupted run")


if __name__ == "__main__":
    main()
