"""The progan-faces-tutorial preset: the Keras ProGAN face tutorial's schedule, phase by phase."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from ganforge import config
from ganforge.train import with_defaults
from ganforge.train.recipes.progressive import ProgressiveRecipe
from ganforge.train.schedules import growth_phases

from ..conftest import run_cli

# The tutorial: n_batch and n_epochs per resolution from 4x4 to 128x128, 50,000 faces, and
# train(..., n_epochs, n_epochs, n_batch): each fade-in and each stabilising phase runs
# int(50000 / n_batch) * n_epochs steps (its train_epochs), the 4x4 model only stabilises.
TUTORIAL_BATCH = [16, 16, 16, 8, 4, 4]
TUTORIAL_EPOCHS = [5, 8, 8, 10, 10, 10]
FACES = 50_000
RESOLUTIONS = [4, 8, 16, 32, 64, 128]


def tutorial_phase_steps(batch: int, epochs: int) -> int:
    """Steps of one tutorial phase: batches per epoch (rounded down) times epochs."""
    return int(FACES / batch) * epochs


def test_the_preset_validates_and_gives_the_tutorials_phases() -> None:
    cfg = with_defaults(config.resolve("progan-faces-tutorial", []))
    assert cfg.model.name == "progan" and cfg.data.params["size"] == 128
    assert cfg.model.params["z_dim"] == 100 and cfg.train.batch_size == 16
    schedule = ProgressiveRecipe.make_schedule(**cfg.schedule)
    phases = growth_phases(schedule, RESOLUTIONS, 1, cfg.train.batch_size, FACES)
    expected = [("004x004-tuned", tutorial_phase_steps(16, 5), 16)]
    for side, batch, epochs in zip(RESOLUTIONS[1:], TUTORIAL_BATCH[1:], TUTORIAL_EPOCHS[1:]):
        steps = tutorial_phase_steps(batch, epochs)
        expected += [(f"{side:03d}x{side:03d}-{kind}", steps, batch) for kind in ("faded", "tuned")]
    assert [(p.name, p.steps, p.batch_size) for p in phases] == expected
    # by hand: 5 x 3125; 8 x 3125 twice at 8 and at 16; 10 x 6250, 10 x 12500 twice each after
    assert [p.steps for p in phases[:3]] == [15_625, 25_000, 25_000]
    assert sum(p.steps for p in phases) == 740_625


def face_like_npz(path: Path, n: int, side: int) -> Path:
    """Cartoon faces: a skin-coloured ellipse with two dark eyes and a red mouth on a plain
    background, each jittered; enough structure for a run to have something to learn."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:side, 0:side] / (side - 1)
    images = np.zeros((n, side, side, 3), np.uint8)
    for i in range(n):
        cx, cy = 0.5 + rng.normal(0, 0.03, 2)
        rx, ry = rng.uniform(0.25, 0.35), rng.uniform(0.35, 0.45)
        face = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1
        image = np.where(face[..., None], rng.integers(120, 256, 3), rng.integers(0, 256, 3))
        for ex in (cx - 0.4 * rx, cx + 0.4 * rx):
            image[((xx - ex) / 0.06) ** 2 + ((yy - cy + 0.25 * ry) / 0.05) ** 2 < 1] = 20
        image[(np.abs(yy - cy - 0.45 * ry) < 0.04) & (np.abs(xx - cx) < 0.4 * rx)] = (150, 30, 30)
        images[i] = image
    np.savez(path, images=images)
    return path


def test_a_tiny_run_of_the_preset_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """16 faces at 8x8: 5 epochs at 4x4 (5 steps of 16), then 8 + 8 epochs at 8x8 (8 + 8 steps)."""
    faces = face_like_npz(tmp_path / "faces.npz", 16, 8)
    code, out, err = run_cli(
        capsys,
        "train",
        "progan-faces-tutorial",
        "--runs-dir",
        str(tmp_path),
        "--name",
        "tiny",
        "--quiet",
        "--set",
        f"data.path={faces}",
        "--set",
        "data.size=8",
        "--set",
        "train.threads=1",
    )
    assert code == 0, err
    assert "completed at step 21/21" in out
    run = tmp_path / "tiny"
    phases = ["004x004-tuned", "008x008-faded", "008x008-tuned"]
    assert all((run / "samples" / f"{p}.png").is_file() for p in phases)
    assert all((run / "checkpoints" / f"{p}.pt").is_file() for p in phases)
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["schedule"]["batch_sizes"] == TUTORIAL_BATCH
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    values = [v for record in logged for v in record.values() if isinstance(v, float)]
    assert values and all(np.isfinite(values))
