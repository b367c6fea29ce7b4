"""Gradient accumulation (optim.accumulate): k micro-batches make one update of their mean."""

from __future__ import annotations

import pytest
import torch

from ganforge import config
from ganforge.data import build_dataset
from ganforge.train.recipes.gan import GANRecipe

BASE = [
    "loss.name=least-squares",
    "optim.name=sgd",
    "optim.betas=[0, 0]",
    "optim.lr_g=0.5",
    "optim.lr_d=0.5",
    "model.g_width=4",
    "model.d_width=4",
    "data.n=64",
    "train.batch_size=8",
]


def _step(k: int, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, dict, dict]:
    cfg = config.resolve("toy-ring", [*BASE, f"optim.accumulate={k}"])
    data = build_dataset(cfg.data.name, cfg.data.params)
    torch.manual_seed(0)
    recipe = GANRecipe(cfg, data.info, torch.device("cpu"))
    z = torch.randn(8, recipe.g.z_dim, generator=torch.Generator().manual_seed(5))
    monkeypatch.setattr(recipe.g, "latent", lambda n, *a, **kw: z.clone())
    assert recipe.batches_per_step == k
    logs = recipe.step([data.get(torch.arange(8))] * k)
    # parameters only: the generator's batch-norm running statistics see k forward passes
    params = {n: p.detach().clone() for n, p in recipe.g.named_parameters()}
    return params, {n: p.detach().clone() for n, p in recipe.d.named_parameters()}, logs


def test_k_identical_micro_batches_make_the_update_of_one(monkeypatch: pytest.MonkeyPatch) -> None:
    g1, d1, logs1 = _step(1, monkeypatch)
    g3, d3, logs3 = _step(3, monkeypatch)
    for one, three in ((g1, g3), (d1, d3)):
        for key in one:
            torch.testing.assert_close(three[key], one[key], rtol=1e-6, atol=1e-7)
    assert logs1.keys() == logs3.keys()
    for key in logs1:
        assert float(logs3[key]) == pytest.approx(float(logs1[key]), rel=1e-6)
