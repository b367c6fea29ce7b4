"""Kernels and the unbiased MMD^2 estimator, summed block by block so memory stays bounded."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ganforge.errors import GanforgeError

Kernel = Callable[[np.ndarray, np.ndarray], np.ndarray]
BLOCK_ENTRIES = 1 << 22  # pairwise values held at once (32 MiB of float64)


def block_rows(others: int) -> int:
    """Rows per block so that a block of pairwise values against ``others`` points stays small."""
    return max(1, min(4096, BLOCK_ENTRIES // max(1, others)))


def polynomial_kernel(degree: int = 3, gamma: float | None = None, coef0: float = 1.0) -> Kernel:
    """k(x, y) = (gamma x.y + coef0)^degree; gamma defaults to 1/d (the KID kernel)."""

    def kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        g = 1.0 / x.shape[1] if gamma is None else gamma
        base = x @ y.T
        base *= g
        base += coef0
        out = base.copy()
        for _ in range(degree - 1):  # repeated products: much faster than a float power
            out *= base
        return out

    return kernel


def centred(*sets: np.ndarray) -> list[np.ndarray]:
    """The sets minus the mean of all their rows together (floating point, float64 for integers).

    Pairwise distances do not change under a common translation, but |x|^2 + |y|^2 - 2 x.y
    cancels catastrophically far from the origin; every distance computation centres first.
    """
    arrays = [np.asarray(s) for s in sets]
    dtype = np.result_type(*arrays, np.float32)
    total = sum(a.sum(axis=0, dtype=np.float64) for a in arrays)
    mean = total / sum(len(a) for a in arrays)
    return [(a - mean).astype(dtype, copy=False) for a in arrays]


def squared_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|x_i - y_j|^2 for all pairs, clipped at 0 against rounding (centre x and y first)."""
    d2 = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * (x @ y.T)
    return np.maximum(d2, 0.0)


def rbf_kernel(sigma: float) -> Kernel:
    """k(x, y) = exp(-|x - y|^2 / (2 sigma^2))."""

    def kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.exp(-squared_distances(x, y) / (2.0 * sigma * sigma))

    return kernel


def kernel_sum(x: np.ndarray, y: np.ndarray, kernel: Kernel, exclude_diagonal: bool) -> float:
    """Sum of k(x_i, y_j) over all pairs (i != j when x is y and ``exclude_diagonal``)."""
    total = 0.0
    rows = block_rows(len(y))
    for start in range(0, len(x), rows):
        block = kernel(x[start : start + rows], y)
        total += float(block.sum())
        if exclude_diagonal:
            total -= float(np.trace(block[:, start : start + rows]))
    return total


def mmd2_unbiased(x: np.ndarray, y: np.ndarray, kernel: Kernel) -> float:
    """The unbiased estimate of MMD^2 (Gretton et al. 2012): U-statistics within each set."""
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise GanforgeError(f"MMD needs at least 2 samples on each side (got {m} and {n})")
    xx = kernel_sum(x, x, kernel, exclude_diagonal=True) / (m * (m - 1))
    yy = kernel_sum(y, y, kernel, exclude_diagonal=True) / (n * (n - 1))
    xy = kernel_sum(x, y, kernel, exclude_diagonal=False) / (m * n)
    return xx + yy - 2.0 * xy


def median_distance(x: np.ndarray, y: np.ndarray, max_points: int = 1000, seed: int = 0) -> float:
    """The median pairwise distance of the pooled sample (the usual RBF bandwidth heuristic)."""
    pooled = np.concatenate([x, y])
    if len(pooled) > max_points:
        pooled = pooled[np.random.default_rng(seed).choice(len(pooled), max_points, replace=False)]
    (pooled,) = centred(pooled)
    d2 = squared_distances(pooled, pooled)[np.triu_indices(len(pooled), k=1)]
    return float(np.sqrt(np.median(d2)))


def mmd_rbf(
    x: np.ndarray, y: np.ndarray, sigma: float | None = None, seed: int = 0
) -> tuple[float, float]:
    """(unbiased MMD^2, bandwidth) with a Gaussian kernel; sigma defaults to the median distance."""
    bandwidth = median_distance(x, y, seed=seed) if sigma is None else float(sigma)
    if bandwidth <= 0:
        raise GanforgeError("the RBF bandwidth is 0 (all samples identical); pass sigma")
    x, y = centred(x, y)
    return mmd2_unbiased(x, y, rbf_kernel(bandwidth)), bandwidth
