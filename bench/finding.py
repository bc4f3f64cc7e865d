"""The reported finding on Evidence Inference validation articles (never trained on).

    .venv/bin/python bench/finding.py [--workdir .qa-eval]

Two measures, each with its confusion matrix (rows: the doctors' label; columns:
the model's):

1. Given the gold evidence: the finding model reads each question with each
   unit that holds a doctor-marked evidence span (the passage qa would cite).
2. Given qa's own first citation: each question asked of its own article
   (scoped, as a reader of one trial asks); the finding as qa reports it (only
   at or above the calibrated threshold), and the model's best guess on that
   citation whether shown or not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answering.finding import finding_passage, finding_reader  # noqa: E402
from qa.models import FINDING_LABELS  # noqa: E402
from qa.paths import weights_dir  # noqa: E402

SHORT = ("increased", "decreased", "no difference")


def confusion(truth: list[int], guess: list[int]) -> np.ndarray:
    m = np.zeros((3, 3), int)
    for t, g in zip(truth, guess, strict=True):
        m[t, g] += 1
    return m


def show(title: str, truth: list[int], guess: list[int]) -> None:
    m = confusion(truth, guess)
    acc = np.trace(m) / max(m.sum(), 1)
    print(f"{title}: accuracy {acc:.3f} over {m.sum()}")
    print(f"  {'':<15}" + "".join(f"{s:>15}" for s in SHORT))
    for label, row in zip(SHORT, m, strict=True):
        print(f"  {label:<15}" + "".join(f"{v:>15d}" for v in row))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, default=ROOT / ".qa-eval")
    args = ap.parse_args()
    from training.data import answers, load_ei

    reader = finding_reader(weights_dir())
    if not reader.available:
        raise SystemExit(f"no finding model in {weights_dir()}: run python -m training")
    ei = load_ei(("validation",))
    labelled = [q for q in ei.questions if q.finding >= 0]
    pairs, truth = [], []
    for q in labelled:
        doc = ei.docs[q.doc]
        for i in sorted(q.positives):
            pairs.append((q.text, doc.passage(i)))
            truth.append(q.finding)
    probs = reader.probabilities(pairs)
    show("given the gold evidence (every evidence unit)", truth, probs.argmax(1).tolist())
    sure = probs.max(1) >= reader.threshold
    show(f"  of which shown (probability >= {reader.threshold:.2f}: {sure.mean():.1%})",
         [t for t, s in zip(truth, sure, strict=True) if s], probs.argmax(1)[sure].tolist())

    sys.path.insert(0, str(ROOT / "bench"))
    from accuracy import link_corpus, open_engine

    corpus = link_corpus(args.workdir / "ei-validation" / "corpus", {q.doc for q in ei.questions})
    engine = open_engine(corpus, args.workdir / "ei-validation" / "index")
    answers_ = engine.ask_many([q.text for q in labelled], docs=[[q.doc] for q in labelled])
    shown_t, shown_g, best_t, best_g, right_cite = [], [], [], [], []
    for q, a in zip(labelled, answers_, strict=True):
        if not a.citations:
            continue
        c = a.citations[0]
        unit_hit = any(answers(engine.index.units[u], q.spans) for u in c.units) if c.units else False
        right_cite.append(unit_hit)
        p = reader.probabilities([(q.text, finding_passage(engine.index, c))])[0]
        best_t.append(q.finding)
        best_g.append(int(p.argmax()))
        if a.finding is not None:
            shown_t.append(q.finding)
            shown_g.append(FINDING_LABELS.index(a.finding.label))
    print(f"\ngiven qa's own first citation (scoped; {np.mean(right_cite):.1%} of them hold the gold evidence):")
    show("  the model's best guess on it", best_t, best_g)
    show(f"  as qa reports it (shown for {len(shown_t) / max(len(best_t), 1):.1%} of the questions)", shown_t, shown_g)


if __name__ == "__main__":
    main()
