"""Accuracy benchmark: qa against two naive pipelines, on the same data and model.

    .venv/bin/python bench/accuracy.py [--gold tests/data/storm_gold.jsonl]
                                       [--squad ../shared/benchmarks/covidqa/covidqa-dev.json]

The naive pipelines split each document into sentences with a plain regular
expression (a full stop, question or exclamation mark followed by space), then
retrieve with dense search alone (FAISS inner product over all-MiniLM-L6-v2
vectors) or BM25 alone. All three are scored by the same rule (qa.answering.evaluate):
P@1, P@3 and MRR@10 over the answerable questions, a citation longer than
max(400, 1.5 × the gold length) never counting.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answering import evaluate  # noqa: E402
from qa.answering.engine import Engine  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.index.embed import Embedder  # noqa: E402
from qa.index.lexical import LexicalIndex  # noqa: E402
from qa.models import Answer, Citation  # noqa: E402
from qa.reading.files import corpus_files  # noqa: E402

_NAIVE = re.compile(r"(?<=[.!?])\s+")
_TOKENS = re.compile(r"\w+")


def naive_units(corpus: Path) -> list[Citation]:
    units = []
    files, _ = corpus_files(corpus)
    for path in files:
        text = path.read_text("utf-8", errors="replace")
        rel = path.relative_to(corpus).as_posix()
        pos = 0
        for piece in _NAIVE.split(text):
            start = text.index(piece, pos)
            pos = start + len(piece)
            if piece.strip():
                s = start + len(piece) - len(piece.lstrip())
                e = start + len(piece.rstrip())
                units.append(Citation(rel, s, e, text[s:e], "", 0.0))
    return units


class Naive:
    """Plain sentence split; dense-only or BM25-only retrieval."""

    def __init__(self, corpus: Path, embedder: Embedder) -> None:
        import faiss

        self.units = naive_units(corpus)
        self.embedder = embedder
        vecs = embedder.encode([u.text for u in self.units])
        self.faiss = faiss.IndexFlatIP(vecs.shape[1])
        self.faiss.add(vecs)
        self.bm25 = LexicalIndex.build(_TOKENS.findall(u.text.lower()) for u in self.units)

    def answers(self, questions: list[str], mode: str, k: int = 10) -> list[Answer]:
        out = []
        if mode == "dense":
            _, ids = self.faiss.search(self.embedder.encode(questions), k)
            ranked = [list(r) for r in ids]
        else:
            ranked = []
            for q in questions:
                s = self.bm25.scores({t: 1.0 for t in _TOKENS.findall(q.lower())})
                ranked.append(list(np.argsort(-s, kind="stable")[:k]))
        for q, ids_ in zip(questions, ranked, strict=True):
            cites = [self.units[i] for i in ids_ if i >= 0]
            out.append(Answer(q, None, False, cites))
        return out


def run_set(name: str, corpus: Path, index: Path, items: list[evaluate.GoldItem], squad: bool) -> list[tuple[str, evaluate.Report]]:
    rows = []
    engine = Engine(corpus, index, Settings())
    engine.open(progress=lambda m: print(m, file=sys.stderr))
    report = evaluate.run(lambda qs, ids: engine.ask_many(qs, k=10, ids=ids), name, items)
    rows.append(("qa", report))
    naive = Naive(corpus, engine.embedder)
    for mode in ("dense", "bm25"):
        t0 = time.perf_counter()
        r = evaluate.score(name, items, naive.answers([i.question for i in items], mode))
        r.seconds = time.perf_counter() - t0
        rows.append((f"naive split + {mode}", r))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=ROOT / "tests/data/storm_gold.jsonl")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="corpus of the gold file")
    ap.add_argument("--squad", type=Path, default=ROOT.parent / "shared/benchmarks/covidqa/covidqa-dev.json")
    ap.add_argument("--workdir", type=Path, default=ROOT / ".qa-eval")
    args = ap.parse_args()
    table = []
    table += run_set(args.gold.name, args.corpus, args.workdir / "gold-index", evaluate.load_gold(args.gold), False)
    if args.squad.exists():
        ws = evaluate.squad_workspace(args.squad, args.workdir)
        items = evaluate.load_squad(args.squad, ws / "corpus")
        table += run_set(args.squad.name, ws / "corpus", ws / "index", items, True)
    print(f"{'data':<22} {'system':<22} {'P@1':>6} {'P@3':>6} {'MRR':>6} {'n':>5} {'abst. unans':>11} {'wrong abst.':>11} {'short ans.':>10} {'time s':>7}")
    for system, r in table:
        unans = "-" if r.abstained_unanswerable is None or system != "qa" else f"{r.abstained_unanswerable:.1%}"
        wrong = f"{r.abstained_answerable:.1%}" if system == "qa" else "-"
        short = f"{r.short_answer_accuracy:.1%}" if system == "qa" and r.short_answer_accuracy is not None else "-"
        print(f"{r.name:<22} {system:<22} {r.p_at_1:6.3f} {r.p_at_3:6.3f} {r.mrr:6.3f} {r.answerable:5d} {unans:>11} {wrong:>11} {short:>10} {r.seconds:7.1f}")


if __name__ == "__main__":
    main()
