"""Stage 4: the reported finding of a comparison, read from the cited evidence.

A cross-encoder over (question, evidence passage) with three outputs: the
intervention significantly increased the outcome, significantly decreased it,
or made no significant difference (Evidence Inference's labels, given by
doctors for each evidence span). It starts from the packaged MiniLM; the whole
transformer and a linear head train, the word embeddings stay as packaged. What
ships is the change to each linear layer as a truncated SVD
(training.text_models.low_rank_delta: rank 64 kept EI train part b's accuracy
to the passage), the LayerNorms and biases, and the head.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from qa.answering.cross import softmax
from training.data import FINDINGS, Dataset, Question, answers
from training.phrasing import rephrase
from training.text_models import PairModel, batches, optimiser, pair_inputs, update

MAX_LENGTH = 192


def pairs(questions: Sequence[Question], data: Dataset, *, per_span: bool = False) -> list[tuple[Question, str, int]]:
    """(question, evidence passage, label) for every answering unit of every labelled question.

    The label is the question's first doctor's (how the finding is measured), or with
    per_span each unit takes the label of the doctor whose span it holds: where two
    doctors disagree, each reading is learned from the evidence it was given for
    (EI train part a: 1,850 passages become 1,882; part b accuracy 0.745 → 0.749)."""
    out = []
    for q in questions:
        doc = data.docs[q.doc]
        if not per_span:
            if q.finding >= 0:
                out += [(q, doc.passage(i), q.finding) for i in sorted(q.positives)]
            continue
        seen: set[tuple[int, int]] = set()
        for span, label in zip(q.spans, q.span_findings, strict=True):
            for i in sorted(q.positives):
                if label >= 0 and (i, label) not in seen and answers(doc.units[i], [span]):
                    seen.add((i, label))
                    out.append((q, doc.passage(i), label))
    return out


def train(
    examples: list[tuple[Question, str, int]],
    *,
    epochs: float = 3.0,
    batch: int = 16,
    lr: float = 1e-4,
    seed: int = 13,
    log: Callable[[str], None] = print,
) -> PairModel:
    rng = random.Random(seed)
    torch.manual_seed(seed)
    model = PairModel(len(FINDINGS))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    steps = max(1, int(epochs * len(examples) / batch))
    opt, sched = optimiser(params, steps, lr)
    # Class weights: "significantly decreased" is the rarest label.
    counts = np.bincount([e[2] for e in examples], minlength=len(FINDINGS)).astype(np.float64)
    weight = torch.tensor(counts.sum() / (len(FINDINGS) * np.maximum(counts, 1)), dtype=torch.float32)
    t0 = time.perf_counter()
    for step, picked in enumerate(batches(len(examples), batch, steps, rng)):
        chosen = [examples[i] for i in picked]
        x = pair_inputs([(rephrase(q, rng), p) for q, p, _ in chosen], MAX_LENGTH)
        loss = nn.functional.cross_entropy(model(x), torch.tensor([y for _, _, y in chosen]), weight=weight)
        update(loss, params, opt, sched)
        if step % 25 == 0 or step == steps - 1:
            log(f"  finding step {step + 1}/{steps}  loss {loss.item():.3f}  {time.perf_counter() - t0:.0f} s")
    model.eval()
    return model


FINDING_PRECISION = 0.85
"""A finding is shown when the calibrated probability reaches the lowest level at
which this share of the calibration passages' findings are right."""


def temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood (a grid is enough for one number)."""
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 121))
    nll = [-np.log(softmax(logits / t)[np.arange(len(y)), y] + 1e-12).mean() for t in grid]
    return float(grid[int(np.argmin(nll))])


def display_threshold(p: np.ndarray, y: np.ndarray) -> float:
    best = p.max(1)
    right = p.argmax(1) == y
    for t in np.round(np.arange(0.34, 1.0, 0.01), 2):
        sure = best >= t
        if sure.sum() >= 20 and right[sure].mean() >= FINDING_PRECISION:
            return float(t)
    return 0.99
