"""The full-size (256x256) presets: they build the official models, and run one step (slow)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from ganforge import api, config
from ganforge.data import build_dataset
from ganforge.registry import MODELS, RECIPES

FAST = ["train.threads=2", "train.progress=false", "data.progress=false"]


def noise_image(path: Path, size: tuple[int, int], seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (size[1], size[0], 3), generator=gen, dtype=torch.uint8)
    Image.fromarray(pixels.numpy()).save(path)


@pytest.fixture(scope="module")
def facades(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official facades layout: train/ and test/ with 512x256 photo|labels images."""
    root = tmp_path_factory.mktemp("facades")
    for split, n in (("train", 2), ("test", 1)):
        for i in range(n):
            noise_image(root / split / f"{i}.jpg", (512, 256), hash((split, i)) % 1000)
    return root


@pytest.fixture(scope="module")
def horse2zebra(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official horse2zebra layout: trainA, trainB, testA, testB."""
    root = tmp_path_factory.mktemp("horse2zebra")
    for folder in ("trainA", "trainB", "testA", "testB"):
        noise_image(root / folder / "0.jpg", (256, 256), len(folder))
    return root


def recipe_for(preset: str, root: Path) -> object:
    cfg = config.resolve(preset, [f"data.path={root}", *FAST])
    data = build_dataset(cfg.data.name, cfg.data.params)
    recipe_name = MODELS.entry(cfg.model.name).meta["recipe"]
    return RECIPES.get(recipe_name)(cfg, data.info, torch.device("cpu"))


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_pix2pix_facades_builds_the_official_models(facades: Path) -> None:
    recipe = recipe_for("pix2pix-facades", facades)
    assert (count(recipe.g), count(recipe.d)) == (54_413_955, 2_768_705)  # type: ignore[attr-defined]
    assert recipe.cfg.train.batch_size == 1 and recipe.cfg.train.epochs == 200  # type: ignore[attr-defined]


def test_cyclegan_horse2zebra_builds_the_official_models(horse2zebra: Path) -> None:
    recipe = recipe_for("cyclegan-horse2zebra", horse2zebra)
    assert count(recipe.g_ab) == count(recipe.g_ba) == 11_378_179  # type: ignore[attr-defined]
    assert count(recipe.d_a) == count(recipe.d_b) == 2_764_737  # type: ignore[attr-defined]
    assert recipe.pool_a.size == 50  # type: ignore[attr-defined]


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["pix2pix-facades", "cyclegan-horse2zebra"])
def test_full_size_preset_runs_one_step(
    preset: str, facades: Path, horse2zebra: Path, tmp_path: Path
) -> None:
    root = facades if preset.startswith("pix2pix") else horse2zebra
    sets = [f"data.path={root}", "train.epochs=null", "train.steps=1", "train.grid_size=1", *FAST]
    result = api.train(preset, sets, runs_root=tmp_path)
    assert result.status == "completed" and result.step == 1
    assert (result.run.samples / "step-0000001.png").is_file()
    assert result.final_metrics  # held-out scores were computed on the test split
