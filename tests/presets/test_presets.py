"""Every preset resolves; every loss trains on both toy sets from the CLI; MNIST preset runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganforge import config
from ganforge.cli import main
from ganforge.data import build_dataset
from ganforge.presets import toy_losses
from ganforge.registry import PRESETS
from ganforge.runs import RunDir

from ..conftest import MNIST_DIR, require

QUICK = [
    "--set",
    "train.steps=3",
    "--set",
    "train.batch_size=20",
    "--set",
    "train.log_every=1",
    "--set",
    "data.n=500",
    "--quiet",
]


@pytest.mark.parametrize("name", PRESETS.names())
def test_every_preset_resolves(name: str) -> None:
    cfg = config.resolve(name)
    assert cfg.preset == name


def test_there_is_a_toy_preset_per_loss_and_dataset() -> None:
    for loss in toy_losses():
        for dataset in ("ring", "grid"):
            cfg = config.resolve(f"{loss}-{dataset}")
            assert (cfg.loss.name, cfg.data.name, cfg.model.name) == (loss, dataset, "mlp")


@pytest.mark.parametrize("loss", toy_losses())
def test_every_loss_trains_on_the_toy_sets_from_the_cli(loss: str, tmp_path: Path) -> None:
    for dataset in ("ring", "grid"):
        with pytest.raises(SystemExit) as done:
            main(
                [
                    "train",
                    f"{loss}-{dataset}",
                    "--runs-dir",
                    str(tmp_path),
                    "--name",
                    dataset,
                    *QUICK,
                ]
            )
            raise SystemExit(0)
        assert done.value.code == 0
        records = [r for r in RunDir(tmp_path / dataset).read_metrics() if r["kind"] == "train"]
        assert [r["step"] for r in records] == [1, 2, 3]
        assert all("g_loss" in r for r in records)
    if loss == "began":
        assert "m_global" in records[-1] and "k" in records[-1]


def test_dcgan_mnist_preset_trains_from_the_idx_files(tmp_path: Path) -> None:
    require(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(SystemExit) as done:
        main(
            [
                "train",
                "dcgan-mnist",
                "--runs-dir",
                str(tmp_path),
                "--name",
                "m",
                "--quiet",
                "--set",
                f"data.path={MNIST_DIR}",
                "--set",
                "data.split=test",
                "--set",
                "train.steps=2",
                "--set",
                "data.limit=256",
            ]
        )
        raise SystemExit(0)
    assert done.value.code == 0
    assert (tmp_path / "m" / "samples" / "step-0000002.png").is_file()


@pytest.mark.parametrize(
    ("name", "spacing", "std"),
    [
        ("8gaussians", 2 * np.sin(np.pi / 8) * 2 / 1.414, 0.02 / 1.414),
        ("25gaussians", 2 / 2.828, 0.05 / 2.828),
    ],
)
def test_the_wgan_gp_toy_presets_carry_gan_toy_py_settings(
    name: str, spacing: float, std: float
) -> None:
    cfg = config.resolve(f"wgan-gp-{name}")
    info = build_dataset(cfg.data.name, {**cfg.data.params, "n": 100}).info
    means = np.asarray(info.extra["means"])
    gaps = np.linalg.norm(means[:, None] - means[None], axis=2) + np.eye(len(means)) * 9
    assert gaps.min() == pytest.approx(spacing) and info.extra["std"] == pytest.approx(std)
    assert cfg.model.params == {"g_width": 512, "g_depth": 3, "d_width": 512, "d_depth": 3}
    assert (cfg.loss.name, cfg.loss.params) == ("wgan-gp", {"gp_weight": 0.1})
    o = cfg.optim
    assert (o.name, o.lr_g, o.lr_d, o.betas, o.n_critic) == ("adam", 1e-4, 1e-4, (0.5, 0.9), 5)
    assert (cfg.train.batch_size, cfg.train.steps, cfg.train.ema) == (256, 100_000, None)
    dragan = config.resolve(f"dragan-{name}")
    assert dragan.loss.name == "dragan"
    assert dragan.loss.params == {
        "penalty": ["dragan"],
        "dragan_weight": 10.0,
        "dragan_perturb": 0.5,
    }
    assert dragan.optim.n_critic == 1 and dragan.model.params == cfg.model.params


PAPER_TOY_PRESETS = [
    "wgan-gp-8gaussians",
    "wgan-gp-25gaussians",
    "dragan-8gaussians",
    "dragan-25gaussians",
]


@pytest.mark.parametrize("name", PAPER_TOY_PRESETS)
def test_each_paper_toy_preset_trains_a_few_steps_from_the_cli(name: str, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as done:
        main(["train", name, "--runs-dir", str(tmp_path), "--name", "p", *QUICK])
        raise SystemExit(0)
    assert done.value.code == 0
    records = [r for r in RunDir(tmp_path / "p").read_metrics() if r["kind"] == "train"]
    assert [r["step"] for r in records] == [1, 2, 3]
    penalty = "gp" if name.startswith("wgan-gp") else "dragan"
    assert all(np.isfinite(r[penalty]) and np.isfinite(r["d_loss"]) for r in records)


def test_dragan_toy_presets_zero_centre_the_penalty_and_the_paper_presets_do_not() -> None:
    """The PacGAN-protocol DRAGAN presets pull the critic's slope to 0 (k = 1 blurs the ring);
    the presets of the paper's own setting keep its k = 1."""
    from ganforge.losses import build_loss

    for dataset in ("ring", "grid"):
        cfg = config.resolve(f"dragan-{dataset}")
        (penalty,) = build_loss(cfg.loss.name, cfg.loss.params).penalties
        assert (penalty.name, penalty.center, penalty.weight) == ("dragan", 0.0, 10.0)
    for name in ("dragan-8gaussians", "dragan-25gaussians"):
        cfg = config.resolve(name)
        (penalty,) = build_loss(cfg.loss.name, cfg.loss.params).penalties
        assert (penalty.center, penalty.perturb) == (1.0, 0.5)


@pytest.mark.parametrize("dataset", ["ring", "grid"])
def test_the_pacgan4_presets_carry_the_released_toy_settings_and_train(
    dataset: str, tmp_path: Path
) -> None:
    """PacGAN's released 2D-ring/2D-grid code: packs of 4, maxout critic, 400,000 steps."""
    cfg = config.resolve(f"pacgan4-{dataset}")
    assert (cfg.data.name, cfg.loss.name, cfg.loss.params["penalty"]) == (
        dataset,
        "non-saturating",
        [],
    )
    model = cfg.model.params
    assert (model["pack"], model["d_maxout"], model["g_norm"]) == (4, 5, "batch")
    assert (cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.betas) == (1e-4, 1e-4, (0.8, 0.999))
    assert (cfg.train.steps, cfg.train.batch_size // model["pack"]) == (400_000, 100)
    assert cfg.optim.lr_schedule == "constant" and cfg.train.ema is None
    with pytest.raises(SystemExit) as done:
        main(["train", f"pacgan4-{dataset}", "--runs-dir", str(tmp_path), "--name", "p", *QUICK])
        raise SystemExit(0)
    assert done.value.code == 0
    records = [r for r in RunDir(tmp_path / "p").read_metrics() if r["kind"] == "train"]
    assert [r["step"] for r in records] == [1, 2, 3]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in records)
