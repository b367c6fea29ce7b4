"""Progressive recipe through the engine: snapshots per phase, exact mid-phase resume, presets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge import config
from ganforge.cli import main
from ganforge.data import Dataset, build_dataset
from ganforge.errors import GanforgeError
from ganforge.runs import load
from ganforge.train import train, with_defaults
from ganforge.train.engine import Engine
from ganforge.train.recipes.progressive import ProgressiveRecipe

TINY = [
    "data.size=16",
    "data.limit=32",
    "model.z_dim=8",
    "model.g_width=4",
    "model.d_width=4",
    "model.width_max=8",
    "schedule.phase_images=8",
    "schedule.batch_sizes=[4]",
    "train.batch_size=4",
    "train.ema=0.9",
    "train.sample_every=0",
    "train.checkpoint_every=0",
    "train.log_every=1",
    "train.grid_size=4",
    "train.progress=false",
]
# five phases of 2 steps: 4x4 tuned, 8x8 faded and tuned, 16x16 faded and tuned
FAMILIES = {
    "progan": ["model.name=progan", "loss.name=wgan-gp", "loss.penalty=[gp,drift]", *TINY],
    "stylegan": ["model.name=stylegan", "model.w_dim=8", "loss.penalty=r1", *TINY],
}
STOP = 2 + 2 + 2 + 1  # one step into the 16x16 fade-in
Seen = list[tuple[int, int, float]]


def run(
    overrides: list[str], root: Path, name: str, stop_at: int | None = None, resume: bool = False
):
    """Train to the end (or stop after ``stop_at`` steps), recording each step's growth state."""
    seen: Seen = []

    def record(engine: Engine, step: int, logs: dict[str, float]) -> None:
        g = engine.recipe.g
        seen.append((step, g.current_level, g.current_alpha))
        if stop_at is not None and step == stop_at:
            engine.request_stop("test")

    if resume:
        return train(resume=root / name, runs_root=root, callbacks=[record]), seen
    cfg = config.resolve(None, [*overrides, f"name={name}"])
    return train(cfg, runs_root=root, callbacks=[record]), seen


FullRun = tuple[str, Path, Any, Seen]


@pytest.fixture(scope="module")
def full_runs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], FullRun]:
    """One uninterrupted tiny run per family, made on first use and shared by the tests."""
    cache: dict[str, FullRun] = {}

    def get(family: str) -> FullRun:
        if family not in cache:
            root = tmp_path_factory.mktemp(family)
            result, seen = run(FAMILIES[family], root, "full")
            cache[family] = (family, root, result, seen)
        return cache[family]

    return get


BOTH = pytest.mark.parametrize("family", sorted(FAMILIES))


def weights(path: Path) -> dict[str, torch.Tensor]:
    state = torch.load(path, weights_only=False)
    flat = {f"ema.{k}": v for k, v in state["ema"]["g"].items()}
    for net, sd in state["recipe"]["models"].items():
        flat.update({f"{net}.{k}": v for k, v in sd.items()})
    return flat


@BOTH
def test_snapshots_are_named_for_resolution_and_phase(full_runs, family: str) -> None:
    _, _, result, seen = full_runs(family)
    names = sorted(p.stem for p in result.run.samples.glob("0*.png"))
    expected = ["004x004-tuned", "008x008-faded", "008x008-tuned", "016x016-faded"]
    assert names == [*expected, "016x016-tuned"]
    assert sorted(p.stem for p in result.run.checkpoints.glob("0*.pt")) == names
    # alpha rises linearly from 0 over each fade-in and is 1 when stabilising
    assert [a for _, _, a in seen] == [1, 1, 0, 0.5, 1, 1, 0, 0.5, 1, 1]
    assert [level for _, level, _ in seen] == [0] * 2 + [1] * 4 + [2] * 4
    snap = load(result.run.checkpoints / "008x008-faded.pt")
    assert snap.g.current_level == 1 and snap.g(snap.g.latent(2)).shape == (2, 1, 16, 16)


# StyleGAN carries the most state (w average, fixed noise, mixing draws); ProGAN's twin is slow
@pytest.mark.parametrize("family", ["stylegan", pytest.param("progan", marks=pytest.mark.slow)])
def test_checkpoint_saved_mid_fade_in_resumes_at_the_same_level_and_alpha(
    full_runs, family: str
) -> None:
    _, root, full, seen_full = full_runs(family)
    part, seen_part = run(FAMILIES[family], root, "part", stop_at=STOP)
    assert part.status == "interrupted" and part.step == STOP
    saved = torch.load(part.checkpoint, weights_only=False)["recipe"]["models"]
    assert int(saved["g"]["level"]) == 2 == int(saved["d"]["level"])
    assert float(saved["g"]["alpha"]) == float(saved["d"]["alpha"]) == 0.0
    assert seen_part == seen_full[:STOP]
    resumed, seen_resumed = run([], root, "part", resume=True)
    assert resumed.status == "completed" and resumed.step == full.step
    # the steps after resuming ran at the same level and alpha as the uninterrupted ones
    assert seen_resumed[0] == (STOP + 1, 2, 0.5)
    assert seen_part + seen_resumed == seen_full
    final_full, final_resumed = weights(full.checkpoint), weights(resumed.checkpoint)
    assert final_full.keys() == final_resumed.keys()
    for key, value in final_full.items():
        torch.testing.assert_close(final_resumed[key], value, rtol=0, atol=0, msg=key)


