"""The stored change of a fine-tuned MiniLM (training.text_models.low_rank_delta), merged
back at load (qa.index.adapters.merge_adapter), makes the model it was stored from, and a
scale moves every parameter that far along the change."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from qa.index.adapters import merge_adapter  # noqa: E402
from training.text_models import load_base, low_rank_delta  # noqa: E402

LAYER = "encoder.layer.2.attention.self.query"
NORM = "encoder.layer.2.output.LayerNorm.weight"


@pytest.fixture(scope="module")
def trained() -> torch.nn.Module:
    """The base model with a rank-8 change to one linear layer and a changed LayerNorm."""
    model = load_base()
    g = torch.Generator().manual_seed(0)
    params = dict(model.named_parameters())
    with torch.no_grad():
        w = params[f"{LAYER}.weight"]
        w.add_(0.01 * torch.randn(w.shape[0], 8, generator=g) @ torch.randn(8, w.shape[1], generator=g))
        params[NORM].mul_(1.1)
    return model


@pytest.mark.parametrize("scale", [1.0, 1.3])
def test_merged_change_is_the_trained_change_scaled(trained: torch.nn.Module, scale: float) -> None:
    base = dict(load_base().named_parameters())
    want = {name: base[name].detach() + scale * (p.detach() - base[name].detach()) for name, p in trained.named_parameters()}
    stored = low_rank_delta(trained, scale=scale)
    merged = load_base()
    merge_adapter(merged, stored)
    got = dict(merged.named_parameters())
    # fp16 factors: the change is kept to about three significant digits of itself
    change = (want[f"{LAYER}.weight"] - base[f"{LAYER}.weight"]).abs().max()
    assert (got[f"{LAYER}.weight"] - want[f"{LAYER}.weight"]).abs().max() <= 2e-3 * change
    assert torch.allclose(got[NORM], want[NORM], atol=1e-6)
    untouched = "encoder.layer.4.intermediate.dense.weight"
    assert (got[untouched] - base[untouched]).abs().max() < 1e-6
    if scale == 1.0:  # the trained LayerNorms themselves, not base + (trained − base)
        assert torch.equal(stored[NORM], dict(trained.named_parameters())[NORM].detach())
