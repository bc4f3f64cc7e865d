"""Accuracy benchmark: training-fold and held-out figures side by side, qa against naive peers.

    .venv/bin/python bench/accuracy.py [--sets storm,covidqa,ei] [--no-peers] [--workdir .qa-eval]
                                       [--folds .train/folds]

What each row measures (training/ says how the weights were made):

- STORM: the gold set trains the ranking and confidence models, so with the
  shipped weights it is a training-fold figure; "held-out (CV)" asks it with
  the cross-validation fold weights that left STORM out; storm_fresh*.jsonl hold
  questions written after training (held-out phrasings, some unanswerable),
  storm_fresh2.jsonl in the session of the confidence trees, before they were measured,
  storm_fresh3.jsonl after the confidence was refitted to the first citation,
  storm_fresh4.jsonl in the session of the ranker's feature rule, storm_fresh5.jsonl after
  the encoder was trained on COVID-QA as well, storm_fresh6.jsonl while a passage reader
  (a cross-encoder, not shipped: docs/models.md) trained, before anything was measured on it,
  storm_fresh7.jsonl while the fresh sets before it were tried as training data (not kept),
  storm_fresh8.jsonl while the confidence trained on answer-removed rows (not kept),
  storm_fresh9.jsonl after the reference-list and registration changes, before they were measured on it,
  storm_fresh10.jsonl after the confidence's value-read input was coded, before it was measured;
  storm_fresh11.jsonl after the short-word typo and scoped-confidence changes, before the
  reading of EI's sections was measured with the encoder retrained;
  storm_fresh12.jsonl after the scoped named-trial check and the measure-swapping follow-up, before
  the models retrained for the former were measured;
  storm_fresh13.jsonl after the Latin word families of question words and the capitals-only
  effect measures, while the ranking retrained for them, before anything was measured on it;
  storm_fresh14.jsonl after the contradiction check learned "patients who did not respond",
  before anything was measured on it;
  storm_fresh15.jsonl after the subject-group check (a result for a group the question does
  not name), storm_fresh16.jsonl after the listed-values check, storm_fresh17.jsonl after
  every change of that session, each before anything was measured on it;
  storm_fresh18.jsonl after the rate check (the quantity a rate is asked for) and the
  confidence refitted for it, before anything was measured on it;
  storm_fresh19.jsonl after the confidence learned from short excerpts, before anything
  was measured on it;
  storm_fresh20.jsonl after the group check (a value asked for a group the passage does not
  name) and the confidence refitted for it, before anything was measured on it;
  "STORM fresh1-N" is all of them as one set.
- COVID-QA dev: trains the ranking and confidence models (shipped: training
  fold); "held-out (CV)" asks each article's questions with the fold weights
  that left its article out.
- Evidence Inference: train part b fits the ranking and confidence models
  (shipped: training fold; CV: held out); the validation split is never
  trained, tuned or chosen on — the truth; "held-out phrasings" asks it in four
  templates training never used (training.phrasing.HELD_OUT_TEMPLATES).

"corpus" asks each question of the whole data set's corpus; "scoped" asks it of
its own article only (qa ask --doc), which is how a reader of one trial asks.
"qa, of another article" asks each Evidence Inference question of the article
most like its own alone (the one the corpus without its article cites first),
which does not answer it, as `qa grid` asks every question of every article;
"abst.unans" is the share abstained on and "n" the number asked.
Peers (same units where they can be, same scoring rule qa.answering.evaluate):
qa untrained (the packaged MiniLM and the hand-set weights it had before
training), and a plain regex sentence split retrieved by dense search alone
(packaged MiniLM) or BM25 alone. The fold weights come from `python -m training`
(its --workdir, default .train). "chance" is the ECE a perfectly calibrated
confidence would show on the same questions by chance alone (evaluate.chance_ece).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
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
from qa.paths import WEIGHTS_ENV, weights_dir  # noqa: E402
from qa.reading.files import corpus_files  # noqa: E402

SHARED = ROOT.parent / "shared" / "benchmarks"
EI = SHARED / "evidence-inference"
COVIDQA = SHARED / "covidqa" / "covidqa-dev.json"
_NAIVE = re.compile(r"(?<=[.!?])\s+")
_TOKENS = re.compile(r"\w+")
Asker = Callable[[list[evaluate.GoldItem]], list[Answer]]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- peers -------------------------------------------------------------------------------------


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
    """Plain sentence split; dense-only (packaged MiniLM) or BM25-only retrieval, optionally per document."""

    def __init__(self, corpus: Path) -> None:
        self.units = naive_units(corpus)
        self.embedder = Embedder(Settings().model, trained=False)
        self.vectors = self.embedder.encode([u.text for u in self.units])
        self.bm25 = LexicalIndex.build(_TOKENS.findall(u.text.lower()) for u in self.units)
        self.doc = np.array([u.doc for u in self.units])

    def ask(self, mode: str, scoped: bool) -> Asker:
        def asker(items: list[evaluate.GoldItem]) -> list[Answer]:
            qs = [i.question for i in items]
            if mode == "dense":
                scores = self.vectors @ self.embedder.encode(qs).T
            out = []
            for n, item in enumerate(items):
                s = scores[:, n] if mode == "dense" else self.bm25.scores({t: 1.0 for t in _TOKENS.findall(item.question.lower())})
                s = np.where(self.doc == item.doc, s, -np.inf) if scoped else s
                top = [int(i) for i in np.argsort(-s, kind="stable")[:evaluate.MRR_DEPTH] if np.isfinite(s[i])]
                out.append(Answer(item.question, None, False, [self.units[i] for i in top]))
            return out

        return asker


# --- qa ----------------------------------------------------------------------------------------


@contextmanager
def weights(folder: Path | None):  # type: ignore[no-untyped-def]
    """qa's weights folder for the block (None: the ones under test, $QA_WEIGHTS where it
    is set, else qa/weights: a candidate run of `python -m training --out DIR` is measured
    with QA_WEIGHTS=DIR)."""
    old = os.environ.get(WEIGHTS_ENV)
    if folder is not None:
        os.environ[WEIGHTS_ENV] = str(folder)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(WEIGHTS_ENV, None)
        else:
            os.environ[WEIGHTS_ENV] = old


def qa_asker(engine: Engine, scoped: bool, folds: dict[str, int] | None = None, fold_dir: Path | None = None,
             fold_engines: dict[int, Engine] | None = None, prefix: str = "") -> Asker:
    """qa's answers; with `folds`, each question asked with the weights of the fold that left
    it out (the folder `prefix` + fold under `fold_dir`), over that fold's engine where the
    folds have engines of their own (COVID-QA: each fold's encoder left it out)."""

    def ask(items: list[evaluate.GoldItem], folder: Path | None, k: int | None = None) -> list[Answer]:
        with weights(folder):
            docs = [[i.doc] if i.doc else None for i in items] if scoped else None
            asked = fold_engines[k] if fold_engines and k is not None else engine
            return asked.ask_many([i.question for i in items], k=evaluate.MRR_DEPTH, ids=[i.id for i in items], docs=docs)

    def asker(items: list[evaluate.GoldItem]) -> list[Answer]:
        if folds is None or fold_dir is None:
            return ask(items, None)
        out: dict[str, Answer] = {}
        # A question training never saw (an unanswerable one) goes with its article's fold;
        # a gold file without documents (STORM: one article) is one fold.
        by_doc: dict[str | None, list[int]] = {}
        for i in items:
            if i.id in folds:
                by_doc.setdefault(i.doc, []).append(folds[i.id])
        fold_of = {i.id: folds[i.id] if i.id in folds else max(set(by_doc.get(i.doc, [-1])), key=by_doc.get(i.doc, [-1]).count)
                   for i in items}
        for k in sorted(set(fold_of.values()) - {-1}):
            chosen = [i for i in items if fold_of[i.id] == k]
            if chosen:
                out.update((i.id, a) for i, a in zip(chosen, ask(chosen, fold_dir / f"{prefix}{k}", k), strict=True))
        missing = [i.id for i in items if i.id not in out]
        if missing:
            raise SystemExit(f"no fold for {len(missing)} questions (e.g. {missing[0]}): rerun python -m training")
        return [out[i.id] for i in items]

    return asker


def open_engine(corpus: Path, index: Path, trained: bool = True, **settings: bool) -> Engine:
    engine = Engine(corpus, index, Settings(trained=trained, **settings))
    engine.open(progress=log)
    return engine


# --- data sets ---------------------------------------------------------------------------------


def link_corpus(folder: Path, names: set[str]) -> Path:
    """A corpus folder of some EI articles (symbolic links to the shared files)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in sorted(names):
        link = folder / name
        if not link.exists():
            os.symlink(EI / "corpus" / name, link)
    return folder


def ei_items(split: str) -> list[evaluate.GoldItem]:
    from training.data import ei_parts, ei_rows

    items = evaluate.load_gold(EI / "questions.jsonl", "validation" if split == "validation" else "train")
    if split == "validation":
        return items
    parts = ei_parts(ei_rows())
    return [i for i in items if i.doc and parts.get(i.doc) == split]


def held_out_phrasings(items: list[evaluate.GoldItem]) -> list[evaluate.GoldItem]:
    """The same questions in the phrasings training never used (training.phrasing.HELD_OUT_TEMPLATES)."""
    from training.data import ei_rows
    from training.phrasing import HELD_OUT_TEMPLATES

    slots = {r["id"]: (r["intervention"], r["comparator"], r["outcome"]) for r in ei_rows()}
    out = []
    for n, i in enumerate(items):
        iv, cv, ov = slots[i.id]
        text = HELD_OUT_TEMPLATES[n % len(HELD_OUT_TEMPLATES)].format(I=iv, C=cv, O=ov)
        out.append(evaluate.GoldItem(i.id, text, i.gold, i.answer, i.doc, i.spans))
    return out


Row = tuple[str, str, str, evaluate.Report, evaluate.Report | None]


def measure(data: str, split: str, system: str, asker: Asker, scoped_asker: Asker | None,
            items: list[evaluate.GoldItem]) -> Row:
    t0 = time.perf_counter()
    report = evaluate.score(data, items, asker(items))
    report.seconds = time.perf_counter() - t0
    scoped = evaluate.score(data, items, scoped_asker(items)) if scoped_asker else None
    log(f"  {data} {split} {system}: P@1 {report.p_at_1:.3f}" + (f", scoped {scoped.p_at_1:.3f}" if scoped else ""))
    return data, split, system, report, scoped


def storm(args: argparse.Namespace, folds: dict[str, int]) -> list[Row]:
    corpus = ROOT / "corpus"
    engine = open_engine(corpus, args.workdir / "storm-index")
    gold = evaluate.load_gold(ROOT / "tests/data/storm_gold.jsonl")
    rows = [measure("STORM gold", "training fold", "qa", qa_asker(engine, False), None, gold)]
    if folds:
        rows.append(measure("STORM gold", "held-out (CV)", "qa", qa_asker(engine, False, folds, args.folds), None, gold))
    # each fresh set was written after the change before it, and never trained or tuned on
    fresh = {f"STORM {f.stem.removeprefix('storm_').replace('_', ' ')}": evaluate.load_gold(f)
             for f in sorted((ROOT / "tests/data").glob("storm_fresh*.jsonl"), key=lambda f: int(f.stem.removeprefix("storm_fresh") or 1))}
    # and all of them as one set: on 30 questions a calibrated confidence's ECE is about
    # 0.15 by chance alone (evaluate.chance_ece), so calibration is judged on them pooled
    fresh[f"STORM fresh1-{len(fresh)}"] = [i for items in list(fresh.values()) for i in items]
    for name, items in fresh.items():
        rows.append(measure(name, "held-out phrasings", "qa", qa_asker(engine, False), None, items))
    if args.ablate:  # the hand-written contradiction rule on top of the confidence model
        plain = open_engine(corpus, args.workdir / "storm-index", contradiction_abstains=False)
        rows.append(measure("STORM gold", "training fold", "qa − contradiction", qa_asker(plain, False), None, gold))
        for name, items in fresh.items():
            rows.append(measure(name, "held-out phrasings", "qa − contradiction", qa_asker(plain, False), None, items))
    if args.peers:
        base = open_engine(corpus, args.workdir / "storm-index-untrained", trained=False)
        rows.append(measure("STORM gold", "-", "qa untrained", qa_asker(base, False), None, gold))
        for name, items in fresh.items():
            rows.append(measure(name, "-", "qa untrained", qa_asker(base, False), None, items))
    return rows


def covidqa(args: argparse.Namespace, folds: dict[str, int]) -> list[Row]:
    ws = evaluate.squad_workspace(COVIDQA, args.workdir)
    items = evaluate.load_squad(COVIDQA, ws / "corpus")
    engine = open_engine(ws / "corpus", ws / "index")
    rows = [measure("COVID-QA dev", "training fold", "qa", qa_asker(engine, False), qa_asker(engine, True), items)]
    if folds:
        # each fold over an index built with the encoder that never saw its articles (training.adapt)
        engines = {}
        for k in sorted(set(folds.values())):
            with weights(args.folds / f"covidqa-{k}"):
                engines[k] = open_engine(ws / "corpus", ws / f"index-fold{k}")
        rows.append(measure("COVID-QA dev", "held-out (CV)", "qa",
                            qa_asker(engine, False, folds, args.folds, engines, "covidqa-"),
                            qa_asker(engine, True, folds, args.folds, engines, "covidqa-"), items))
    if args.peers:
        rows += peers("COVID-QA dev", ws / "corpus", ws / "index-untrained", items)
    return rows


def ei(args: argparse.Namespace, folds: dict[str, int]) -> list[Row]:
    rows = []
    for split in ("train-b", "validation"):
        items = ei_items(split)
        corpus = link_corpus(args.workdir / f"ei-{split}" / "corpus", {i.doc for i in items if i.doc})
        engine = open_engine(corpus, args.workdir / f"ei-{split}" / "index")
        name = f"EI {split}"
        away = elsewhere(engine, items)
        if split == "train-b":
            rows.append(measure(name, "training fold", "qa", qa_asker(engine, False), qa_asker(engine, True), items))
            rows.append(measure(name, "training fold", "qa, of another article", qa_asker(engine, True), None, away))
            if folds:
                rows.append(measure(name, "held-out (CV)", "qa",
                                    qa_asker(engine, False, folds, args.folds), qa_asker(engine, True, folds, args.folds), items))
                rows.append(measure(name, "held-out (CV)", "qa, of another article",
                                    qa_asker(engine, True, {f"{k}@": v for k, v in folds.items()}, args.folds), None, away))
        else:
            rows.append(measure(name, "held-out", "qa", qa_asker(engine, False), qa_asker(engine, True), items))
            rows.append(measure(name, "held-out", "qa, of another article", qa_asker(engine, True), None, away))
            reworded = held_out_phrasings(items)
            rows.append(measure(name, "held-out phrasings", "qa", qa_asker(engine, False), qa_asker(engine, True), reworded))
            if args.peers:
                rows += peers(name, corpus, args.workdir / f"ei-{split}" / "index-untrained", items)
    return rows


def elsewhere(engine: Engine, items: list[evaluate.GoldItem]) -> list[evaluate.GoldItem]:
    """Each question asked of the article most like its own alone (the one the corpus
    without its article cites first), which does not answer it: how `qa grid` asks every
    question of every article. Unanswerable; its id is the question's with "@"."""
    paths = [d.path for d in engine.index.docs]
    found = engine.ask_many([i.question for i in items], k=1, docs=[[p for p in paths if p != i.doc] for i in items])
    return [evaluate.GoldItem(f"{i.id}@", i.question, [], doc=a.citations[0].doc)
            for i, a in zip(items, found, strict=True) if a.citations]


def peers(name: str, corpus: Path, untrained_index: Path, items: list[evaluate.GoldItem]) -> list[Row]:
    base = open_engine(corpus, untrained_index, trained=False)
    rows = [measure(name, "-", "qa untrained", qa_asker(base, False), qa_asker(base, True), items)]
    naive = Naive(corpus)
    for mode in ("dense", "bm25"):
        rows.append(measure(name, "-", f"naive split + {mode}", naive.ask(mode, False), naive.ask(mode, True), items))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="storm,covidqa,ei", help="comma-separated: storm, covidqa, ei")
    ap.add_argument("--no-peers", dest="peers", action="store_false", help="qa with the shipped and fold weights only")
    ap.add_argument("--workdir", type=Path, default=ROOT / ".qa-eval")
    ap.add_argument("--folds", type=Path, default=ROOT / ".train" / "folds", help="fold weights of python -m training")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--ablate", action="store_true", help="also STORM without the contradiction rule")
    args = ap.parse_args()
    log(f"weights under test (the rows not marked CV): {weights_dir()}")
    assignment = args.folds / "assignment.json"
    folds: dict[str, int] = json.loads(assignment.read_text()) if assignment.exists() else {}
    if not folds:
        log(f"no {assignment}: held-out (CV) rows need `python -m training` first; skipping them")
    table: list[Row] = []
    for s in args.sets.split(","):
        table += {"storm": storm, "covidqa": covidqa, "ei": ei}[s.strip()](args, folds)
    head = (f"{'data':<15} {'split':<19} {'system':<22} {'P@1':>6} {'P@3':>6} {'MRR':>6} {'scoped':>6} {'n':>5} {'abst.unans':>10} "
            f"{'wrong abst':>10} {'right|ans':>9} {'right|.9':>11} {'ECE':>6} {'chance':>6}")
    print(head)
    print("-" * len(head))
    for data, split, system, r, sc in table:
        unans = "-" if r.abstained_unanswerable is None or not system.startswith("qa") else f"{r.abstained_unanswerable:.1%}"
        qa_row = system.startswith("qa")
        wrong = f"{r.abstained_answerable:.1%}" if qa_row else "-"
        right = f"{r.answered_right:.1%}" if qa_row and r.answered_right is not None else "-"
        ece = f"{r.ece:.3f}" if qa_row and r.ece is not None else "-"
        chance = f"{r.ece_chance:.3f}" if qa_row and r.ece_chance is not None else "-"
        sure = f"{r.sure_right:.1%}/{r.sure}" if qa_row and r.sure_right is not None else "-"
        scoped = f"{sc.p_at_1:.3f}" if sc else "-"
        ranks = [f"{v:6.3f}" for v in (r.p_at_1, r.p_at_3, r.mrr)]
        if not r.answerable:  # unanswerable questions only (asked of another article): nothing to rank or refuse
            ranks, wrong, right, sure = ["     -"] * 3, "-", "-", "-"
        print(f"{data:<15} {split:<19} {system:<22} {' '.join(ranks)} {scoped:>6} {r.answerable or r.count:5d} "
              f"{unans:>10} {wrong:>10} {right:>9} {sure:>11} {ece:>6} {chance:>6}")
    if args.json:
        args.json.write_text(json.dumps([{"data": d, "split": s, "system": y, **r.to_json(),
                                          "scoped": sc.to_json() if sc else None} for d, s, y, r, sc in table], indent=1))


if __name__ == "__main__":
    main()
