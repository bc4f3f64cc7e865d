"""The grid's intervention and comparator columns, checked against the trials' own arm names.

    .venv/bin/python bench/arms.py [--splits validation,train-b] [--workdir .qa-eval] [--json]

Evidence Inference names each prompt's intervention and comparator ("LMWH",
"unfractionated heparin"), so the two arm columns of `qa grid --preset rct` can
be scored without hand-made gold. Each article of a split (the corpora
bench/accuracy.py builds: the validation split, never trained on, and train
part b) is asked each phrasing below of its own article, as the grid asks. A
first citation *names* an arm when it holds at least half of the words of one
of the article's names for it (stemmed, numbers aside). That is a proxy: a
sentence naming the arm may report a result rather than say what the group
received, and an article may name an arm in other words than the prompt's. It
ranks phrasings; it is no precision.

The rct preset's phrasings were chosen on train part b (the first two
are the ones it had before); validation is the held-out check.
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from accuracy import ei_items, link_corpus, open_engine  # noqa: E402
from common import ei_splits  # noqa: E402

from qa.text import terms  # noqa: E402

QUESTIONS = (
    ("intervention", "Which intervention did the experimental group receive?"),
    ("comparator", "Which treatment did the control or comparison group receive?"),
    ("intervention", "What treatment did the intervention group receive?"),
    ("intervention", "What did the experimental group receive?"),
    ("intervention", "What were patients randomised to?"),
    ("intervention", "Patients were randomized to receive which treatments?"),
    ("intervention", "Which treatments were participants randomly assigned to receive?"),
    ("comparator", "What did the control group receive?"),
    ("comparator", "What did the comparison group receive?"),
    ("comparator", "What did the control group receive (placebo, usual care or another treatment)?"),
)


def names(text: str, arm_names: set[str]) -> bool:
    """The text holds at least half of the words of one of the arm's names."""
    held = set(terms(text))
    for name in arm_names:
        wanted = [w for w in terms(name) if not w.isdigit()]
        if wanted and sum(w in held for w in wanted) >= len(wanted) / 2:
            return True
    return False


def measure(split: str, workdir: Path) -> dict[str, dict[str, int]]:
    from training.data import ei_rows

    items = ei_items(split)
    wanted = {i.doc for i in items if i.doc}
    arms: dict[str, dict[str, set[str]]] = collections.defaultdict(lambda: {"intervention": set(), "comparator": set()})
    for r in ei_rows():
        if r["doc"] in wanted:
            arms[r["doc"]]["intervention"].add(r["intervention"])
            arms[r["doc"]]["comparator"].add(r["comparator"])
    engine = open_engine(link_corpus(workdir / f"ei-{split}" / "corpus", wanted), workdir / f"ei-{split}" / "index")
    docs = [d.path for d in engine.index.docs]
    pairs = [(d, column, q) for column, q in QUESTIONS for d in docs]
    answers = engine.ask_many([q for *_, q in pairs], k=1, docs=[[d] for d, *_ in pairs])
    out: dict[str, dict[str, int]] = {}
    for (d, column, q), a in zip(pairs, answers, strict=True):
        s = out.setdefault(q, dict.fromkeys(("articles", "names", "answered", "answered_naming"), 0))
        hit = bool(a.citations) and names(a.citations[0].text, arms[d][column])
        s["articles"] += 1
        s["names"] += hit
        s["answered"] += not a.abstained
        s["answered_naming"] += (not a.abstained) and hit
    return out


def main() -> None:
    results = ei_splits(__doc__, measure)
    if results is None:
        return
    column_of = {q: column for column, q in QUESTIONS}
    for split, per_q in results.items():
        print(f"EI {split}: {next(iter(per_q.values()))['articles']} articles, each asked of itself")
        print(f"  {'column':12} {'question':80} {'names it':>8} {'answered (naming it)':>21}")
        for q, s in per_q.items():
            print(f"  {column_of[q]:12} {q[:80]:80} {s['names'] / s['articles']:8.3f} "
                  f"{s['answered']:>12} ({s['answered_naming']})")


if __name__ == "__main__":
    main()
