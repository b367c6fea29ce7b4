"""The semi-supervised GAN's feature-matching generator objective (Salimans et al. 2016)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganforge.train.recipes.sgan import feature_matching

from ..conftest import run_cli
from .test_class_families import TINY, recipe


def test_feature_matching_is_the_squared_distance_of_the_batch_means() -> None:
    real = torch.tensor([[1.0, 2.0], [3.0, 4.0]])  # mean (2, 3)
    fake = torch.tensor([[0.0, 0.0], [2.0, 2.0], [1.0, 1.0]])  # mean (1, 1)
    assert float(feature_matching(real, fake)) == pytest.approx(1.0**2 + 2.0**2)
    assert float(feature_matching(real, real.flip(0))) == 0.0  # the means alone count
    # improved-gan's CIFAR-10/SVHN scripts: the mean over features of |difference|, (1 + 2) / 2
    assert float(feature_matching(real, fake, "l1")) == pytest.approx(1.5)
    assert float(feature_matching(real, real.flip(0), "l1")) == 0.0


def test_sgan_feature_matching_distance_is_a_schedule_option() -> None:
    r = recipe(
        "sgan-digits",
        "schedule.labelled=20",
        "schedule.g_objective=feature-matching",
        "schedule.fm_distance=l1",
    )
    real, fake = torch.randn(8, 1, 8, 8), torch.randn(6, 1, 8, 8)
    loss, _ = r.g_objective(fake, real, None)
    f_real, f_fake = r.d.encoder(real).flatten(1), r.d.encoder(fake).flatten(1)
    expected = (f_real.mean(0) - f_fake.mean(0)).abs().mean()
    assert float(loss.detach()) == pytest.approx(float(expected.detach()), rel=1e-5)
    assert recipe("sgan-digits", "schedule.labelled=20").schedule["fm_distance"] == "l2"


def test_sgan_generator_matches_d_last_hidden_features_of_real_images() -> None:
    r = recipe("sgan-digits", "schedule.labelled=20", "schedule.g_objective=feature-matching")
    real = torch.randn(8, 1, 8, 8, requires_grad=True)
    fake = torch.randn(6, 1, 8, 8, requires_grad=True)
    loss, logs = r.g_objective(fake, real, None)
    f_real = r.d.encoder(real).flatten(1).detach()  # what the K logits read
    f_fake = r.d.encoder(fake).flatten(1).detach()
    assert f_real.shape[1] == r.d.aux.in_features
    expected = ((f_real.mean(0) - f_fake.mean(0)) ** 2).sum()
    assert float(loss.detach()) == pytest.approx(float(expected), rel=1e-5)
    assert float(expected) > 0
    assert float(logs["g_loss"]) == pytest.approx(float(expected), rel=1e-5)
    loss.backward()
    assert real.grad is None  # the real side is a constant target
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    default = recipe("sgan-digits", "schedule.labelled=20")
    g_loss, _ = default.g_objective(fake, real, None)
    nonsat = torch.nn.functional.softplus(-default.d(fake)).mean()  # the loss's own objective
    assert float(g_loss.detach()) == pytest.approx(float(nonsat.detach()), rel=1e-5)


def test_sgan_digits_trains_with_feature_matching_from_the_cli(tmp_path: Path, capsys) -> None:
    sets = [a for o in [*TINY, "schedule.labelled=20"] for a in ("--set", o)]
    code, _, err = run_cli(
        capsys, "train", "sgan-digits", "--runs-dir", str(tmp_path), "--name", "fm", "--quiet",
        "--set", "schedule.g_objective=feature-matching", *sets,
    )  # fmt: skip
    assert code == 0, err
    records = [json.loads(line) for line in (tmp_path / "fm" / "metrics.jsonl").open()]
    train = [r for r in records if r["kind"] == "train"]
    assert len(train) == 3 and all(r["g_loss"] >= 0 for r in train)  # a squared distance
    assert "test_acc" in train[-1]
    config = (tmp_path / "fm" / "config.yaml").read_text()
    assert "g_objective: feature-matching" in config
    code, _, err = run_cli(
        capsys, "train", "sgan-digits", "--runs-dir", str(tmp_path), "--name", "bad", "--quiet",
        "--set", "schedule.g_objective=matching", *sets,
    )  # fmt: skip
    assert code == 2 and "feature-matching" in err and "Traceback" not in err
