"""Image retrieval performance (Wang et al. 2016): how close each held-out real image's nearest
generated sample is. Real images far from every sample are the ones the model fails to produce.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganforge.metrics.measures.neighbours import nearest

PERCENTILES = (10, 50, 90)


@dataclass
class Retrieval:
    """Mean distance from each real sample to its nearest generated sample, its percentiles, and
    the indices of the worst-modelled real samples (farthest first)."""

    mean: float
    percentiles: dict[int, float]
    worst: list[int]


def retrieval(real: np.ndarray, fake: np.ndarray, worst: int = 8) -> Retrieval:
    """Nearest generated neighbour of every real sample (Euclidean, in feature space)."""
    dist, _ = nearest(real, fake, 1)
    d = dist[:, 0]
    order = np.argsort(-d, kind="stable")[:worst]
    return Retrieval(
        float(d.mean()),
        {p: float(np.percentile(d, p)) for p in PERCENTILES},
        [int(i) for i in order],
    )
