"""Low-rank adapters (LoRA) on a BERT encoder's linear layers, for training.

Only the adapters, the LayerNorms and the heads train; the packaged base weights
stay frozen and are never written. `adapter_state` exports what qa loads at run
time (qa.index.adapters): for each adapted layer its A and B·scale, so that the
merged weight is W + B·A.
"""

from __future__ import annotations

import math

import torch
from torch import nn

TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")
"""Every linear layer of a BERT layer: attention projections and both feed-forward layers."""


class LoRALinear(nn.Module):
    """y = W x + (B A x) · alpha / r, with W frozen."""

    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float) -> None:
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.A = nn.Parameter(torch.empty(r, base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, r))  # zero: training starts from the base model
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
        self.scale = alpha / r
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (self.drop(x) @ self.A.T @ self.B.T) * self.scale


def add_lora(model: nn.Module, r: int, alpha: float, dropout: float = 0.05) -> list[str]:
    """Freeze the model, put adapters on every encoder linear layer, let the LayerNorms train."""
    for p in model.parameters():
        p.requires_grad_(False)
    names = [
        n for n, m in model.named_modules()
        if isinstance(m, nn.Linear) and n.startswith("encoder.") and n.endswith(TARGETS)
    ]
    for n in names:
        parent_name, child = n.rsplit(".", 1)
        parent = model.get_submodule(parent_name)
        setattr(parent, child, LoRALinear(getattr(parent, child), r, alpha, dropout))
    for n, p in model.named_parameters():
        if "LayerNorm" in n:
            p.requires_grad_(True)
    return names


def adapter_state(model: nn.Module, prefix: str = "") -> dict[str, torch.Tensor]:
    """The trained part of an adapted model: low-rank factors and LayerNorm weights."""
    out: dict[str, torch.Tensor] = {}
    for n, m in model.named_modules():
        if isinstance(m, LoRALinear):
            out[f"{prefix}{n}.lora_A"] = m.A.detach().clone().contiguous()
            out[f"{prefix}{n}.lora_B"] = (m.B.detach() * m.scale).clone().contiguous()
    for n, p in model.named_parameters():
        if "LayerNorm" in n:
            out[f"{prefix}{n}"] = p.detach().clone().contiguous()
    return out
