"""The 2-D mode-collapse benchmarks: a ring of 8 and a grid of 25 Gaussians."""

from __future__ import annotations

import numpy as np

from ganforge.data.base import DataInfo, PointDataset
from ganforge.errors import ConfigError
from ganforge.registry import DATASETS


def ring_means(modes: int = 8, radius: float = 1.0) -> np.ndarray:
    """Means at angles 2 pi k / modes, k = 0..modes-1 (no linspace endpoint duplicate)."""
    angles = 2 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_means(side: int = 5, spacing: float = 2.0) -> np.ndarray:
    """Means on a side x side lattice centred on 0: {-4, -2, 0, 2, 4}^2 by default."""
    axis = (np.arange(side) - (side - 1) / 2) * spacing
    xs, ys = np.meshgrid(axis, axis, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def mixture(means: np.ndarray, std: float, n: int, seed: int) -> np.ndarray:
    """``n`` points drawn uniformly over the components of an isotropic Gaussian mixture."""
    rng = np.random.default_rng(seed)
    component = rng.integers(len(means), size=n)
    return (means[component] + std * rng.standard_normal((n, means.shape[1]))).astype(np.float32)


def _dataset(
    name: str, means: np.ndarray, std: float, n: int, seed: int, divide_by: float
) -> PointDataset:
    if divide_by <= 0:
        raise ConfigError(f"data.divide_by must be positive, got {divide_by}")
    points = mixture(means, std, n, seed) / np.float32(divide_by)
    means, std = means / divide_by, std / divide_by
    info = DataInfo(name, "points", (2,), n, extra={"means": means.tolist(), "std": std})
    return PointDataset(points, info)


@DATASETS.register("ring", kind="points")
def ring(
    *,
    modes: int = 8,
    radius: float = 1.0,
    std: float = 0.01,
    n: int = 100_000,
    seed: int = 0,
    divide_by: float = 1.0,
) -> PointDataset:
    """8 Gaussians on a circle (radius 1, std 0.01; VEEGAN/PacGAN protocol).

    ``divide_by`` rescales points, means and std together (the WGAN-GP toy script draws radius 2,
    std 0.02 and divides by 1.414).
    """
    return _dataset("ring", ring_means(modes, radius), std, n, seed, divide_by)


@DATASETS.register("grid", kind="points")
def grid(
    *,
    side: int = 5,
    spacing: float = 2.0,
    std: float = 0.05,
    n: int = 100_000,
    seed: int = 0,
    divide_by: float = 1.0,
) -> PointDataset:
    """25 Gaussians on the lattice {-4,-2,0,2,4}^2 (std 0.05; VEEGAN/PacGAN protocol).

    ``divide_by`` rescales points, means and std together (the WGAN-GP toy script divides by
    2.828).
    """
    return _dataset("grid", grid_means(side, spacing), std, n, seed, divide_by)
