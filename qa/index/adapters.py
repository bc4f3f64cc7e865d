"""The project's trained weights, applied on top of the packaged base model.

qa ships no full model: training (training/) produces low-rank adapters for the
packaged all-MiniLM-L6-v2 and small heads, a few MB in qa/weights/. Loading
merges each adapter into its base layer (W + B·A) once, so answering costs
exactly what the base model costs. The digest of a weights file names the model
it makes in the index manifest: a changed adapter is a changed model.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import QAError
from qa.index.durable import sha_file
from qa.paths import weights_dir

if TYPE_CHECKING:
    import torch

ENCODER = "encoder.safetensors"
"""Adapter of the question/passage encoder (the dense index is built with it)."""
ANSWERING = ("ranker.json", "confidence.json", "finding.safetensors", "finding.json")
"""The trained files that decide answers but not the index's contents."""


def weights_path(name: str) -> Path:
    return weights_dir() / name


@lru_cache(maxsize=8)
def digest(path: Path) -> str:
    """sha256 of a weights file (cached per process: files are read-only package data)."""
    return sha_file(path)


def answering_models(trained: bool) -> dict[str, str]:
    """The digest of each trained file that decides answers, as an index manifest records
    it (none untrained): answers given before and after a change are not the same model's."""
    if not trained:
        return {}
    return {name: digest(path)[:16] for name in ANSWERING if (path := weights_path(name)).is_file()}


def load_tensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        from safetensors.torch import load_file
    except ImportError as exc:  # pragma: no cover - install problem
        raise QAError("safetensors is not installed.", hint="Run the README's set-up command.") from exc
    try:
        return load_file(str(path))
    except (OSError, ValueError, RuntimeError) as exc:
        raise QAError(f"Cannot load the trained weights {path}: {exc}", hint="Reinstall qa (see the README).") from exc


def merge_adapter(model: torch.nn.Module, tensors: dict[str, torch.Tensor], prefix: str = "") -> None:
    """Add each low-rank delta to its linear layer and set the trained LayerNorms, in place."""
    import torch

    params = dict(model.named_parameters())
    with torch.no_grad():
        for key, value in tensors.items():
            if not key.startswith(prefix):
                continue
            name = key[len(prefix):]
            if name.endswith(".lora_A"):
                layer = name[: -len(".lora_A")]
                b = tensors[f"{prefix}{layer}.lora_B"]
                weight = params.get(f"{layer}.weight")
                if weight is None or weight.shape != (b.shape[0], value.shape[1]):
                    raise QAError(f"The trained weights do not fit the base model (layer {layer}).")
                weight.add_(b.to(weight.dtype) @ value.to(weight.dtype))
            elif name.endswith(".lora_B"):
                continue
            elif name in params:
                params[name].copy_(value.to(params[name].dtype))
            else:
                raise QAError(f"The trained weights do not fit the base model ({name}).")
