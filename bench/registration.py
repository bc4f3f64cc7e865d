"""The grid's registration column, checked: is a trial's registry number found where there is one?

    .venv/bin/python bench/registration.py [--splits validation,train-b] [--workdir .qa-eval] [--json]

Whether a trial report holds a registry number is a fact a pattern reads
(qa.answering.query.REGISTRY_NUMBER: ClinicalTrials.gov, ISRCTN, the WHO
primary registries, EudraCT), so this column of `qa grid --preset rct` can be
scored without hand-made gold. Each Evidence Inference article (the corpora
bench/accuracy.py builds: the validation split, never trained on, and train
part b) is asked five phrasings of the question, each of its own article. For
an article that holds a number: P@1 (the first citation holds one) and how
many answers are given and right. For one that holds none: how many times qa
abstains (any answer is wrong). A number that only the title holds cannot be
cited (a title is no unit), and counts as a miss.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from accuracy import ei_items, link_corpus, open_engine  # noqa: E402
from common import ei_splits  # noqa: E402

from qa.answering.query import REGISTRY_NUMBER  # noqa: E402

QUESTIONS = (
    "What is the trial registration number (ClinicalTrials.gov, ISRCTN)?",  # the rct preset's
    "Where was the trial registered?",
    "What is the NCT number?",
    "Was the trial registered?",
    "Trial registration ID?",
)
_NUMBER = re.compile(REGISTRY_NUMBER)


def measure(split: str, workdir: Path) -> dict[str, dict[str, int | float]]:
    items = ei_items(split)
    corpus = link_corpus(workdir / f"ei-{split}" / "corpus", {i.doc for i in items if i.doc})
    engine = open_engine(corpus, workdir / f"ei-{split}" / "index")
    docs = [d.path for d in engine.index.docs]
    holds = {d: bool(_NUMBER.search(engine.document_text(d))) for d in docs}
    pairs = [(d, q) for q in QUESTIONS for d in docs]
    answers = engine.ask_many([q for _, q in pairs], k=3, docs=[[d] for d, _ in pairs])
    out: dict[str, dict[str, int | float]] = {}
    for q in QUESTIONS:
        s = dict.fromkeys(("with", "p_at_1", "answered", "answered_right", "without", "abstained"), 0)
        for (d, asked), a in zip(pairs, answers, strict=True):
            if asked != q:
                continue
            right = bool(a.citations) and bool(_NUMBER.search(a.citations[0].text))
            if holds[d]:
                s["with"] += 1
                s["p_at_1"] += right
                s["answered"] += not a.abstained
                s["answered_right"] += (not a.abstained) and right
            else:
                s["without"] += 1
                s["abstained"] += a.abstained
        out[q] = s
    return out


def main() -> None:
    results = ei_splits(__doc__, measure)
    if results is None:
        return
    for split, per_q in results.items():
        first = next(iter(per_q.values()))
        print(f"EI {split}: {first['with']} of {first['with'] + first['without']} articles hold a registry number")
        print(f"  {'question':48} {'P@1':>6} {'answered right':>15} {'abstained (none)':>17}")
        for q, s in per_q.items():
            p1 = s["p_at_1"] / max(int(s["with"]), 1)
            print(f"  {q[:48]:48} {p1:6.3f} {s['answered_right']:>7}/{s['answered']:<3} of {s['with']:<3}"
                  f" {s['abstained']:>7}/{s['without']}")
        tot = {k: sum(int(s[k]) for s in per_q.values()) for k in first}
        print(f"  {'all five':48} {tot['p_at_1'] / max(tot['with'], 1):6.3f} {tot['answered_right']:>7}/{tot['answered']:<3} "
              f"of {tot['with']:<3} {tot['abstained']:>7}/{tot['without']}")


if __name__ == "__main__":
    main()
