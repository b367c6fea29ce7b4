"""train.augment in training: every recipe with a discriminator, exact resume, several
processes, and no augmentation outside training."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ganforge.api as gf
from ganforge import config
from ganforge.augment import Augment
from ganforge.checkpoints import load_checkpoint
from ganforge.registry import PRESETS

from ..train.test_engine import TINY_DCGAN

QUICK = [
    "train.steps=3",
    "train.log_every=1",
    "train.sample_every=0",
    "train.checkpoint_every=0",
    "train.progress=false",
    "train.threads=1",
    "eval.metrics=[]",
    "train.ada_interval=1",
]
GROW = ["schedule.phase_images=64", "schedule.final_images=64"]
# every preset with a discriminator that trains offline (the others only resolve: below)
OFFLINE = {
    "dcgan-digits": ["train.batch_size=8"],
    "cgan-digits": ["train.batch_size=8"],
    "acgan-digits": ["train.batch_size=8"],
    "infogan-digits": ["train.batch_size=8"],
    "sgan-digits": ["train.batch_size=8"],
    "biggan-digits": ["train.batch_size=8"],
    "progan-digits": GROW,
    "stylegan-digits": GROW,
}


def _augmenting_presets() -> list[str]:
    names = []
    for name in PRESETS.names():
        cfg = config.resolve(name)
        try:
            config.resolve(name, ["train.augment=ada"])
        except Exception:
            continue
        assert cfg.train.augment == "none"
        names.append(name)
    return names


def test_every_image_preset_with_a_discriminator_accepts_augmentation() -> None:
    names = _augmenting_presets()
    assert set(OFFLINE) <= set(names)
    assert not {n for n in names if "pix2pix" in n or "cyclegan" in n or "gaussians" in n}
    # the rest need data that is not bundled (MNIST files, faces, CIFAR-10, ImageNet)
    assert {n for n in names if n not in OFFLINE} == {
        "dcgan-mnist",
        "biggan-cifar10",
        "biggan-imagenet128",
        "progan-faces-tutorial",
        "progan-faces128",
        "progan-faces1024",
        "stylegan-faces128",
        "stylegan-faces1024",
    }


@pytest.mark.parametrize("augment", ["diffaugment", "ada"])
@pytest.mark.parametrize("preset", sorted(OFFLINE))
def test_augmentation_composes_with_every_recipe(
    preset: str, augment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bool, int]] = []
    original = Augment.__call__

    def spy(self: Augment, x: torch.Tensor) -> torch.Tensor:
        calls.append((torch.is_grad_enabled(), len(x)))
        return original(self, x)

    monkeypatch.setattr(Augment, "__call__", spy)
    sets = [*QUICK, *OFFLINE[preset], f"train.augment={augment}"]
    result = gf.train(preset, sets, runs_root=tmp_path, progress=False)
    records = [r for r in result.run.read_metrics() if r["kind"] == "train"]
    steps = len(records)  # 3, or the growth schedule's 2 per phase
    assert [r["step"] for r in records] == list(range(1, steps + 1)) and steps >= 3
    assert len(calls) >= 3 * steps  # real and fake in D's step, fake in G's step, each step
    if augment == "ada":
        assert all(0 <= r["ada_p"] <= 1 and -1 <= r["ada_rt"] <= 1 for r in records)
        state = load_checkpoint(result.run.path / "checkpoints/latest.pt")
        assert state["recipe"]["extra"]["augment"]["steps"] == steps
    else:
        assert not any("ada_p" in r for r in records)


ADA_RUN = [
    *TINY_DCGAN,
    "train.steps=6",
    "train.checkpoint_every=3",
    "train.keep_last=10",
    "train.log_every=1",
    "train.augment=ada",
    "train.ada_target=-0.9",  # r_t above it: p rises from the first adjustment
    "train.ada_interval=2",  # the resume point (step 3) falls inside an interval
    "eval.metrics=[]",
]


def _p_series(run: Path) -> dict[int, float]:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["ada_p"] for r in records if r["kind"] == "train"}


@pytest.fixture(scope="module")
def ada_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny DCGAN run with adaptive ADA and checkpoints at steps 3 and 6."""
    root = tmp_path_factory.mktemp("ada-run")
    return gf.train(None, ADA_RUN, runs_root=root, progress=False).run.path


