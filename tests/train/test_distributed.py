"""Data-parallel training under torchrun on the CPU (gloo, 2 processes).

The runs are an MLP GAN on the toy ring with the non-saturating loss and the R1 gradient
penalty (double backward under DDP) and no batch norm: with the global batch's latents drawn
from one shared stream, 2 processes compute the same updates as 1 process up to the order of
floating-point sums, so their loss trajectories and weights agree to a tight tolerance.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ganforge.checkpoints import load_checkpoint
from ganforge.train import train

STEPS = 8
TOY_R1 = [
    "data.name=ring",
    "data.n=512",
    "model.name=mlp",
    "model.g_width=16",
    "model.d_width=16",
    "loss.name=non-saturating",
    "loss.penalty=r1",
    "train.batch_size=64",
    f"train.steps={STEPS}",
    "train.checkpoint_every=4",
    "train.keep_last=10",
    "train.sample_every=4",
    "train.log_every=1",
    "train.ema=0.9",
    "eval.metrics=[]",
]
# relative tolerance of the 2-process trajectory against the 1-process one (float32 sums taken
# in a different order: measured differences are ~2e-7; with D's gradients not all-reduced the
# 8 steps differ by 4e-3)
TOLERANCE = 1e-4


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def _sets(values: list[str]) -> list[str]:
    return [a for v in values for a in ("--set", v)]


def _torchrun(n: int, args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    """``torchrun --standalone --nproc_per_node n -m ganforge ARGS``."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += [f"--nproc_per_node={n}", "-m", "ganforge", *args]
    return subprocess.run(
        command, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def _ganforge(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ganforge", *args]
    return subprocess.run(
        command, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def _only_run(root: Path) -> Path:
    runs = [p for p in root.iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def _losses(run: Path) -> list[dict[str, float]]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    return [r for r in records if r["kind"] == "train"]


def _weights(checkpoint: Path) -> torch.Tensor:
    models = load_checkpoint(checkpoint)["recipe"]["models"]
    return torch.cat([t.flatten().double() for m in models.values() for t in m.values()])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same config trained by 2 processes (``ganforge train --gpus 2``) and by 1 process
    under torchrun (``torchrun -m ganforge``)."""
    out = {}
    for n in (2, 1):
        root = tmp_path_factory.mktemp(f"procs{n}")
        args = ["train", "--runs-dir", str(root), "--quiet", *_sets(TOY_R1)]
        done = _ganforge([*args, "--gpus", "2"]) if n == 2 else _torchrun(1, args)
        assert done.returncode == 0, done.stderr[-3000:]
        out[f"root{n}"] = root
        out[f"run{n}"] = _only_run(root)
        out[f"stdout{n}"] = done.stdout  # type: ignore[assignment]
    return out


def test_two_processes_follow_the_one_process_trajectory(runs: dict[str, Path]) -> None:
    one, two = _losses(runs["run1"]), _losses(runs["run2"])
    assert [r["step"] for r in one] == [r["step"] for r in two] == list(range(1, STEPS + 1))
    for a, b in zip(one, two):
        for key in ("d_loss", "g_loss", "r1"):
            assert b[key] == pytest.approx(a[key], rel=TOLERANCE, abs=1e-6), (a["step"], key)
    final = f"checkpoints/step-{STEPS:07d}.pt"
    w1, w2 = _weights(runs["run1"] / final), _weights(runs["run2"] / final)
    assert torch.allclose(w1, w2, rtol=TOLERANCE, atol=1e-6)
    assert not torch.equal(w1, _weights(runs["run1"] / "checkpoints/step-0000004.pt"))  # trained


def test_only_rank_zero_writes(runs: dict[str, Path]) -> None:
    run = runs["run2"]  # one run directory (a second rank would have made a "-2" one)
    names = {p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()}
    checkpoints = {f"checkpoints/step-{s:07d}.pt" for s in (4, 8)} | {"checkpoints/latest.pt"}
    samples = {f"samples/step-{s:07d}.png" for s in (4, 8)}
    others = {"config.yaml", "env.json", "log.txt", "metrics.jsonl", "report.html"}
    assert names - {"losses.png"} == checkpoints | samples | others
    assert len(_losses(run)) == STEPS  # one line per step, not one per rank
    assert json.loads((run / "env.json").read_text())["processes"] == 2
    assert runs["stdout2"].count("run directory:") == 1  # type: ignore[attr-defined]
    state = load_checkpoint(run / "checkpoints/latest.pt")
    assert len(state["rank_rng"]) == 2  # both ranks' random states, for an exact resume
    keys = [k for m in state["recipe"]["models"].values() for k in m]
    assert keys and not [k for k in keys if k.startswith("module.")]  # plain modules saved


def _copy_until(run: Path, step: int, dest: Path) -> Path:
    """A copy of ``run`` as it was after ``step``: later checkpoints and log lines removed."""
    copy = dest / run.name
    shutil.copytree(run, copy)
    for path in (copy / "checkpoints").glob("step-*.pt"):
        if int(path.stem.split("-")[1]) > step:
            path.unlink()
    shutil.copy(copy / f"checkpoints/step-{step:07d}.pt", copy / "checkpoints/latest.pt")
    return copy


def test_resume_two_processes_on_one_continues_the_global_schedule(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    copy = _copy_until(runs["run2"], 4, tmp_path)
    result = train(resume=copy, overrides=["train.progress=false"])
    assert (result.step, result.total_steps) == (STEPS, STEPS)
    resumed = load_checkpoint(copy / f"checkpoints/step-{STEPS:07d}.pt")
    whole = load_checkpoint(runs["run2"] / f"checkpoints/step-{STEPS:07d}.pt")
    assert resumed["stream"] == whole["stream"]  # same data-order position, same global batch
    assert resumed["stream"]["batch_size"] == 64
    assert [r["step"] for r in _losses(copy)] == list(range(1, STEPS + 1))


@pytest.mark.slow
def test_resume_one_process_on_two_continues_exactly(runs: dict[str, Path], tmp_path: Path) -> None:
    copy = _copy_until(runs["run1"], 4, tmp_path)
    done = _torchrun(2, ["train", "--resume", str(copy), "--quiet"])
    assert done.returncode == 0, done.stderr[-3000:]
    final = f"checkpoints/step-{STEPS:07d}.pt"
    # the shared latent stream and the global data order continue where the 1 process was
    w_resumed, w_two = _weights(copy / final), _weights(runs["run2"] / final)
    assert torch.allclose(w_resumed, w_two, rtol=TOLERANCE, atol=1e-6)
    stream = load_checkpoint(runs["run1"] / final)["stream"]
    assert load_checkpoint(copy / final)["stream"] == stream


QUICK = ["train.steps=3", "train.sample_every=0", "train.checkpoint_every=0", "eval.metrics=[]"]
# 2 steps of batch 32 per phase (the 32x32 phases: 4 steps of batch 16), 7 phases
GROW = ["schedule.phase_images=64", "schedule.final_images=64", "train.threads=1"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("preset", "sets"),
    [
        ("progan-digits", GROW),
        ("stylegan-digits", GROW),
        ("pix2pix-edges", ["train.batch_size=4"]),
        ("cyclegan-strokes", ["train.batch_size=2"]),
        ("cgan-digits", ["train.batch_size=8"]),
        ("acgan-digits", ["train.batch_size=8"]),
        ("infogan-digits", ["train.batch_size=8"]),
        ("sgan-digits", ["train.batch_size=8"]),
        ("sgan-digits", ["train.batch_size=8", "schedule.g_objective=feature-matching"]),
    ],
)
def test_every_recipe_trains_under_two_processes(preset: str, sets: list, tmp_path: Path) -> None:
    args = ["train", preset, "--runs-dir", str(tmp_path), "--quiet", *_sets(QUICK + sets)]
    done = _torchrun(2, args, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    state = load_checkpoint(_only_run(tmp_path) / "checkpoints/latest.pt")
    assert state["step"] == state["total_steps"] > 0
    keys = [k for m in state["recipe"]["models"].values() for k in m]
    assert not [k for k in keys if k.startswith("module.")]


def _rank_pids(launcher: int) -> dict[int, int]:
    """{rank: pid} of the worker processes started (at any depth) under ``launcher``."""
    found = {}
    for status in Path("/proc").glob("[0-9]*/environ"):
        try:
            env = dict(
                item.split("=", 1)
                for item in status.read_bytes().decode(errors="replace").split("\0")
                if "=" in item
            )
        except OSError:
            continue
        if env.get("TORCHELASTIC_RUN_ID") and env.get("GANFORGE_TEST_JOB") == str(launcher):
            found[int(env["RANK"])] = int(status.parent.name)
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the ranks' pids in /proc")
def test_sigterm_to_one_rank_stops_all_with_a_checkpoint(tmp_path: Path) -> None:
    sets = [s for s in TOY_R1 if not s.startswith("train.steps")] + ["train.steps=100000"]
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc_per_node=2", "-m", "ganforge", "train", "--runs-dir", str(tmp_path)]
    env = {**_env(), "GANFORGE_TEST_JOB": "1"}
    job = subprocess.Popen(
        [*command, "--quiet", *_sets(sets)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:  # wait until training runs (a log line exists)
            metrics = list(tmp_path.glob("*/metrics.jsonl"))
            if metrics and metrics[0].read_text().count("\n") >= 2:
                break
            assert job.poll() is None, job.communicate()[1][-3000:]
            time.sleep(0.5)
        pids = _rank_pids(1)
        assert set(pids) == {0, 1}
        os.kill(pids[1], signal.SIGTERM)
        job.communicate(timeout=120)
    finally:
        if job.poll() is None:
            job.kill()
    run = _only_run(tmp_path)
    state = load_checkpoint(run / "checkpoints/latest.pt")
    assert 1 <= state["step"] < 100000
    last = _losses(run)[-1]["step"]
    assert state["step"] == last  # the checkpoint is at the step where both ranks stopped
    assert "stopped (SIGTERM)" in (run / "log.txt").read_text()
    assert job.returncode != 0  # torchrun reports the interrupted workers (exit 143)


def test_evaluation_shares_gather_to_the_one_process_samples() -> None:
    """Each rank generates its share of eval.n_samples; gathered, they are the samples one
    process draws (odd count, 3 ranks, class-conditional: labels follow the shares)."""
    from ganforge import config
    from ganforge.data import build_dataset
    from ganforge.data.stream import share
    from ganforge.train.recipes.gan import GANRecipe

    cfg = config.resolve(
        None, ["data.size=16", "model.g_width=8", "model.d_width=8", "model.conditional=true"]
    )
    recipe = GANRecipe(cfg, build_dataset(cfg.data.name, cfg.data.params).info, torch.device("cpu"))
    gens = recipe.generators()
    recipe.g.eval()
    whole = recipe.sample(101, gens, seed=5)
    parts = [recipe.sample_share(101, gens, 5, share(101, r, 3)) for r in range(3)]
    assert torch.equal(torch.cat(parts), whole)


def test_forward_of_makes_a_method_the_forward_pass_and_shares_the_parameters() -> None:
    from torch import nn

    from ganforge.train.distributed import ForwardOf

    class TwoHeads(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(2, 3)

        def heads(self, x: torch.Tensor, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
            return self.linear(x) * scale, x.sum(1)

    module = TwoHeads()
    wrapped = ForwardOf(module, "heads")
    x = torch.randn(4, 2)
    score, aux = wrapped(x, scale=2.0)
    assert torch.equal(score, module.linear(x) * 2.0) and torch.equal(aux, x.sum(1))
    mine, theirs = list(wrapped.parameters()), list(module.parameters())
    assert len(mine) == len(theirs) == 2 and all(a is b for a, b in zip(mine, theirs))
    with pytest.raises(TypeError, match="TwoHeads has no method 'synthesize'"):
        ForwardOf(module, "synthesize")


def test_gpus_checks_the_config_before_starting_processes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from ..conftest import run_cli

    code, _, err = run_cli(capsys, "train", "--gpus", "2", "--set", "train.batch_sise=8")
    assert code == 2 and err.count("\n") == 1 and "unknown key 'batch_sise'" in err
    code, _, err = run_cli(capsys, "train", "--gpus", "2", "--resume", str(tmp_path / "none"))
    assert code == 2 and err.startswith("error: no run at")


@pytest.mark.slow
def test_class_head_updates_are_averaged_over_processes(tmp_path: Path) -> None:
    """ACGAN's class terms go through the wrapped discriminator: without batch norm, 2 processes
    follow the 1-process trajectory (a D step through the unwrapped heads drifts from it)."""
    sets = [
        "model.g_norm=layer",
        "model.d_norm=layer",
        "train.batch_size=16",
        "train.steps=6",
        "train.log_every=1",
        "train.sample_every=0",
        "train.checkpoint_every=0",
        "eval.metrics=[]",
    ]
    losses = {}
    for n in (1, 2):
        root = tmp_path / f"procs{n}"
        args = ["train", "acgan-digits", "--runs-dir", str(root), "--quiet", *_sets(sets)]
        done = _torchrun(n, args, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        losses[n] = _losses(_only_run(root))
    for a, b in zip(losses[1], losses[2], strict=True):
        for key in ("d_loss", "g_loss", "class_ce"):
            if key in a:
                assert b[key] == pytest.approx(a[key], rel=TOLERANCE, abs=1e-6), (a["step"], key)
