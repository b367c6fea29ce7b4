"""Fréchet Inception Distance without a general matrix square root, and FID-infinity.

FID = |mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2) (Heusel et al. 2017). S1 S2 is not
symmetric, but with S1 = R^T R it has the eigenvalues of the symmetric PSD matrix R S2 R^T
(eig(AB) = eig(BA) for the nonzero ones), so tr sqrt(S1 S2) is the sum of the square roots of
``eigvalsh(R S2 R^T)``. R is a Cholesky factor (d x d, cached with the real statistics) or, when a
set has n <= d samples, its centred samples (n x d), which shrinks the problem to n x n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.stats import FeatureStats


def _check_dims(a: FeatureStats, b: FeatureStats) -> None:
    if a.dim != b.dim:
        raise GanforgeError(
            f"feature dimensions differ ({a.dim} vs {b.dim}): both sides must come from the "
            "same extractor (a stats file must have been written with the evaluation's extractor)"
        )


def trace_sqrt_product(a: FeatureStats, b: FeatureStats) -> float:
    """tr sqrt(Sa Sb) from the eigenvalues of a symmetric matrix similar to Sa Sb."""
    _check_dims(a, b)
    cached = [s for s in (a, b) if s.root_ is not None]
    side = min(cached, key=lambda s: s.root_.rows) if cached else a  # type: ignore[union-attr]
    other = b if side is a else a
    root = side.root()
    sigma = other.sigma + root.offset * np.eye(other.dim) if root.offset else other.sigma
    # eigenvalues only, from the lower triangle (LAPACK syevr: faster here than numpy's syevd)
    eigenvalues = scipy.linalg.eigh(
        root.sandwich(sigma),
        lower=True,
        eigvals_only=True,
        driver="evr",
        overwrite_a=True,
        check_finite=False,
    )
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())


def frechet_distance(a: FeatureStats, b: FeatureStats) -> float:
    """FID between two Gaussian feature statistics (clipped at 0 against rounding)."""
    _check_dims(a, b)
    diff = a.mu - b.mu
    value = diff @ diff + np.trace(a.sigma) + np.trace(b.sigma) - 2.0 * trace_sqrt_product(a, b)
    return max(0.0, float(value))


def fid(real: np.ndarray, fake: np.ndarray) -> float:
    """FID between two (n, d) feature arrays."""
    return frechet_distance(FeatureStats.from_features(real), FeatureStats.from_features(fake))


@dataclass
class FidInfinity:
    """FID extrapolated to infinitely many fake samples, with the fitted points."""

    value: float
    slope: float
    sizes: list[int]
    fids: list[float]


def fid_infinity(
    real: FeatureStats,
    fake: np.ndarray,
    points: int = 15,
    min_fraction: float = 0.1,
    seed: int = 0,
) -> FidInfinity:
    """Bias-free FID (Chong and Forsyth 2020): fit FID_N = FID_inf + slope / N and read N -> inf.

    FID is computed on ``points`` random subsets of the fake features with sizes evenly spaced
    from ``min_fraction`` of them to all of them (the paper: 5,000 to 50,000, 15 points).
    """
    n = len(fake)
    smallest = max(2, round(min_fraction * n))
    if points < 2 or smallest >= n:
        raise GanforgeError(
            f"FID-infinity needs subsets of at least 2 distinct sizes; got {n} fake samples "
            f"with min_fraction={min_fraction} and points={points}"
        )
    sizes = np.unique(np.linspace(smallest, n, points).astype(int))
    rng = np.random.default_rng(seed)
    fids = []
    for size in sizes:
        chosen = fake[rng.permutation(n)[:size]]
        fids.append(frechet_distance(real, FeatureStats.from_features(chosen)))
    slope, intercept = np.polyfit(1.0 / sizes, np.asarray(fids), 1)
    return FidInfinity(float(intercept), float(slope), sizes.tolist(), fids)
