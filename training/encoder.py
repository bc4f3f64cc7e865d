"""Stage 1: fine-tune the packaged MiniLM as a question → answering-unit encoder.

Contrastive training (in-batch negatives plus hard negatives from the same
article, the near-misses BM25 ranks high), the whole transformer trained with
the word embeddings frozen. The change to each linear layer is then stored as
a truncated SVD (training.text_models.low_rank_delta) with the biases and
LayerNorms, a few MB that qa merges into the packaged weights at load time
(qa.index.adapters).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from training.data import Dataset, Question
from training.phrasing import rephrase
from training.text_models import batches, load_base, mean_pool, optimiser, tokenizer, update

EPOCHS = 2.0
"""Passes over the training questions, for EI part a and for COVID-QA alike."""


@torch.inference_mode()
def encode(model: nn.Module, texts: Sequence[str], max_length: int = 128, batch: int = 64) -> np.ndarray:
    """L2-normalised embeddings, the way qa computes them (mean pooling), longest texts first."""
    tok = tokenizer()
    order = np.argsort([-len(t) for t in texts])
    out = np.zeros((len(texts), model.config.hidden_size), np.float32)
    for s in range(0, len(texts), batch):
        idx = order[s : s + batch]
        x = tok([texts[i] for i in idx], truncation=True, max_length=max_length, padding=True, return_tensors="pt")
        v = nn.functional.normalize(mean_pool(model(**x).last_hidden_state, x["attention_mask"]), dim=-1)
        out[idx] = v.numpy()
    return out


def train(
    questions: list[Question],
    data: Dataset,
    negatives: dict[str, list[int]],
    *,
    epochs: float = 1.0,
    batch: int = 32,
    hard: int = 3,
    lr: float = 3e-5,
    scale: float = 20.0,
    seed: int = 13,
    start: Path | None = None,
    log=print,
) -> nn.Module:
    """Fine-tune a fresh copy of the base encoder, or of the base with the stored
    adapter `start` merged into it; returns the trained model."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    tok = tokenizer()
    model = load_base()
    if start is not None:
        from qa.index.adapters import load_tensors, merge_adapter

        merge_adapter(model, load_tensors(start))
    model.embeddings.requires_grad_(False)
    model.train()
    examples = [q for q in questions if q.positives and negatives.get(q.id)]
    steps = max(1, int(epochs * len(examples) / batch))
    params = [p for p in model.parameters() if p.requires_grad]
    opt, sched = optimiser(params, steps, lr)
    t0 = time.perf_counter()
    for step, picked in enumerate(batches(len(examples), batch, steps, rng)):
        chosen = [examples[i] for i in picked]
        qtexts, ptexts, ntexts = [], [], []
        for q in chosen:
            doc = data.docs[q.doc]
            qtexts.append(rephrase(q, rng))
            ptexts.append(doc.passage(rng.choice(sorted(q.positives))))
            negs = negatives[q.id]
            ntexts += [doc.passage(i) for i in rng.sample(negs, min(hard, len(negs)))]
        qx = tok(qtexts, truncation=True, max_length=64, padding=True, return_tensors="pt")
        px = tok(ptexts + ntexts, truncation=True, max_length=128, padding=True, return_tensors="pt")
        qv = nn.functional.normalize(mean_pool(model(**qx).last_hidden_state, qx["attention_mask"]), dim=-1)
        pv = nn.functional.normalize(mean_pool(model(**px).last_hidden_state, px["attention_mask"]), dim=-1)
        loss = nn.functional.cross_entropy(scale * qv @ pv.T, torch.arange(len(chosen)))
        update(loss, params, opt, sched)
        if step % 20 == 0 or step == steps - 1:
            log(f"  encoder step {step + 1}/{steps}  loss {loss.item():.3f}  {time.perf_counter() - t0:.0f} s")
    model.eval()
    return model
