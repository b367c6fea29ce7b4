"""Manifold estimates from k-NN balls: precision/recall and density/coverage.

Each sample's ball has the radius of its k-th nearest neighbour in its own set. Precision
(Kynkäänniemi et al. 2019) is the share of fake samples inside some real ball, recall the share of
real samples inside some fake ball. Density counts how many real balls hold each fake sample (over
k) and coverage is the share of real balls holding at least one fake sample (Naeem et al. 2020).
"""

from __future__ import annotations

import numpy as np

from ganforge.metrics.measures.neighbours import ball_counts, kth_neighbour_distances, nearest


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """(precision, recall) with k-th neighbour balls (closed balls, as the reference code)."""
    real_radii = kth_neighbour_distances(real, k)
    fake_radii = kth_neighbour_distances(fake, k)
    precision = float((ball_counts(fake, real, real_radii) > 0).mean())
    recall = float((ball_counts(real, fake, fake_radii) > 0).mean())
    return precision, recall


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = 5) -> tuple[float, float]:
    """(density, coverage) with real k-th neighbour balls (open balls, as Naeem et al.'s code)."""
    radii = kth_neighbour_distances(real, k)
    density = float(ball_counts(fake, real, radii, strict=True).sum() / (k * len(fake)))
    closest, _ = nearest(real, fake, 1)
    coverage = float((closest[:, 0] < radii).mean())
    return density, coverage
