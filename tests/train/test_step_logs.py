"""Step logs stay on the device until a log line is written; the non-finite guard stays exact."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from ganforge import config
from ganforge.data import build_dataset
from ganforge.errors import TrainingError
from ganforge.runs import RunDir
from ganforge.train import train, with_defaults
from ganforge.train.recipes.gan import GANRecipe
from ganforge.train.step_logs import LogSums, nonfinite

float32s = st.floats(-1e6, 1e6, width=32, allow_nan=False)


@given(st.lists(st.lists(float32s, min_size=2, max_size=2), min_size=1, max_size=30))
def test_interval_means_are_the_numbers_per_step_item_calls_gave(steps: list[list[float]]) -> None:
    """Summed on the device in float64, the means equal the old host-side float arithmetic."""
    sums = LogSums()
    for a, b in steps:
        sums.add({"a": torch.tensor(a, dtype=torch.float32), "b": b})
    old = {"a": 0.0, "b": 0.0}
    for a, b in steps:
        old["a"] += torch.tensor(a, dtype=torch.float32).item()
        old["b"] += b
    assert sums.means() == {k: v / len(steps) for k, v in old.items()}


def test_the_guard_names_every_non_finite_entry_tensor_or_float() -> None:
    assert nonfinite({"a": torch.tensor(1.0), "b": 2.0}) is None
    assert nonfinite({"a": torch.tensor(math.inf), "b": 2.0, "c": torch.tensor(0.5)}) == "a=inf"
    assert nonfinite({"a": torch.tensor(1.0), "b": math.nan}) == "b=nan"


def test_a_gan_step_reads_nothing_back_to_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = with_defaults(
        config.resolve("toy-ring", ["loss.name=wgan-gp", "data.n=64", "model.g_width=8"])
    )
    data = build_dataset(cfg.data.name, cfg.data.params)
    recipe = GANRecipe(cfg, data.info, torch.device("cpu"))
    reads = []
    for name in ("item", "tolist", "__float__", "__bool__"):
        original = getattr(torch.Tensor, name)

        def counting(self, *args, _original=original, _name=name):
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller.startswith("ganforge"):  # (torch's CPU optimisers read their step counts)
                reads.append(f"{_name} in {caller}")
            return _original(self, *args)

        monkeypatch.setattr(torch.Tensor, name, counting)
    logs = recipe.step([data.get(torch.arange(32)) for _ in range(5)])
    monkeypatch.undo()
    assert reads == []
    assert all(isinstance(v, torch.Tensor) for v in logs.values())
    assert set(logs) == {"d_real", "d_fake", "wasserstein", "gp", "d_loss", "g_loss"}


def test_a_non_finite_tensor_log_stops_training_with_the_same_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = GANRecipe.step

    def step(self, batches):
        logs = original(self, batches)
        if len(RunDir(next(tmp_path.iterdir())).read_metrics()) >= 1:
            logs["g_loss"] = logs["g_loss"] * torch.tensor(math.nan)
        return logs

    monkeypatch.setattr(GANRecipe, "step", step)
    sets = [
        "data.size=16",
        "model.g_width=8",
        "model.d_width=8",
        "train.batch_size=16",
        "train.steps=10",
        "train.log_every=2",
        "train.checkpoint_every=2",
        "train.sample_every=0",
        "train.progress=false",
    ]
    with pytest.raises(TrainingError, match=r"non-finite loss \(g_loss=nan\) at step 2"):
        train(config.resolve(None, sets), runs_root=tmp_path)
    records = RunDir(next(tmp_path.iterdir())).read_metrics()
    assert [r["step"] for r in records] == [2] and np.isfinite(records[0]["g_loss"])
