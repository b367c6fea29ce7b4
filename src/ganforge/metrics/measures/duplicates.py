"""The birthday-paradox test (Arora and Zhang 2017): near-duplicates in small sample batches.

If batches of s samples often contain a duplicate, the generator's support is about s^2 images.
Here a pair counts as a duplicate when it is closer in feature space than the closest pair of an
equally large batch of real samples, so the threshold adapts to the feature space and the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.neighbours import distances


@dataclass
class Birthday:
    """Duplicate statistics and the closest pairs of the first batch (indices into ``fake``)."""

    rate: float  # share of fake samples with a duplicate inside their batch
    batches_with_duplicate: float  # share of batches holding at least one duplicate pair
    threshold: float
    batch: int
    pairs: list[tuple[int, int, float]]


def closest_pairs(x: np.ndarray, count: int) -> list[tuple[int, int, float]]:
    """The ``count`` closest pairs (i < j) of rows of x, closest first."""
    d = distances(x, x)
    i, j = np.triu_indices(len(x), k=1)
    pair_d = d[i, j]
    order = np.argsort(pair_d, kind="stable")[:count]
    return [(int(i[o]), int(j[o]), float(pair_d[o])) for o in order]


def birthday_test(
    real: np.ndarray,
    fake: np.ndarray,
    batch: int = 400,
    repeats: int = 10,
    pairs: int = 16,
    seed: int = 0,
) -> Birthday:
    """Duplicates among ``repeats`` random fake batches of size ``batch`` (capped by the data)."""
    batch = min(batch, len(real), len(fake))
    if batch < 2:
        raise GanforgeError("the birthday test needs at least 2 real and 2 fake samples")
    rng = np.random.default_rng(seed)
    real_batch = real[rng.choice(len(real), batch, replace=False)]
    threshold = closest_pairs(real_batch, 1)[0][2]
    rates, hits, first_pairs = [], [], []
    for r in range(repeats):
        chosen = rng.choice(len(fake), batch, replace=False)
        d = distances(fake[chosen], fake[chosen])
        np.fill_diagonal(d, np.inf)
        close = d < threshold
        rates.append(float(close.any(axis=1).mean()))
        hits.append(bool(close.any()))
        if r == 0:
            first_pairs = [
                (int(chosen[i]), int(chosen[j]), dist)
                for i, j, dist in closest_pairs(fake[chosen], pairs)
            ]
    return Birthday(float(np.mean(rates)), float(np.mean(hits)), threshold, batch, first_pairs)
