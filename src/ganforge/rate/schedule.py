"""Which models to show next: an adaptive pair schedule and balanced single-image draws.

Pairs are drawn with probability proportional to p(1 - p) / (1 + games), where p is the
current Bradley-Terry chance that one model beats the other: pairs whose order is still
uncertain (close skill) and pairs compared least are shown most, and no pair is starved.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ganforge.rate.skill import bradley_terry

SCHEDULE_PRIOR = 1.0  # virtual wins each way, so the schedule has a fit from the first judgement


def pair_probabilities(wins: np.ndarray) -> np.ndarray:
    """Symmetric matrix of the chance of showing each unordered pair next (sums to 1 over i<j)."""
    wins = np.asarray(wins, dtype=float)
    n = len(wins)
    if n < 2:
        raise ValueError("a pairwise comparison needs at least two models")
    theta = bradley_terry(wins, prior=SCHEDULE_PRIOR, tol=1e-6).theta
    p = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))
    games = wins + wins.T
    weight = p * (1.0 - p) / (1.0 + games)
    np.fill_diagonal(weight, 0.0)
    return weight / weight[np.triu_indices(n, 1)].sum()


def choose_pair(wins: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    """Draw an unordered pair (i < j) from ``pair_probabilities``."""
    probs = pair_probabilities(wins)
    rows, cols = np.triu_indices(len(probs), 1)
    k = rng.choice(len(rows), p=probs[rows, cols])
    return int(rows[k]), int(cols[k])


def choose_least(counts: Sequence[int], rng: np.random.Generator) -> int:
    """Index of a least-judged entry (ties broken at random)."""
    counts = np.asarray(counts)
    if len(counts) == 0:
        raise ValueError("nothing to choose from")
    return int(rng.choice(np.flatnonzero(counts == counts.min())))


def choose_image(images: Sequence[str], seen: set[str], rng: np.random.Generator) -> str:
    """A random image, preferring ones this rater has not seen yet."""
    fresh = [image for image in images if image not in seen]
    pool = fresh or list(images)
    return pool[int(rng.integers(len(pool)))]
