"""Accuracy across formats: the same articles and questions, as text, JATS XML and PDF.

    .venv/bin/python bench/formats.py [--data ../shared/benchmarks/evidence-inference]
                                      [--formats txt,xml,pdf] [--workdir .bench/formats]
                                      [--device cpu|cuda] [--json] [--show-misses FMT]

The 90 Evidence Inference validation articles are indexed three times, each as
its own corpus (corpus/*.txt, xml/*.nxml, pdf/*.pdf; the files are linked into
<workdir>/<format>/corpus), and every validation question is asked of each
with Engine.ask_many (k=10), whatever ranks the passages. Offsets differ
between formats, so citations are scored by text: a citation hits when it is
from the question's article (the same PMC id), is at most max(400, 1.5 × the
gold span's length) characters long, and its words hold at least half of some
gold span's words in one contiguous run (lower-cased runs of letters and
digits). P@1, P@3 and MRR@10 are printed per format side by side. Indexes stay
in the work folder, so a second run re-embeds nothing unless the readers
changed.

`--formats txt-notables` is an ablation: the .txt corpus read without turning
flattened tables back into rows (its vector cache starts from the txt one,
less the documents whose units differ).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answering.engine import Engine  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.models import Answer, Citation  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "evidence-inference"
SOURCES = {"txt": ("corpus", ".txt"), "xml": ("xml", ".nxml"), "pdf": ("pdf", ".pdf"), "txt-notables": ("corpus", ".txt")}
K = 10
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


def longest_run(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Length of the longest common contiguous word run of a and b."""
    best = 0
    index: dict[str, list[int]] = {}
    for j, w in enumerate(b):
        index.setdefault(w, []).append(j)
    prev: dict[int, int] = {}
    for w in a:
        cur: dict[int, int] = {}
        for j in index.get(w, ()):
            v = prev.get(j - 1, 0) + 1
            cur[j] = v
            best = max(best, v)
        prev = cur
    return best


def hits(c: Citation, stem: str, gold: list[str]) -> bool:
    """Whether a citation answers: the question's article, short enough, half a gold span's words in a run."""
    if Path(c.doc).stem != stem:
        return False
    cw = words(c.text)
    for g in gold:
        gw = words(g)
        if gw and len(c.text) <= max(400, 1.5 * len(g)) and longest_run(gw, cw) >= (len(gw) + 1) // 2:
            return True
    return False


def score(answers: list[Answer], questions: list[dict[str, Any]]) -> dict[str, Any]:
    p1 = p3 = rr = 0.0
    misses = []
    for ans, q in zip(answers, questions, strict=True):
        stem = Path(q["doc"]).stem
        gold = [g["text"] for g in q["gold"]]
        rank = next((n for n, c in enumerate(ans.citations[:K], 1) if hits(c, stem, gold)), None)
        if rank == 1:
            p1 += 1
        if rank is not None and rank <= 3:
            p3 += 1
        rr += 1 / rank if rank else 0.0
        if rank != 1:
            misses.append({"id": q["id"], "question": q["question"], "rank": rank, "gold": gold[0][:200],
                           "first": (ans.citations[0].doc + ": " + ans.citations[0].text[:200]) if ans.citations else None})
    n = max(len(questions), 1)
    return {"questions": len(questions), "p_at_1": p1 / n, "p_at_3": p3 / n, "mrr": rr / n, "misses": misses}


def corpus_for(fmt: str, data: Path, stems: list[str], work: Path) -> Path:
    """<work>/<fmt>/corpus with a link to each article's file in that format."""
    folder, suffix = SOURCES[fmt]
    corpus = work / fmt / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    wanted = {f"{s}{suffix}" for s in stems}
    for p in corpus.iterdir():
        if p.name not in wanted:
            p.unlink()
    for name in sorted(wanted):
        link = corpus / name
        target = (data / folder / name).resolve()
        if not link.is_symlink() or link.resolve() != target:
            link.unlink(missing_ok=True)
            link.symlink_to(target)
    return corpus


def no_plain_tables() -> None:
    """Read plain text without turning flattened tables back into rows (the ablation)."""
    from qa.reading import plain

    plain.find_table = lambda *args: None  # type: ignore[assignment]


def seed_cache(work: Path, corpus: Path) -> None:
    """Start the ablation's vector cache from the txt one, less the documents whose units differ."""
    import shutil

    from qa.reading import plain
    from qa.reading.files import file_sha256
    from qa.reading.units import units_of

    src, dst = work / "txt" / "index" / "cache", work / "txt-notables" / "index" / "cache"
    if dst.exists() or not src.exists():
        return
    shutil.copytree(src, dst)
    real = plain.find_table
    for path in sorted(corpus.iterdir()):
        text = path.read_text(encoding="utf-8")
        with_tables = [(u.start, u.end) for u in units_of(0, text)]
        plain.find_table = lambda *args: None  # type: ignore[assignment]
        without = [(u.start, u.end) for u in units_of(0, text)]
        plain.find_table = real
        if with_tables != without:
            for npy in dst.glob(f"*/{file_sha256(path.read_bytes())}.npy"):
                npy.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--formats", default="txt,xml,pdf")
    ap.add_argument("--workdir", type=Path, default=ROOT / ".bench" / "formats")
    ap.add_argument("--device", help="torch device for embedding (default: best available)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--show-misses", metavar="FMT", action="append", default=[], help="list a format's misses")
    args = ap.parse_args()

    rows = [json.loads(line) for line in (args.data / "questions.jsonl").open(encoding="utf-8")]
    questions = [q for q in rows if q["split"] == "validation"]
    stems = sorted({Path(q["doc"]).stem for q in questions})
    settings = Settings().with_(device=args.device)
    results: dict[str, dict[str, Any]] = {}
    for fmt in args.formats.split(","):
        corpus = corpus_for(fmt, args.data, stems, args.workdir)
        if fmt == "txt-notables":
            seed_cache(args.workdir, corpus)
            no_plain_tables()
        engine = Engine(corpus, args.workdir / fmt / "index", settings)
        t0 = time.perf_counter()
        report = engine.open(progress=lambda m, f=fmt: print(f"[{f}] {m}", file=sys.stderr))
        index_s = time.perf_counter() - t0
        for w in report.warnings:
            print(f"[{fmt}] warning: {w}", file=sys.stderr)
        t0 = time.perf_counter()
        answers = engine.ask_many([q["question"] for q in questions], k=K)
        r = score(answers, questions)
        r.update(documents=report.documents, units=report.units, index_seconds=round(index_s, 1),
                 answer_seconds=round(time.perf_counter() - t0, 1))
        results[fmt] = r
        for m in r["misses"] if fmt in args.show_misses else []:
            print(f"--- {fmt} {m['id']} rank {m['rank']}: {m['question']}\n    gold:  {m['gold']!r}\n    first: {m['first']!r}")
    if args.json:
        print(json.dumps({f: {k: v for k, v in r.items() if k != "misses"} for f, r in results.items()}, indent=1))
        return
    fmts = list(results)
    print(f"Evidence Inference validation: {len(stems)} articles, {len(questions)} questions, k={K}")
    print("         " + "".join(f"{f:>8}" for f in fmts))
    for key, name in (("p_at_1", "P@1"), ("p_at_3", "P@3"), ("mrr", "MRR@10")):
        print(f"{name:9}" + "".join(f"{results[f][key]:8.3f}" for f in fmts))
    print(f"{'units':9}" + "".join(f"{results[f]['units']:8d}" for f in fmts))
    print(f"{'docs':9}" + "".join(f"{results[f]['documents']:8d}" for f in fmts))


if __name__ == "__main__":
    main()
