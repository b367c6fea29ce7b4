"""Geometry Score (Khrulkov and Oseledets 2018): compare the topology of two point clouds.

For ``repeats`` random sets of ``landmarks`` (64) points, the lazy witness complex of the
landmarks (every sample a witness; GUDHI's ``WitnessComplex``, as the authors' code) is built up
to the relaxation alpha_max = gamma * (largest witness-landmark distance), with gamma = 1/128 *
n / 5000 by default. Its one-dimensional persistence intervals give the Relative Living Times:
RLT(i) is the share of [0, alpha_max] during which exactly i holes are alive. The mean over the
repeats (MRLT) describes a set; the score is sum_i (MRLT_real(i) - MRLT_fake(i))^2.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ganforge.errors import GanforgeError


def relative_living_times(intervals: np.ndarray, alpha_max: float, i_max: int = 100) -> np.ndarray:
    """RLT(i), i < i_max: the share of [0, alpha_max] with exactly i intervals alive.

    Intervals are half-open [birth, death); an infinite death is read as alpha_max.
    """
    intervals = np.asarray(intervals, dtype=np.float64).reshape(-1, 2)
    intervals = np.where(np.isinf(intervals), alpha_max, intervals).clip(0, alpha_max)
    cuts = np.unique(np.concatenate([[0.0, alpha_max], intervals.ravel()]))
    rlt = np.zeros(i_max)
    for left, right in itertools.pairwise(cuts):
        middle = (left + right) / 2
        alive = int(((intervals[:, 0] <= middle) & (middle < intervals[:, 1])).sum())
        if alive < i_max:
            rlt[alive] += right - left
    return rlt / alpha_max


def witness_intervals(
    points: np.ndarray, landmarks: np.ndarray, gamma: float
) -> tuple[np.ndarray, float]:
    """H1 persistence intervals of the witness complex of ``landmarks`` witnessed by
    ``points``, and alpha_max."""
    try:
        import gudhi
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise GanforgeError(
            "the Geometry Score needs GUDHI: pip install 'ganforge[topology]'"
        ) from exc
    from scipy.spatial.distance import cdist

    dist = cdist(points, landmarks)
    order = np.argsort(dist, axis=1)
    table = [list(zip(row.tolist(), dist[w, row].tolist())) for w, row in enumerate(order)]
    alpha_max = float(dist.max()) * gamma
    tree = gudhi.WitnessComplex(nearest_landmark_table=table).create_simplex_tree(
        max_alpha_square=alpha_max, limit_dimension=2
    )
    tree.persistence(homology_coeff_field=2)
    return np.asarray(tree.persistence_intervals_in_dimension(1)).reshape(-1, 2), alpha_max


def mean_rlt(
    points: np.ndarray,
    landmarks: int = 64,
    gamma: float | None = None,
    i_max: int = 100,
    repeats: int = 100,
    seed: int = 0,
) -> np.ndarray:
    """MRLT of a point cloud over ``repeats`` random landmark sets."""
    points = np.asarray(points, dtype=np.float64)
    if len(points) < landmarks:
        raise GanforgeError(f"the Geometry Score needs at least {landmarks} samples a side")
    gamma = gamma if gamma is not None else len(points) / 5000 / 128
    rng = np.random.default_rng(seed)
    total = np.zeros(i_max)
    for _ in range(repeats):
        chosen = points[rng.choice(len(points), landmarks, replace=False)]
        intervals, alpha_max = witness_intervals(points, chosen, gamma)
        total += relative_living_times(intervals, alpha_max, i_max)
    return total / repeats


@dataclass
class GeometryScore:
    """The score and both mean relative living times."""

    score: float
    real_mrlt: np.ndarray
    fake_mrlt: np.ndarray


def geometry_score(real: np.ndarray, fake: np.ndarray, **options: object) -> GeometryScore:
    """sum_i (MRLT_real(i) - MRLT_fake(i))^2; ``options`` go to ``mean_rlt``."""
    a = mean_rlt(real, **options)  # type: ignore[arg-type]
    b = mean_rlt(fake, **options)  # type: ignore[arg-type]
    return GeometryScore(float(((a - b) ** 2).sum()), a, b)
