"""Every preset resolves; every loss trains on both toy sets from the CLI; MNIST preset runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganforge import config
from ganforge.cli import main
from ganforge.presets import toy_losses
from ganforge.registry import PRESETS
from ganforge.runs import RunDir

from .conftest import MNIST_DIR, require

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
                f"data.root={MNIST_DIR}",
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
