"""Fit the reranker's feature weights on development data (STORM gold + COVID-QA dev).

Features are computed once per question; weights are then chosen by
coordinate ascent on the mean of P@1 and MRR over both sets, so each step
costs only matrix products. The fitted weights are printed for qa/config.py,
then P@1 and MRR for a range of Settings.passage_margin.

    .venv/bin/python bench/tune.py [--squad PATH] [--gold PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answering import evaluate  # noqa: E402
from qa.answering.engine import VALUE_TYPES, Engine  # noqa: E402
from qa.answering.ranking import FEATURES, rank  # noqa: E402
from qa.config import Settings, Weights  # noqa: E402
from qa.models import Citation  # noqa: E402
from qa.reading.units import section_label  # noqa: E402


def feature_tables(engine: Engine, items: list[evaluate.GoldItem], squad: bool):
    """Per question: (feature matrix, hit vector) over its candidates."""
    queries = [engine.prepare(i.question) for i in items]
    vecs = engine.embedder.encode([q.dense_text for q in queries])
    idx = engine.index
    tables = []
    for item, q, v in zip(items, queries, vecs, strict=True):
        ranked = rank(idx, q, v, engine.settings)
        X = np.array([[s.features[f] for f in FEATURES] for s in ranked], np.float32)
        hits = []
        for s in ranked:
            u = idx.units[s.unit]
            c = Citation(idx.docs[u.doc].path, u.start, u.end, u.text, section_label(u), 0.0)
            hits.append(evaluate.citation_hit(item, c))
        tables.append((X, np.array(hits, bool), bool(item.gold)))
    return tables


def passage_sweep(engine: Engine, items: list[evaluate.GoldItem], squad: bool, margins: list[float]) -> dict[float, tuple[float, float]]:
    """P@1 and MRR for each Settings.passage_margin (how readily a neighbour
    joins the citation of a question that asks for a description)."""
    queries = [engine.prepare(i.question) for i in items]
    vecs = engine.embedder.encode([q.dense_text for q in queries])
    ranked = [rank(engine.index, q, v, engine.settings) for q, v in zip(queries, vecs, strict=True)]
    out = {}
    for m in margins:
        p1 = rr = 0.0
        n = 0
        for item, q, r in zip(items, queries, ranked, strict=True):
            if not item.gold:
                continue
            n += 1
            margin = engine.settings.merge_margin if q.answer_type in VALUE_TYPES else m
            hits = [evaluate.citation_hit(item, c) for c in engine._citations(r, evaluate.MRR_DEPTH, margin)]
            first = next((i for i, h in enumerate(hits) if h), None)
            if first is not None:
                p1 += first == 0
                rr += 1 / (first + 1)
        out[m] = (p1 / n, rr / n)
    return out


def metrics(tables, w: np.ndarray) -> tuple[float, float]:
    p1 = rr = 0.0
    n = 0
    for X, hits, answerable in tables:
        if not answerable:
            continue
        n += 1
        if not hits.any():
            continue
        s = X @ w
        order = np.argsort(-s, kind="stable")[:10]
        pos = np.nonzero(hits[order])[0]
        if len(pos):
            p1 += pos[0] == 0
            rr += 1 / (pos[0] + 1)
    return p1 / n, rr / n


def objective(sets, w) -> float:
    return sum(weight * (0.6 * p1 + 0.4 * mrr) for weight, t in sets for p1, mrr in [metrics(t, w)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--squad", type=Path, default=ROOT.parent / "shared/benchmarks/covidqa/covidqa-dev.json")
    ap.add_argument("--gold", type=Path, default=ROOT / "tests/data/storm_gold.jsonl")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/qaeval"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    t0 = time.time()
    storm = Engine(ROOT / "corpus", args.workdir / "storm-index", Settings())
    storm.open()
    ws = evaluate.squad_workspace(args.squad, args.workdir)
    squad_items = evaluate.load_squad(args.squad, ws / "corpus")
    covid = Engine(ws / "corpus", ws / "index", Settings())
    covid.open(progress=print)
    st = feature_tables(storm, evaluate.load_gold(args.gold), False)
    ct = feature_tables(covid, squad_items, True)
    print(f"features ready in {time.time() - t0:.0f} s")
    sets = [(1.0, st), (1.0, ct)]
    w = np.array([getattr(Weights(), f) for f in FEATURES], np.float32)
    print("start", dict(zip(FEATURES, w.round(3), strict=True)), "storm", metrics(st, w), "covid", metrics(ct, w))
    best = objective(sets, w)
    steps = [0.5, 0.2, 0.1, 0.05]
    for _ in range(args.rounds):
        for step in steps:
            for j, name in enumerate(FEATURES):
                if name == "dense":
                    continue  # the scale anchor
                for sign in (1, -1):
                    while True:
                        cand = w.copy()
                        cand[j] += sign * step
                        val = objective(sets, cand)
                        if val > best + 1e-6:
                            w, best = cand, val
                        else:
                            break
    print("fitted", {f: round(float(x), 3) for f, x in zip(FEATURES, w, strict=True)})
    print("storm P@1/MRR", metrics(st, w), "covid P@1/MRR", metrics(ct, w))
    margins = [0.04, 0.2, 0.5, 1.0, 2.0, 10.0]
    sweeps = [passage_sweep(storm, evaluate.load_gold(args.gold), False, margins), passage_sweep(covid, squad_items, True, margins)]
    print("passage_margin (current weights): storm P@1/MRR | covid P@1/MRR")
    for m in margins:
        print(f"  {m:5}: {sweeps[0][m][0]:.3f}/{sweeps[0][m][1]:.3f} | {sweeps[1][m][0]:.3f}/{sweeps[1][m][1]:.3f}")


if __name__ == "__main__":
    main()
