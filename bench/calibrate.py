"""Choose the abstention thresholds on gold data with unanswerable questions.

There are two: one for questions that ask for a value (how many, how long,
what percentage...) and one for the others. A value read from a sentence that
matches the question weakly is likely the value of something else, which would
mislead; a description that matches weakly is often a paraphrase. The pair
chosen abstains on as many unanswerable questions as possible while at most
--max-wrong of the answerable questions of every set given are abstained on;
the figures are printed, to be copied into qa/config.py.

    .venv/bin/python bench/calibrate.py [--gold tests/data/storm_gold.jsonl] [--squad PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answering import evaluate  # noqa: E402
from qa.answering.abstention import answerability  # noqa: E402
from qa.answering.engine import VALUE_TYPES, Engine  # noqa: E402
from qa.answering.ranking import rank  # noqa: E402
from qa.config import Settings  # noqa: E402


def values(engine: Engine, items: list[evaluate.GoldItem]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question: answerability, whether it asks for a value, whether it is answerable."""
    queries = [engine.prepare(i.question) for i in items]
    vecs = engine.embedder.encode([q.dense_text for q in queries])
    a = [answerability(engine.index, q, rank(engine.index, q, v, engine.settings)[0]) for q, v in zip(queries, vecs, strict=True)]
    return np.array(a), np.array([q.answer_type in VALUE_TYPES for q in queries]), np.array([bool(i.gold) for i in items])


def abstains(a: np.ndarray, value: np.ndarray, t_value: float, t_other: float) -> np.ndarray:
    return np.where(value, a < t_value, a < t_other)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", type=Path, default=ROOT / "tests/data/storm_gold.jsonl")
    ap.add_argument("--squad", type=Path, default=ROOT.parent / "shared/benchmarks/covidqa/covidqa-dev.json")
    ap.add_argument("--workdir", type=Path, default=Path(".qa-eval"))
    ap.add_argument("--max-wrong", type=float, default=0.03)
    args = ap.parse_args()
    storm = Engine(ROOT / "corpus", args.workdir / "storm-index", Settings())
    storm.open()
    sets = [("gold", *values(storm, evaluate.load_gold(args.gold)))]
    if args.squad.exists():
        ws = evaluate.squad_workspace(args.squad, args.workdir)
        items = evaluate.load_squad(args.squad, ws / "corpus")
        covid = Engine(ws / "corpus", ws / "index", Settings())
        covid.open(progress=print)
        sets.append(("squad", *values(covid, items)))
    # Candidate thresholds: midpoints between observed answerabilities.
    every = np.unique(np.concatenate([s[1] for s in sets]))
    cands = np.concatenate([[every[0] - 0.01], (every[:-1] + every[1:]) / 2])
    best: tuple[float, float, float, float] | None = None  # (abstained unanswerable, -wrong, t_value, t_other)
    for tv in cands:
        if any(abstains(a, v, tv, -np.inf)[answerable].mean() > args.max_wrong for _, a, v, answerable in sets):
            continue
        for to in cands:
            wrong = [abstains(a, v, tv, to)[answerable].mean() for _, a, v, answerable in sets]
            if max(wrong) > args.max_wrong:
                continue
            caught = np.mean([abstains(a, v, tv, to)[~answerable].mean() for _, a, v, answerable in sets if (~answerable).any()])
            key = (caught, -max(wrong), tv, to)
            if best is None or key[:2] > best[:2]:
                best = key
    assert best is not None
    _, _, tv, to = best
    print(f"abstain_below_value = {tv:.3f}\nabstain_below = {to:.3f}")
    for name, a, v, answerable in sets:
        ab = abstains(a, v, tv, to)
        line = f"  {name}: answerable wrongly abstained {ab[answerable].mean():.1%}"
        if (~answerable).any():
            line += f", unanswerable abstained {ab[~answerable].mean():.1%} of {(~answerable).sum()}"
        print(line)


if __name__ == "__main__":
    main()
