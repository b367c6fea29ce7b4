"""Standard test objectives for Bayesian optimisation, with their known optima."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

_BRANIN_B = 5.1 / (4 * np.pi**2)
_BRANIN_C = 5 / np.pi
_BRANIN_T = 1 / (8 * np.pi)

_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def wiggly(x: float | Sequence[float]) -> float:
    """The 1-D walk-through function x^2 sin(5 pi x)^6 on [0, 1] (maximum 0.81135 at 0.9015)."""
    x = float(np.ravel(x)[0])
    return x**2 * np.sin(5 * np.pi * x) ** 6


def branin(x: Sequence[float]) -> float:
    """Branin-Hoo on [-5, 10] x [0, 15]; three global minima of 0.397887."""
    x1, x2 = float(x[0]), float(x[1])
    term = x2 - _BRANIN_B * x1**2 + _BRANIN_C * x1 - 6
    return term**2 + 10 * (1 - _BRANIN_T) * np.cos(x1) + 10


def hartmann6(x: Sequence[float]) -> float:
    """Hartmann 6-D on [0, 1]^6; global minimum -3.32237."""
    x = np.asarray(x, dtype=float)
    inner = (_H6_A * (x[None, :] - _H6_P) ** 2).sum(axis=1)
    return float(-(_H6_ALPHA * np.exp(-inner)).sum())


@dataclass(frozen=True)
class Problem:
    """A minimisation benchmark: objective, box bounds and the known minimum value."""

    name: str
    func: Callable[[Sequence[float]], float]
    bounds: tuple[tuple[float, float], ...]
    minimum: float
    argmin: tuple[float, ...] = field(default=())

    def regret(self, value: float) -> float:
        """Simple regret of a found value (non-negative up to rounding of the known minimum)."""
        return float(value - self.minimum)


def _neg_wiggly(x: Sequence[float]) -> float:
    return -wiggly(x)


WIGGLY_ARGMAX = 0.901498281484143
WIGGLY_MAX = wiggly(WIGGLY_ARGMAX)

PROBLEMS = {
    "wiggly-1d": Problem("wiggly-1d", _neg_wiggly, ((0.0, 1.0),), -WIGGLY_MAX, (WIGGLY_ARGMAX,)),
    # minima to full precision (the literature's 0.397887 and -3.32237 are these rounded)
    "branin": Problem(
        "branin", branin, ((-5.0, 10.0), (0.0, 15.0)), 0.397887357729738, (np.pi, 2.275)
    ),
    "hartmann6": Problem(
        "hartmann6",
        hartmann6,
        ((0.0, 1.0),) * 6,
        -3.32236801141551,
        (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573),
    ),
}