@BOTH
def test_stylegan_logs_r1_and_samples_with_truncation(full_runs, family: str) -> None:
    _, _, result, _ = full_runs(family)
    model = load(result.run.path)
    if family != "stylegan":
        with pytest.raises(GanforgeError, match="no truncation trick"):
            model.sample(2, truncation=0.7)
        return
    assert any("r1" in r for r in result.run.read_metrics())
    torch.testing.assert_close(model.sample(3, truncation=1.0), model.sample(3))
    assert not torch.allclose(model.sample(3, truncation=0.5), model.sample(3))


FULL_SIZE = ["progan-faces128", "stylegan-faces128", "progan-faces1024", "stylegan-faces1024"]


@pytest.fixture(scope="module")
def face_npz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faces") / "faces.npz"
    rng = np.random.default_rng(0)
    np.savez(path, images=rng.integers(0, 256, (8, 3, 16, 16), dtype=np.uint8))
    return path


def full_size_recipe(preset: str, face_npz: Path) -> tuple[ProgressiveRecipe, Dataset, int]:
    """The preset's recipe on a tiny random .npz (resized to the preset's size), batch 2."""
    torch.manual_seed(0)
    sets = [f"data.path={face_npz}", "schedule.batch_sizes=[2]"]
    cfg = with_defaults(config.resolve(preset, sets))
    data = build_dataset(cfg.data.name, cfg.data.params)
    side = int(preset.split("faces")[1])
    assert data.info.size == (side, side)
    return ProgressiveRecipe(cfg, data.info, torch.device("cpu")), data, side


def step_at(recipe: ProgressiveRecipe, data: Dataset, phase: int) -> None:
    """One training step in ``phase`` (half-way through it); all logged values finite."""
    recipe.set_progress(phase, 0.5, 0.5)
    logs = recipe.step([data.get(torch.arange(2))])
    assert logs and all(np.isfinite(float(v)) for v in logs.values())


@pytest.mark.parametrize("preset", FULL_SIZE)
def test_full_size_presets_build_and_run_a_step(preset: str, face_npz: Path) -> None:
    recipe, data, side = full_size_recipe(preset, face_npz)
    assert recipe.resolutions[-1] == side
    phases = recipe.phases(1)
    assert phases[-1].name == f"{side:03d}x{side:03d}-tuned"
    assert len(phases) == 2 * len(recipe.resolutions) - 1
    step_at(recipe, data, 0)
    assert recipe.g.current_size == 4


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["progan-faces128", "stylegan-faces128"])
def test_full_size_presets_run_a_step_at_full_resolution(preset: str, face_npz: Path) -> None:
    recipe, data, side = full_size_recipe(preset, face_npz)
    step_at(recipe, data, len(recipe.phases(1)) - 2)  # the last fade-in: both paths active
    assert recipe.g.current_size == side and recipe.d.current_alpha == 0.5


@BOTH
def test_style_mix_and_truncated_sampling_from_the_cli(
    full_runs, family: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, result, _ = full_runs(family)
    ckpt = result.run.checkpoints / "016x016-tuned.pt"
    out = tmp_path / "figures"
    if family != "stylegan":
        with pytest.raises(SystemExit) as done:
            main(["style-mix", str(ckpt), "--out", str(out)])
        assert done.value.code == 2 and "need a stylegan checkpoint" in capsys.readouterr().err
        return
    main(["style-mix", str(ckpt), "--out", str(out), "--columns", "3", "--rows", "1"])
    written = [Path(p) for p in capsys.readouterr().out.split()]
    assert [p.name for p in written] == [
        "style-mixing-016x016-tuned.png",
        "truncation-016x016-tuned.png",
        "noise-016x016-tuned.png",
    ]
    cell = 16 * 4 + 2 + 12  # 16x16 images shown 4x, padding, caption
    with Image.open(written[0]) as grid:  # 1 + 3 bands x 1 row, 1 + 3 columns
        assert grid.size == (4 * (16 * 4 + 2) + 2, 4 * cell + 2)
    with Image.open(written[1]) as grid:  # 4 latents x 6 psi values
        assert grid.size == (6 * (16 * 4 + 2) + 2, 4 * cell + 2)
    with Image.open(written[2]) as grid:  # 4 latents x 8 panels
        assert grid.size == (8 * (16 * 4 + 2) + 2, 4 * cell + 2)
    main(["sample", str(ckpt), "--n", "4", "--truncation", "0.7", "--out", str(tmp_path / "s.png")])
    assert (tmp_path / "s.png").is_file()
