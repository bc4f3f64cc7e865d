"""Stage 1b: the encoder, trained on COVID-QA's questions as well, fold by fold.

EI's questions are comparisons ("How did X compare with Y on Z?") over trial reports
with headings; COVID-QA's are short factual questions over plain-text articles, and
the encoder trained on EI alone ranked them no better than the packaged MiniLM.
The adapt stage goes on training the encoder stage's model on COVID-QA, once per
article-grouped fold without that fold's articles and once on all of them (what
ships). Every COVID-QA figure is then asked with the encoder of the fold that left
its article out: the candidate groups of the ranking stage, the confidence rows and
bench/accuracy.py's held-out rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from training import data as datasets
from training import negatives

if TYPE_CHECKING:
    from qa.answering.engine import Engine

EI_ENCODER = "encoder-ei.safetensors"
"""The encoder stage's model, kept in the workdir: the adapt stage starts from it."""
COVIDQA_ENCODERS = "covidqa-encoders"
"""Workdir folder of the adapt stage's fold encoders: k/encoder.safetensors left COVID-QA fold k out."""


def stage(out: Path, workdir: Path, seed: int) -> None:
    """The encoder stage's model, trained on in the same way on COVID-QA's
    questions (short factual questions about articles with no headings, unlike EI's
    comparisons). One model per fold leaves that fold's articles out: the ranking and
    confidence stages and bench/accuracy.py use it for the fold's questions, so every
    COVID-QA figure stays held out. The model trained on all folds ships."""
    from safetensors.torch import save_file

    from qa.index.adapters import ENCODER, digest
    from training import encoder as enc
    from training.text_models import RANK, kept_energy, low_rank_delta

    start = workdir / EI_ENCODER
    if not start.exists():
        raise SystemExit(f"no {start}: run the encoder stage first")
    covid = datasets.load_covidqa()
    answerable = [q for q in covid.questions if q.positives]
    hard = negatives.lexical(answerable, covid)
    meta = {"base": "all-MiniLM-L6-v2", "rank": str(RANK), "seed": str(seed), "start": digest(start)}
    for k in [*range(datasets.FOLDS), None]:
        train = [q for q in answerable if q.split != f"fold{k}"]
        print(f"  COVID-QA {'all folds' if k is None else f'without fold {k}'}: {len(train)} questions")
        model = enc.train(train, covid, hard, epochs=enc.EPOCHS, seed=seed, start=start, log=lambda m: print(m, flush=True))
        target = out / ENCODER if k is None else workdir / COVIDQA_ENCODERS / str(k) / ENCODER
        target.parent.mkdir(parents=True, exist_ok=True)
        save_file(low_rank_delta(model), str(target), metadata=meta)
        print(f"  stored rank {RANK}: keeps {kept_energy(model):.4f} of the change's energy; wrote {target}")


def covidqa_encoders(workdir: Path) -> list[Path]:
    """The adapt stage's fold encoders (weights folders), in fold order, checked to
    come from the same start as the encoder being trained on."""
    from safetensors import safe_open

    from qa.index.adapters import ENCODER

    def start(path: Path) -> str | None:
        with safe_open(str(path), "np") as f:
            return (f.metadata() or {}).get("start")

    folders = [workdir / COVIDQA_ENCODERS / str(k) for k in range(datasets.FOLDS)]
    shipped = start(Path(os.environ["QA_WEIGHTS"]) / ENCODER)
    if not all((f / ENCODER).exists() and start(f / ENCODER) == shipped for f in folders) or shipped is None:
        raise SystemExit("the COVID-QA fold encoders are missing or come from another encoder: run the adapt stage")
    return folders


@contextmanager
def weights_at(folder: Path) -> Iterator[None]:
    """qa reads its weights from `folder` in the block."""
    old = os.environ["QA_WEIGHTS"]
    os.environ["QA_WEIGHTS"] = str(folder)
    try:
        yield
    finally:
        os.environ["QA_WEIGHTS"] = old


def covidqa_engines(corpus: Path, workdir: Path, settings) -> dict[int, Engine]:  # type: ignore[no-untyped-def]
    """qa over COVID-QA once per fold, each index built with the encoder that left the
    fold out (an engine keeps the encoder it was opened with)."""
    from training.ranker import open_engine

    engines = {}
    for k, folder in enumerate(covidqa_encoders(workdir)):
        with weights_at(folder):
            engines[k] = open_engine(corpus, workdir / f"index-covidqa-fold{k}", settings)
    return engines
