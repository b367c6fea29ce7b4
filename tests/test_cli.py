"""The command line: one-line errors with exit 2, train prints where everything went, sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from .conftest import run_cli
from .train.test_engine import TINY_DCGAN


def test_user_errors_are_one_line_with_exit_code_two(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "train", "no-such-preset")
    assert code == 2 and err.strip().startswith("error: unknown preset 'no-such-preset'")
    code, _, err = run_cli(capsys, "train", "--set", "optim.lr_g")
    assert code == 2 and "expected key=value" in err
    code, _, err = run_cli(capsys, "sample", "nowhere")
    assert code == 2 and "no run at 'nowhere'" in err and "Traceback" not in err


def test_train_then_sample_with_interpolation(tmp_path: Path, capsys) -> None:
    sets = [a for o in TINY_DCGAN for a in ("--set", o)]
    code, out, _ = run_cli(
        capsys,
        "train",
        "--runs-dir",
        str(tmp_path),
        "--name",
        "r",
        "--quiet",
        *sets,
        "--set",
        "model.conditional=true",
    )
    assert code == 0
    run = tmp_path / "r"
    for label in (
        "run directory:",
        "samples:",
        "checkpoints:",
        "metrics:",
        "loss plot:",
        "report:",
    ):
        assert label in out
    code, out, _ = run_cli(
        capsys,
        "sample",
        str(run),
        "--n",
        "20",
        "--seed",
        "3",
        "--out",
        str(tmp_path / "g.png"),
        "--interpolate",
        "--steps",
        "6",
    )
    assert code == 0
    # 16 px images are shown 4x enlarged: 64 px cells plus 2 px padding
    assert Image.open(tmp_path / "g.png").size == (5 * 66 + 2, 4 * 66 + 2)
    assert Image.open(tmp_path / "g-interp.png").size == (6 * 66 + 2, 66 + 2)
    code, _, _ = run_cli(
        capsys,
        "sample",
        str(run / "checkpoints" / "step-0000008.pt"),
        "--n",
        "4",
        "--out",
        str(tmp_path / "h.png"),
    )
    assert code == 0 and (tmp_path / "h.png").is_file()


def test_resume_refuses_to_change_the_model(tmp_path: Path, capsys) -> None:
    code, _, err = run_cli(capsys, "train", "--resume", str(tmp_path), "--set", "model.z_dim=3")
    assert code == 2 and "--resume can only change train, eval settings" in err


def test_listings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "losses")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == [
        "began",
        "cyclegan",
        "dragan",
        "hinge",
        "least-squares",
        "minimax",
        "non-saturating",
        "pix2pix",
        "wgan",
        "wgan-gp",
    ]


def test_parameters_of_one_entry_come_from_its_signature(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(capsys, "datasets", "ring")
    assert code == 0
    rows = {line.split()[0]: line.split()[-1] for line in out.splitlines()[2:]}
    assert rows == {
        "modes": "8",
        "radius": "1.0",
        "std": "0.01",
        "n": "100000",
        "seed": "0",
        "divide_by": "1.0",
    }
    code, out, _ = run_cli(capsys, "models", "dcgan")
    assert "one of 'batch', 'instance', 'layer', 'none', 'spectral'" in out
