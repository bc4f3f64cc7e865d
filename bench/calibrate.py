"""Choose the abstention threshold on gold data with unanswerable questions.

The threshold is the highest answerability under which at most --max-wrong of
the answerable questions (in every set given) would be abstained on; the
figures for that threshold are printed, to be copied into qa/config.py.

    .venv/bin/python bench/calibrate.py [--gold tests/data/storm_gold.jsonl] [--squad PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import evaluate  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.retrieve import answerability, rank  # noqa: E402


def values(engine: Engine, items: list[evaluate.GoldItem]) -> tuple[np.ndarray, np.ndarray]:
    queries = [engine.prepare(i.question) for i in items]
    vecs = engine.embedder.encode([q.dense_text for q in queries])
    a = [answerability(engine.index, q, rank(engine.index, q, v, engine.settings)[0]) for q, v in zip(queries, vecs)]
    return np.array(a), np.array([bool(i.gold) for i in items])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", type=Path, default=ROOT / "tests/data/storm_gold.jsonl")
    ap.add_argument("--squad", type=Path, default=ROOT.parent / "shared/benchmarks/covidqa/covidqa-dev.json")
    ap.add_argument("--workdir", type=Path, default=Path(".qa-eval"))
    ap.add_argument("--max-wrong", type=float, default=0.03)
    args = ap.parse_args()
    storm = Engine(ROOT / "corpus", args.workdir / "storm-index", Settings())
    storm.open()
    sa, sl = values(storm, evaluate.load_gold(args.gold))
    sets = [("gold", sa, sl)]
    if args.squad.exists():
        ws = evaluate.squad_workspace(args.squad, args.workdir)
        items = evaluate.load_squad(args.squad, ws / "corpus")
        covid = Engine(ws / "corpus", ws / "index", Settings())
        covid.open(progress=print)
        ca, cl = values(covid, items)
        sets.append(("squad", ca, cl))
    candidates = np.sort(np.concatenate([a for _, a, _ in sets]))
    ok = [t for t in candidates if all((a[l] < t).mean() <= args.max_wrong for _, a, l in sets)]
    t = float(max(ok)) if ok else float(candidates[0])
    print(f"abstain_below = {t:.3f}")
    for name, a, l in sets:
        line = f"  {name}: answerable wrongly abstained {(a[l] < t).mean():.1%}"
        if (~l).any():
            line += f", unanswerable abstained {(a[~l] < t).mean():.1%} of {(~l).sum()}"
        print(line)


if __name__ == "__main__":
    main()
