"""Bootstrap confidence intervals for any score computed from resampled real and fake sets."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Score = Callable[[np.ndarray | None, np.ndarray], dict[str, float]]


def bootstrap_intervals(
    score: Score,
    n_real: int | None,
    n_fake: int,
    rounds: int = 100,
    confidence: float = 0.95,
    seed: int = 0,
    distinct: bool = False,
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of ``score(real_index, fake_index)`` over resampled index sets.

    Each round draws both sides with replacement (the real side only when it has samples:
    ``n_real`` None keeps it fixed, e.g. a statistics file). With ``distinct`` a round keeps
    only the distinct samples of its draw (about 63%): k-NN radii, duplicate tests and 1-NN
    classifiers would otherwise see copies at distance 0.
    """
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}

    def draw(n: int) -> np.ndarray:
        index = rng.integers(0, n, n)
        return np.unique(index) if distinct else index

    for _ in range(rounds):
        real_index = None if n_real is None else draw(n_real)
        values = score(real_index, draw(n_fake))
        for key, value in values.items():
            draws.setdefault(key, []).append(value)
    tail = (1.0 - confidence) / 2.0 * 100.0
    return {
        key: (float(np.percentile(v, tail)), float(np.percentile(v, 100.0 - tail)))
        for key, v in draws.items()
    }
