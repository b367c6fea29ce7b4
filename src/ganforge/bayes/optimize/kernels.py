"""Stationary covariance kernels with one length scale per input dimension (ARD).

A kernel here has unit amplitude and is a function of the scaled squared distance
``r2 = sum_d ((a_d - b_d) / l_d)^2``. Each kernel gives ``k(r2)`` and ``g(r2) = -2 dk/dr2``,
from which both gradients the optimiser needs follow:
``dk/dlog l_d = g * ((a_d - b_d) / l_d)^2`` and ``dk/da_d = -g * (a_d - b_d) / l_d^2``.
"""

from __future__ import annotations

import numpy as np

SQRT5 = np.sqrt(5.0)


class Kernel:
    """Base class: subclasses define ``k(r2)`` and ``g(r2)``."""

    name = "kernel"

    def k(self, r2: np.ndarray) -> np.ndarray:
        """Correlation as a function of scaled squared distance."""
        raise NotImplementedError

    def g(self, r2: np.ndarray) -> np.ndarray:
        """-2 dk/dr2."""
        raise NotImplementedError

    def __call__(self, a: np.ndarray, b: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Correlation matrix between rows of ``a`` (m, D) and ``b`` (n, D)."""
        return self.k(scaled_sqdist(a / lengths, b / lengths))

    def length_grad_weights(
        self, sqdiff: np.ndarray, lengths: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """From raw squared differences (n, n, D): K and ``g``, where
        dK/dlog l_d = g * sqdiff[..., d] / l_d^2 (kept implicit: no (D, n, n) array is built)."""
        r2 = sqdiff @ (1.0 / lengths**2)
        return self.k(r2), self.g(r2)

    def with_input_grads(
        self, a: np.ndarray, b: np.ndarray, lengths: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """k(a, b) (m, n) and its derivative with respect to the rows of ``a``, (m, n, D)."""
        diff = (a[:, None, :] - b[None, :, :]) / lengths
        r2 = (diff**2).sum(-1)
        return self.k(r2), -self.g(r2)[:, :, None] * diff / lengths


def scaled_sqdist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between rows, clipped at zero against round-off."""
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


class RBF(Kernel):
    """Squared exponential: exp(-r^2 / 2); infinitely smooth sample paths."""

    name = "rbf"

    def k(self, r2: np.ndarray) -> np.ndarray:
        """exp(-r2 / 2)."""
        return np.exp(-0.5 * r2)

    def g(self, r2: np.ndarray) -> np.ndarray:
        """-2 dk/dr2 = k."""
        return np.exp(-0.5 * r2)


class Matern52(Kernel):
    """Matern nu = 5/2: (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r); twice-differentiable paths."""

    name = "matern52"

    def k(self, r2: np.ndarray) -> np.ndarray:
        """(1 + sqrt5 r + 5/3 r2) exp(-sqrt5 r)."""
        r = np.sqrt(r2)
        return (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * np.exp(-SQRT5 * r)

    def g(self, r2: np.ndarray) -> np.ndarray:
        """-2 dk/dr2 = 5/3 (1 + sqrt5 r) exp(-sqrt5 r)."""
        r = np.sqrt(r2)
        return (5.0 / 3.0) * (1.0 + SQRT5 * r) * np.exp(-SQRT5 * r)


KERNELS: dict[str, type[Kernel]] = {"matern52": Matern52, "rbf": RBF}


def get_kernel(name: str) -> Kernel:
    """A kernel by name (``matern52`` or ``rbf``)."""
    try:
        return KERNELS[name]()
    except KeyError:
        raise ValueError(f"unknown kernel {name!r}; choose one of {sorted(KERNELS)}") from None
