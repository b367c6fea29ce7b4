"""Kernel Inception Distance (Bińkowski et al. 2018): unbiased MMD^2 with a cubic kernel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.kernels import mmd2_unbiased, polynomial_kernel


@dataclass
class KID:
    """Mean and std of the unbiased MMD^2 over random subsets, with the subset plan used."""

    mean: float
    std: float
    subsets: int
    subset_size: int


def kid(
    real: np.ndarray,
    fake: np.ndarray,
    subsets: int = 100,
    subset_size: int = 1000,
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
    seed: int = 0,
) -> KID:
    """KID: unbiased MMD^2 with k(x, y) = (x.y / d + 1)^3 averaged over random subsets.

    Each subset draws ``subset_size`` rows without replacement from each side (the reference
    default: 100 subsets of 1,000); a side smaller than that uses all its rows.
    """
    size = min(subset_size, len(real), len(fake))
    if size < 2 or subsets < 1:
        raise GanforgeError(f"KID needs >= 2 samples per side and >= 1 subset (got {size})")
    kernel = polynomial_kernel(degree, gamma, coef0)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        x = real[rng.choice(len(real), size, replace=False)]
        y = fake[rng.choice(len(fake), size, replace=False)]
        values.append(mmd2_unbiased(x, y, kernel))
    return KID(float(np.mean(values)), float(np.std(values)), subsets, size)
