"""Nearest-neighbour figures both ways (generated -> real, real -> generated), in pixel space by
default or in feature space, through the ``nn`` metric."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ganforge.metrics.measures import nn_grid
from ganforge.metrics.measures.nn_grid import like, nearest_pixels, neighbour_figures
from ganforge.metrics.runner.base import Context
from ganforge.metrics.runner.featureset import FeatureSet
from ganforge.registry import METRICS

PAD, CAPTION = 2, 12  # make_grid's padding and caption height
LEVELS = [0, 20, 50, 75, 105, 125, 160, 190, 215, 250]


def cell(png: Path, row: int, col: int, size: int, scale: int) -> np.ndarray:
    """The image in one cell of a labelled grid PNG, as uint8 HWC at its own size."""
    grid = np.asarray(Image.open(png).convert("RGB"))
    side = size * scale
    y, x = PAD + row * (side + PAD + CAPTION), PAD + col * (side + PAD)
    return grid[y : y + side : scale, x : x + side : scale]


def as_hwc(image: torch.Tensor) -> np.ndarray:
    array = image.numpy().transpose(1, 2, 0)
    return np.repeat(array, 3, axis=2) if array.shape[2] == 1 else array


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 30),
    st.integers(1, 6),
    st.integers(1, 9),
    st.integers(0, 2**16),
)
def test_nearest_pixels_equals_brute_force_across_blocks(
    n_queries: int, n_pool: int, k: int, block_rows: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    queries = torch.from_numpy(rng.integers(0, 256, (n_queries, 3, 4, 4), dtype=np.uint8))
    pool = torch.from_numpy(rng.integers(0, 256, (n_pool, 3, 4, 4), dtype=np.uint8))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nn_grid, "BLOCK_ENTRIES", 48 * block_rows)  # blocks of block_rows images
        dist, index = nearest_pixels(queries, pool, k)
    q = queries.reshape(n_queries, -1).double()
    brute = torch.cdist(q, pool.reshape(n_pool, -1).double()).numpy()
    assert dist.shape == index.shape == (n_queries, min(k, n_pool))
    np.testing.assert_allclose(dist, np.sort(brute, axis=1)[:, : min(k, n_pool)], atol=1e-6)
    np.testing.assert_allclose(np.take_along_axis(brute, index, axis=1), dist, atol=1e-6)


def test_like_brings_images_to_another_channel_count_and_size() -> None:
    grey = torch.arange(16, dtype=torch.uint8).reshape(1, 1, 4, 4)
    assert torch.equal(like(grey, (3, 4, 4)), grey.expand(1, 3, 4, 4))
    rgb = torch.tensor([[[[0]], [[30]], [[61]]]], dtype=torch.uint8)
    assert like(rgb, (1, 1, 1)).item() == 30  # the channel mean, rounded
    assert like(torch.zeros(2, 3, 8, 6, dtype=torch.uint8), (3, 4, 4)).shape == (2, 3, 4, 4)


@pytest.fixture
def sets() -> tuple[torch.Tensor, torch.Tensor]:
    """Ten real 6x6 images of distinct flat grey levels and four generated ones: copies of reals
    2 and 7, and two near real 5 (the model dropped the others). No distance ties."""
    levels = torch.tensor(LEVELS, dtype=torch.uint8)
    real = levels.reshape(10, 1, 1, 1).expand(10, 1, 6, 6).contiguous()
    fake = torch.stack([real[2], real[7], real[5] + 3, real[5] - 4])
    return real, fake


def test_both_figures_show_the_nearest_images_in_pixel_space(
    sets: tuple[torch.Tensor, torch.Tensor], tmp_path: Path
) -> None:
    real, fake = sets
    features = (np.zeros((10, 2)), np.zeros((4, 2)))  # unused in pixel space
    paths = neighbour_figures(fake, real, features[1], features[0], tmp_path / "eval", k=2, rows=4)
    assert paths["generated_to_real"] == tmp_path / "eval-nearest.png"
    assert paths["real_to_generated"] == tmp_path / "eval-nearest-generated.png"
    scale = 48 // 6
    expected = {0: [2, 3], 1: [7, 8], 2: [5, 4], 3: [5, 4]}  # nearest real grey levels first
    for row, nearest in expected.items():
        assert (cell(paths["generated_to_real"], row, 0, 6, scale) == as_hwc(fake[row])).all()
        for col, j in enumerate(nearest, 1):
            assert (cell(paths["generated_to_real"], row, col, 6, scale) == as_hwc(real[j])).all()
    # the other way: 4 real images drawn with the seed, each with its nearest generated images
    drawn = np.sort(np.random.default_rng(0).choice(10, 4, replace=False))
    for row, j in enumerate(drawn):
        assert (cell(paths["real_to_generated"], row, 0, 6, scale) == as_hwc(real[j])).all()
        gaps = (fake.float().mean((1, 2, 3)) - LEVELS[j]).abs()
        closest = int(torch.argmin(gaps))
        got = cell(paths["real_to_generated"], row, 1, 6, scale)
        assert (got == as_hwc(fake[closest])).all()


def test_feature_space_is_selectable(
    sets: tuple[torch.Tensor, torch.Tensor], tmp_path: Path
) -> None:
    real, fake = sets
    real_features = -np.arange(10, dtype=float)[:, None]  # reversed order in feature space
    fake_features = -np.array([[7.0], [2.0], [0.0], [9.0]])
    paths = neighbour_figures(
        fake, real, fake_features, real_features, tmp_path / "f", k=1, rows=4, space="features"
    )
    assert paths["generated_to_real"].name == "f-nearest-features.png"
    assert paths["real_to_generated"].name == "f-nearest-generated-features.png"
    for row, j in enumerate([7, 2, 0, 9]):  # the feature neighbours, not the pixel ones
        assert (cell(paths["generated_to_real"], row, 1, 6, 8) == as_hwc(real[j])).all()


def test_real_images_of_another_shape_are_brought_to_the_generated_shape(
    sets: tuple[torch.Tensor, torch.Tensor], tmp_path: Path
) -> None:
    real, fake = sets
    big = real.expand(10, 3, 6, 6).repeat_interleave(2, 2).repeat_interleave(2, 3)  # RGB 12x12
    paths = neighbour_figures(fake, big, np.zeros((4, 1)), np.zeros((10, 1)), tmp_path / "b", k=1)
    assert (cell(paths["generated_to_real"], 0, 1, 6, 8) == as_hwc(real[2])).all()
    first = int(np.sort(np.random.default_rng(0).choice(10, 8, replace=False))[0])
    assert (cell(paths["real_to_generated"], 0, 0, 6, 8) == as_hwc(real[first])).all()


def test_the_nn_metric_writes_both_figures(
    sets: tuple[torch.Tensor, torch.Tensor], tmp_path: Path
) -> None:
    real, fake = sets
    real_set = FeatureSet({"features": real.reshape(10, -1).double().numpy()}, {}, real)
    fake_set = FeatureSet({"features": fake.reshape(4, -1).double().numpy()}, {}, fake)
    nn = METRICS.get("nn")
    result = nn(real_set, fake_set, Context(None, 0, tmp_path, "step-0000003"), k=3, rows=2)
    # generated -> nearest real: 0, 0, 3 * 6, 4 * 6 (a flat gap d over 36 pixels is 6 d)
    assert result.values == {"nn_dist": pytest.approx((0 + 0 + 18 + 24) / 4)}
    assert Path(result.extra["figure"]).name == "step-0000003-nearest.png"
    assert Path(result.extra["figure_real_to_generated"]).name == (
        "step-0000003-nearest-generated.png"
    )
    assert result.extra["space"] == "pixels"
    quiet = nn(real_set, fake_set, Context(None, 0, None, "x"))  # no folder: scores, no figures
    assert "figure" not in quiet.extra and quiet.values == result.values