def test_p_resumes_exactly(ada_run: Path, tmp_path: Path) -> None:
    copy = tmp_path / ada_run.name
    shutil.copytree(ada_run, copy)
    (copy / "checkpoints/step-0000006.pt").unlink()
    shutil.copy(copy / "checkpoints/step-0000003.pt", copy / "checkpoints/latest.pt")
    gf.train(resume=copy, progress=False)
    final = "checkpoints/step-0000006.pt"
    whole, resumed = load_checkpoint(ada_run / final), load_checkpoint(copy / final)
    assert whole["recipe"]["extra"]["augment"]["p"] > 0  # p moved, so the comparison bites
    assert resumed["recipe"]["extra"]["augment"] == whole["recipe"]["extra"]["augment"]
    assert _p_series(copy) == _p_series(ada_run)
    for name, weights in whole["recipe"]["models"]["d"].items():
        assert torch.equal(resumed["recipe"]["models"]["d"][name], weights), name


def test_the_report_plots_p_and_r_t(ada_run: Path) -> None:
    from ganforge.report import LOSS_PANELS, _series

    records = [json.loads(line) for line in (ada_run / "metrics.jsonl").read_text().splitlines()]
    series = _series(records, "train")
    panel = next(keys for title, keys in LOSS_PANELS.items() if "ADA" in title)
    assert set(panel) == {"ada_p", "ada_rt"} <= set(series)
    assert len(series["ada_p"][0]) == 6
    assert (ada_run / "losses.png").stat().st_size > 0
    assert "losses.png" in (ada_run / "report.html").read_text()


def test_sample_and_evaluate_never_augment(
    ada_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("augmented outside training")

    monkeypatch.setattr(Augment, "__call__", refuse)
    monkeypatch.setattr("ganforge.augment.pipeline.ada_augment", refuse)
    monkeypatch.setattr("ganforge.augment.pipeline.diffaugment", refuse)
    images = gf.load(ada_run).sample(8, seed=0)
    assert images.shape == (8, 1, 16, 16)
    gf.sample(ada_run, n=8, out=tmp_path / "grid.png")
    result = gf.evaluate(ada_run, metrics="fid", extractor="pixels", n=64)
    assert result is not None


RANKS = Path(__file__).with_name("ada_ranks.py")


@pytest.mark.slow
def test_every_rank_computes_the_same_p_from_the_summed_statistics() -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    done = subprocess.run(
        [*command, "--nproc_per_node=2", str(RANKS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    by_rank = {row["rank"]: row["p"] for row in rows}
    assert set(by_rank) == {0, 1}
    # rank 0 alone (r_t = 1 > 0.6) would raise p, rank 1 alone (r_t = -1) lower it; together
    # r_t = (4 - 12) / 16 < 0.6: both lower p by the images of both ranks, every interval
    expected = [0.5 - k * 2 * (100 + 300) / 500_000 for k in (1, 2)]
    assert by_rank[0] == by_rank[1] == pytest.approx(expected, abs=0)


@pytest.mark.slow
def test_ada_trains_under_two_processes(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    sets = [*QUICK, "train.batch_size=8", "train.augment=ada", "train.checkpoint_every=3"]
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc_per_node=2", "-m", "ganforge", "train", "dcgan-digits"]
    command += ["--runs-dir", str(tmp_path), "--quiet"]
    command += [a for s in sets for a in ("--set", s)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (run,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    state = load_checkpoint(run / "checkpoints/latest.pt")["recipe"]["extra"]["augment"]
    assert state["steps"] == 3 and 0 <= state["p"] <= 1
