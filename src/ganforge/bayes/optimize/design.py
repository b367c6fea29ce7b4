"""Initial designs: the points evaluated before the surrogate model takes over."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import qmc

from ganforge.bayes.optimize.space import Space

DESIGNS = ("sobol", "lhs", "random")


def _qmc(kind: type[qmc.QMCEngine], d: int, rng: np.random.Generator) -> qmc.QMCEngine:
    try:
        return kind(d, scramble=True, rng=rng)
    except TypeError:  # SciPy < 1.15 calls it seed
        return kind(d, scramble=True, seed=rng)


def initial_design(space: Space, n: int, method: str, rng: np.random.Generator) -> list[list[Any]]:
    """``n`` points of the space: scrambled Sobol, Latin hypercube or uniform random."""
    if n <= 0:
        return []
    d = len(space)
    if method == "random":
        u = rng.random((n, d))
    elif method == "sobol":
        # a power-of-two prefix keeps Sobol's balance; the first n of it are used
        u = _qmc(qmc.Sobol, d, rng).random_base2(max(0, math.ceil(math.log2(n))))[:n]
    elif method == "lhs":
        u = _qmc(qmc.LatinHypercube, d, rng).random(n)
    else:
        raise ValueError(f"unknown initial design {method!r}; choose one of {list(DESIGNS)}")
    return space.from_unit(u)
