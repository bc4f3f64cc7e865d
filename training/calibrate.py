"""Stage 3: the confidence, fitted on cross-fitted rows (training.confidence holds the models).

Every training question is ranked by the fold model that left its article out and is asked
five ways: of the whole corpus, of its article alone, of a 31-unit excerpt of its article
around the answer (a short article, as the one qa ships), of the corpus without its article
(unanswerable) and, as probes only, of the article most like its own and of another data
set's corpus. The rows' features are what qa computes once it has ranked
(qa.answering.confidence.features); a row is right when its first citation meets the
benchmarks' rule. The stage writes the confidence model and each fold's weights, which
bench/accuracy.py asks held-out questions with.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np

from training import data as datasets
from training.adapt import COVIDQA_ENCODERS, covidqa_engines
from training.pipeline import (
    CV_FOLDS,
    article_folds,
    candidate_groups,
    corpora,
    fold_rankers,
    gold_item,
    log,
    rescored,
)


def confidence(out: Path, workdir: Path, seed: int) -> None:
    """Cross-fitted: each question's ranking and confidence come from fits
    that left its article's fold out, so the probabilities reported here (and
    the fold weights bench/accuracy.py uses) are held-out ones."""
    from qa.answering import confidence as conf
    from qa.answering.confidence import VALUE_TYPES
    from qa.answering.evaluate import citation_hit, reliability
    from qa.answering.learned import CONFIDENCE, RANKER
    from qa.answering.ranking import rank
    from qa.config import Settings
    from training.confidence import choose_confidence, choose_without_weight, row_weights
    from training.ranker import open_engine

    ranker = json.loads((out / RANKER).read_text())
    names = list(ranker["features"])
    margins = ranker.get("settings", {})

    def cited(engine, query, ranked: list, q: datasets.Question) -> float:  # type: ignore[no-untyped-def,type-arg]
        # The label is what the user is shown, the first citation (its unit and the
        # neighbour it may take in), not the first unit: the confidence is the
        # probability that the quote answers.
        margin = margins.get("merge_margin" if query.answer_type in VALUE_TYPES else "passage_margin", 0.0)
        return float(citation_hit(gold_item(q), engine.citations(ranked, 1, margin)[0]))

    sets = corpora(workdir)
    by_set = candidate_groups(workdir, sets)
    groups = [g for gs in by_set.values() for g in gs]
    folds = article_folds(groups, seed)
    fold_of = {g.question.id: f for g, f in zip(groups, folds, strict=True)}
    rankers = fold_rankers(groups, folds, names, ranker.get("kind", "linear"), seed)
    plain = Settings(trained=False)  # features only: every order below comes from a fold model
    rows: list[tuple[str, str, int, dict[str, float], float]] = []  # (set, kind, fold, features, label)
    engines = {name: open_engine(corpus, workdir / f"index-{name}", Settings(), log) for name, (corpus, _, _) in sets.items()}
    covid_engines = covidqa_engines(sets["covidqa"][0], workdir, Settings())
    for name, (_, data, questions) in sets.items():
        # Questions written about an article that it does not answer (STORM's gold set
        # has them) are rows too: all that teaches "not here" within one short article.
        unanswered = [q for q in data.questions if not q.spans and q.source == "storm"]
        set_fold = fold_of[questions[0].id] if unanswered else -1  # STORM is one article: one fold
        asked = questions + unanswered
        # COVID-QA's questions go to the encoder that left their fold out (training.adapt)
        parts = ([(covid_engines[k], [q for q in asked if q.split == f"fold{k}"]) for k in covid_engines]
                 if name == "covidqa" else [(engines[name], asked)])
        for engine, part in parts:
            _rows(engine, part, fold_of, set_fold, rankers, cited, name, rows)
        # and of the other data sets' corpora, which are about something else: the
        # off-topic question, most of all of one short article (STORM), where nothing
        # else teaches that a far-off best passage is no answer
        for other, foreign in engines.items():
            if other == name:
                continue
            fq = [foreign.prepare(q.text) for q in questions]
            for q, query, vec in zip(questions, fq, foreign.embedder.encode([qq.dense_text for qq in fq]), strict=True):
                ranked = rescored(rank(foreign.index, query, vec, plain), rankers[fold_of[q.id]])
                if ranked:
                    rows.append((name, "foreign", fold_of[q.id], conf.features(foreign.index, query, ranked), 0.0))
        log(f"  {name}: confidence features for {len(questions)} questions")
    (workdir / "confidence-rows.pkl").write_bytes(pickle.dumps(rows))  # for trying other fits
    # Every question weighs the same, but for its row asked without its article, which
    # weighs what choose_without_weight finds. (Weighing each data set the same, so that STORM's
    # 105 questions count as much as COVID-QA's 718, brought STORM's wrongly abstained
    # answerable questions from 29 to 14 but answered "What is the capital of France?":
    # STORM has no questions asked without their article to learn "not here" from.)
    # Two kinds of row are only predicted, not fitted on. A question asked of the
    # article most like its own alone taught the model that a right answer in one
    # article is as likely wrong as right (STORM's answerable questions, held out,
    # abstained 64%, against 28% without those rows). A question asked of another data
    # set's corpus ("foreign") drowned the one-article region in negatives: STORM's
    # gold answerable questions, a training fold, abstained 32% (against 6%).
    probe = ("elsewhere", "foreign")
    fitted = [r for r in rows if r[1] not in probe]
    without = choose_without_weight(fitted, seed, log)
    weights = row_weights(fitted, without)
    log(f"  rows without their article weighed {without:g}")
    fnames, fitter, fold_models, p = choose_confidence(fitted, [r for r in rows if r[1] in probe], seed, log, weights)
    y = np.array([r[4] for r in fitted])
    sets = np.array([r[0] for r in fitted])
    answerable_rows = np.array([r[1] in ("corpus", "scoped") for r in fitted])
    kinds = np.array([r[1] for r in fitted])
    for name in sorted(set(sets)):
        sel = sets == name
        _, e = reliability(p[sel], y[sel])
        answerable = sel & answerable_rows
        _, e_ans = reliability(p[answerable], y[answerable])
        shares = {kind: float(np.mean(p[sel & (kinds == kind)] < 0.5)) for kind in ("without", "excerpt", "unanswerable")
                  if (sel & (kinds == kind)).any()}
        log(f"  {name}: held-out ECE {e:.3f} (answerable rows alone {e_ans:.3f}); abstained (p < 0.5): answerable "
            f"{np.mean(p[answerable] < 0.5):.3f}, " + ", ".join(f"{k} {v:.3f}" for k, v in shares.items()))
    table, ece = reliability(p, y)
    log(f"  held-out (cross-fitted) reliability, ECE {ece:.3f}:")
    for lo, mean_p, prec, n in table:
        log(f"    [{lo:.1f}, {lo + 0.1:.1f})  confidence {mean_p:.3f}  precision {prec:.3f}  n={n}")
    sure = p >= 0.9
    log(f"  of {int(sure.sum())} answers with confidence >= 0.9, {y[sure].mean() if sure.any() else float('nan'):.3f} are right")
    threshold = 0.5
    x = np.array([[r[3][n] for n in fnames] for r in fitted])
    final = fitter(x, y, fnames, weights)
    (out / CONFIDENCE).write_text(json.dumps(final.to_json({"threshold": threshold}), indent=1) + "\n")
    log(f"  wrote {out / CONFIDENCE}")
    for k in range(CV_FOLDS):  # fold weights: what bench/accuracy.py asks held-out questions with
        d = workdir / "folds" / str(k)
        d.mkdir(parents=True, exist_ok=True)
        for f in ("encoder.safetensors", "finding.safetensors", "finding.json"):
            if (out / f).exists():
                shutil.copyfile(out / f, d / f)
        data = rankers[k].to_json()
        data["settings"] = ranker.get("settings", {})
        (d / RANKER).write_text(json.dumps(data, indent=1) + "\n")
        (d / CONFIDENCE).write_text(json.dumps(fold_models[k].to_json({"threshold": threshold}), indent=1) + "\n")
        # COVID-QA's fold k is asked with the encoder that left it out as well
        shutil.copytree(d, workdir / "folds" / f"covidqa-{k}", dirs_exist_ok=True)
        shutil.copyfile(workdir / COVIDQA_ENCODERS / str(k) / "encoder.safetensors",
                        workdir / "folds" / f"covidqa-{k}" / "encoder.safetensors")
    (workdir / "folds" / "assignment.json").write_text(json.dumps(fold_of))
    log(f"  wrote fold weights to {workdir / 'folds'}")


EXCERPT = 31
"""Units in an excerpt: as many as the article qa ships has."""


def _excerpt(engine, q: datasets.Question, ranked: list, doc: int):  # type: ignore[no-untyped-def,type-arg]
    """EXCERPT units of the document around the first of its ranked units that answers
    (within the first 50), as a scope; None when none does. Asked of it, a question of a
    long report is asked of one short article, the case of qa's own corpus, which the
    rows of whole reports and of the one shipped article leave almost unseen: there the
    confidence was too low for right answers (STORM's gold set: 0.68 on average, against
    0.88 right)."""
    from qa.answering.evaluate import citation_hit
    from qa.answering.scope import Scope

    item = gold_item(q)
    hit = next((s.unit for s in ranked[:50] if citation_hit(item, engine.citations([s], 1, 0.0)[0])), None)
    if hit is None:
        return None
    a, b = engine.index.doc_unit_ranges[doc]
    start = max(a, min(hit - EXCERPT // 2, b - EXCERPT))
    return Scope((doc,), ((start, min(b, start + EXCERPT)),))


def _rows(engine, asked: list, fold_of: dict[str, int], set_fold: int, rankers: list,  # type: ignore[no-untyped-def,type-arg]
          cited, name: str, rows: list) -> None:  # type: ignore[type-arg]
    """The rows of `asked` over one engine's corpus: each question asked of the whole
    corpus, of its article alone, of an excerpt of its article around the answer and of
    the corpus without its article, and, as a probe, of the article most like its own."""
    from qa.answering import confidence as conf
    from qa.answering.ranking import rank
    from qa.answering.scope import scope_of
    from qa.config import Settings

    plain = Settings(trained=False)  # features only: every order below comes from a fold model
    idx = engine.index
    doc_ids = {d.path: n for n, d in enumerate(idx.docs)}
    queries = [engine.prepare(q.text) for q in asked]
    vecs = engine.embedder.encode([qq.dense_text for qq in queries])
    for q, query, vec in zip(asked, queries, vecs, strict=True):
        k = fold_of.get(q.id, set_fold)
        ranked = rescored(rank(idx, query, vec, plain), rankers[k])
        if not ranked:
            continue
        if not q.spans:
            rows.append((name, "unanswerable", k, conf.features(idx, query, ranked), 0.0))
            continue
        rows.append((name, "corpus", k, conf.features(idx, query, ranked), cited(engine, query, ranked, q)))
        own = doc_ids.get(q.doc)
        if own is not None and len(idx.docs) > 1:  # the same question asked of its article alone
            scope = scope_of(idx, [own])
            ranked = rescored(rank(idx, query, vec, plain, scope), rankers[k])
            if ranked:
                rows.append((name, "scoped", k, conf.features(idx, query, ranked, scope), cited(engine, query, ranked, q)))
                excerpt = _excerpt(engine, q, ranked, own)
                if excerpt is not None:  # and of a short article's worth of it around its answer
                    ranked = rescored(rank(idx, query, vec, plain, excerpt), rankers[k])
                    if len(ranked) > 1:
                        rows.append((name, "excerpt", k, conf.features(idx, query, ranked, excerpt), cited(engine, query, ranked, q)))
        others = [d for d in range(len(idx.docs)) if d != doc_ids.get(q.doc)]
        if others:  # the same question, of a corpus without its article: unanswerable
            scope = scope_of(idx, others)
            ranked = rescored(rank(idx, query, vec, plain, scope), rankers[k])
            if ranked:
                rows.append((name, "without", k, conf.features(idx, query, ranked, scope), 0.0))
                # and of the article most like its own alone, as a grid asks every
                # question of every article: unanswerable, and the hardest such case
                scope = scope_of(idx, [int(idx.units[ranked[0].unit].doc)])
                ranked = rescored(rank(idx, query, vec, plain, scope), rankers[k])
                if ranked:
                    rows.append((name, "elsewhere", k, conf.features(idx, query, ranked, scope), 0.0))
