"""The engine: exact resume, atomic checkpoints, clean stops, the non-finite guard, EMA."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ganforge import config
from ganforge.checkpoints import list_checkpoints, load_checkpoint, save_checkpoint
from ganforge.errors import GanforgeError, TrainingError
from ganforge.runs import RunDir, load
from ganforge.train import train
from ganforge.train.ema import EMA
from ganforge.train.recipes.gan import GANRecipe

TINY_DCGAN = [
    "data.size=16",
    "model.g_width=8",
    "model.d_width=8",
    "model.z_dim=16",
    "train.batch_size=16",
    "train.steps=12",
    "train.checkpoint_every=4",
    "train.sample_every=5",
    "train.log_every=3",
    "train.progress=false",
    "train.ema=0.9",
]
TINY_TOY = [
    "data.name=ring",
    "data.n=2000",
    "model.name=mlp",
    "model.g_width=16",
    "model.d_width=16",
    "loss.name=wgan-gp",
    "train.batch_size=32",
    "train.steps=10",
    "train.checkpoint_every=4",
    "train.sample_every=0",
    "train.log_every=5",
    "train.progress=false",
    "train.ema=0.9",
]


def _stop_at(k: int):
    def callback(engine, step, logs) -> None:
        if step == k:
            engine.request_stop("test")

    return callback


def _weights(run: Path, use_ema: bool) -> dict[str, torch.Tensor]:
    return load(run, use_ema=use_ema).g.state_dict()


@pytest.mark.parametrize(
    ("overrides", "k"),
    [(TINY_DCGAN, 6), (TINY_TOY, 3), ([*TINY_TOY, "train.workers=2"], 3)],
    ids=["dcgan", "toy-gp", "toy-gp-dataloader-workers"],
)
def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path: Path, overrides, k) -> None:
    full = train(config.resolve(None, overrides), runs_root=tmp_path / "a")
    stopped = train(
        config.resolve(None, overrides), runs_root=tmp_path / "b", callbacks=[_stop_at(k)]
    )
    assert (stopped.status, stopped.step) == ("interrupted", k)
    resumed = train(resume=stopped.run.path, runs_root=tmp_path / "b")
    assert (resumed.status, resumed.step) == ("completed", full.step)
    for use_ema in (False, True):
        a, b = _weights(full.run.path, use_ema), _weights(resumed.run.path, use_ema)
        assert a.keys() == b.keys()
        assert all(torch.equal(a[n], b[n]) for n in a), f"weights differ (ema={use_ema})"
    steps = [r["step"] for r in RunDir(resumed.run.path).read_metrics() if r["kind"] == "train"]
    assert steps == sorted(set(steps))  # no duplicated log lines after resume


def test_run_directory_has_everything(tmp_path: Path) -> None:
    result = train(config.resolve(None, TINY_DCGAN), runs_root=tmp_path)
    run = result.run
    assert [s for s, _ in list_checkpoints(run.checkpoints)] == [4, 8, 12]
    assert (run.checkpoints / "latest.pt").is_file()
    assert sorted(p.name for p in run.samples.iterdir()) == [
        "step-0000005.png",
        "step-0000010.png",
        "step-0000012.png",
    ]
    for name in (
        "config.yaml",
        "metrics.jsonl",
        "log.txt",
        "env.json",
        "losses.png",
        "report.html",
    ):
        assert (run.path / name).is_file(), name
    saved = config.load(run.config_path)
    assert saved.optim.lr_g == 2e-4 and saved.model.params["z_dim"] == 16  # defaults written out
    assert not list(run.path.rglob("*.tmp"))


def test_keep_last_prunes_old_checkpoints(tmp_path: Path) -> None:
    for step in (1, 2, 3, 4):
        save_checkpoint({"recipe": {}, "step": step}, tmp_path, step, keep_last=2)
    assert [s for s, _ in list_checkpoints(tmp_path)] == [3, 4]
    assert load_checkpoint(tmp_path / "latest.pt")["step"] == 4


def test_loading_a_non_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.pt").write_text("not a checkpoint")
    with pytest.raises(GanforgeError, match="not a readable checkpoint: it is damaged"):
        load_checkpoint(tmp_path / "x.pt")
    with pytest.raises(GanforgeError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def _nan_once_at(monkeypatch: pytest.MonkeyPatch, step_index: int) -> None:
    original = GANRecipe.step
    calls = {"n": 0}

    def step(self, batches):
        logs = original(self, batches)
        calls["n"] += 1
        if calls["n"] == step_index:
            logs["d_loss"] = math.nan
        return logs

    monkeypatch.setattr(GANRecipe, "step", step)


def test_nonfinite_loss_stops_naming_step_and_checkpoint(tmp_path: Path, monkeypatch) -> None:
    _nan_once_at(monkeypatch, 7)
    with pytest.raises(
        TrainingError,
        match=r"non-finite loss \(d_loss=nan\) at step 6; last good "
        r"checkpoint: .*step-0000004.pt",
    ):
        train(config.resolve(None, TINY_DCGAN), runs_root=tmp_path)


def test_nonfinite_loss_can_roll_back_and_continue(tmp_path: Path, monkeypatch) -> None:
    _nan_once_at(monkeypatch, 7)
    result = train(
        config.resolve(None, [*TINY_DCGAN, "train.on_nonfinite=rollback"]), runs_root=tmp_path
    )
    assert (result.status, result.step) == ("completed", 12)
    assert "rolled back to step 4" in result.run.log_path.read_text()


def test_ema_tracks_the_exponential_average() -> None:
    live = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.constant_(live.weight, 0.0)
    ema = EMA({"g": live}, decay=0.5)
    for value in (1.0, 1.0):
        torch.nn.init.constant_(live.weight, value)
        ema.update()
    assert ema.shadow["g"].weight.item() == pytest.approx(0.75)  # 0 -> 0.5 -> 0.75


def test_ema_warm_up_shortens_the_horizon_early_on() -> None:
    ema = EMA({"g": torch.nn.Linear(1, 1)}, decay=0.999, warmup=True)
    assert ema.decay_at(0) == pytest.approx(0.1)
    assert ema.decay_at(90) == pytest.approx(0.91)
    assert ema.decay_at(10**6) == 0.999


def test_sigterm_saves_a_checkpoint_and_exits_cleanly(tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "ganforge.cli",
        "train",
        "--runs-dir",
        str(tmp_path),
        "--name",
        "t",
        "--quiet",
        *[a for o in TINY_DCGAN for a in ("--set", o)],
        "--set",
        "train.steps=100000",
        "--set",
        "train.checkpoint_every=0",
        "--set",
        "train.sample_every=0",
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    metrics = tmp_path / "t" / "metrics.jsonl"
    deadline = time.time() + 120
    while not (metrics.is_file() and metrics.stat().st_size) and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert "resume with: ganforge train --resume" in out
    assert list_checkpoints(tmp_path / "t" / "checkpoints")
