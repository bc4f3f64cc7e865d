"""How well each reader keeps the evidence citable, on the Evidence Inference validation set.

    .venv/bin/python bench/read_quality.py [--data ../shared/benchmarks/evidence-inference]
                                           [--show xml|pdf|txt] [--limit N]

For every gold span of a validation question, a format scores when its reading
of the article has one citable unit (a table row, a list item, or one sentence
of a paragraph or caption: qa.reading.units.units_of, what the index holds)
whose words hold at least half of the gold span's words in one contiguous run,
and which is at most max(400, 1.5 x the gold length) characters long: the rule
qa's citations are scored by, on text instead of offsets (offsets differ
between formats). txt is the distributed .txt, xml and pdf the JATS and PDF
files, each read by qa.reading.formats.read_document.
--show prints the spans a format misses, with the closest piece it has.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.reading.document import ReadError  # noqa: E402
from qa.reading.formats import read_document  # noqa: E402
from qa.reading.units import units_of  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "evidence-inference"
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


def units_of_file(path: Path) -> list[str]:
    """The citable units qa makes of a file."""
    doc, _ = read_document(path.read_bytes(), path.name)
    return [u.text for u in units_of(0, doc)]


def hit(gold: str, pieces: list[tuple[str, tuple[str, ...]]]) -> tuple[bool, int, str]:
    """Whether one piece holds half the gold words in a run; also the best run and piece."""
    gw = words(gold)
    if not gw:
        return True, 0, ""
    limit = max(400, int(1.5 * len(gold)))
    need = (len(gw) + 1) // 2
    best, best_piece = 0, ""
    for text, pw in pieces:
        run = _longest_run(gw, pw)
        if run > best or (run == best and best_piece and len(text) < len(best_piece)):
            best, best_piece = run, text
        if run >= need and len(text) <= limit:
            return True, run, text
    return False, best, best_piece


def _longest_run(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Length of the longest common contiguous word run of a and b."""
    if not a or not b:
        return 0
    best = 0
    prev = [0] * (len(b) + 1)
    index: dict[str, list[int]] = {}
    for j, w in enumerate(b):
        index.setdefault(w, []).append(j)
    for w in a:
        cur = [0] * (len(b) + 1)
        for j in index.get(w, ()):
            v = prev[j] + 1
            cur[j + 1] = v
            best = max(best, v)
        prev = cur
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--show", choices=("txt", "xml", "pdf"), action="append", default=[])
    ap.add_argument("--limit", type=int, default=0, help="only the first N articles")
    args = ap.parse_args()

    questions = [json.loads(line) for line in (args.data / "questions.jsonl").open(encoding="utf-8")]
    questions = [q for q in questions if q["split"] == "validation"]
    docs = sorted({q["doc"] for q in questions})
    if args.limit:
        docs = docs[: args.limit]
    readers: dict[str, Callable[[str], list[str]]] = {
        "txt": lambda stem: units_of_file(args.data / "corpus" / f"{stem}.txt"),
        "xml": lambda stem: units_of_file(args.data / "xml" / f"{stem}.nxml"),
        "pdf": lambda stem: units_of_file(args.data / "pdf" / f"{stem}.pdf"),
    }
    scores = {fmt: [0, 0] for fmt in readers}
    seconds = dict.fromkeys(readers, 0.0)
    for doc in docs:
        stem = doc.removesuffix(".txt")
        spans = [g["text"] for q in questions if q["doc"] == doc for g in q["gold"]]
        for fmt, read in readers.items():
            t0 = time.perf_counter()
            try:
                pieces = [(p, words(p)) for p in read(stem)]
            except (ReadError, FileNotFoundError) as exc:
                print(f"{fmt} {stem}: {exc}", file=sys.stderr)
                pieces = []
            seconds[fmt] += time.perf_counter() - t0
            for gold in spans:
                ok, run, best = hit(gold, pieces)
                scores[fmt][0] += ok
                scores[fmt][1] += 1
                if not ok and fmt in args.show:
                    print(f"--- {fmt} {stem} miss (best run {run}/{len(words(gold))} words)")
                    print(f"    gold: {gold[:300]!r}")
                    print(f"    best: {best[:300]!r}")
    print(f"{len(docs)} articles, {scores['txt'][1]} gold spans")
    print("format  share   seconds")
    for fmt, (ok, n) in scores.items():
        print(f"{fmt:6}  {ok / max(n, 1):.3f}  {seconds[fmt]:7.2f}")


if __name__ == "__main__":
    main()
