"""Acquisition functions for minimisation, and the GP-Hedge portfolio that picks among them.

Closed forms (``best`` is the incumbent value, ``xi`` a margin, ``z = (best - xi - mu) / sigma``):
PI = Phi(z); EI = sigma * (z Phi(z) + phi(z)); LCB = mu - kappa sigma (lower is better).
The optimiser maximises a *score* with gradients: log EI (same maximiser as EI, but finite and
informative where EI underflows to 0 far from the incumbent), log PI, and -LCB.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

ACQUISITIONS = ("ei", "pi", "lcb")
# What ``Optimizer(acquisition=...)`` accepts: one of the above or the GP-Hedge portfolio of them.
ACQUISITION_CHOICES = (*ACQUISITIONS, "portfolio")
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT_HALF_PI = math.sqrt(math.pi / 2)


def _z(mu: np.ndarray, sigma: np.ndarray, best: float, xi: float) -> np.ndarray:
    return (best - xi - mu) / sigma


def probability_of_improvement(
    mu: np.ndarray, sigma: np.ndarray, best: float, xi: float = 0.0
) -> np.ndarray:
    """P(f < best - xi) under N(mu, sigma^2)."""
    return ndtr(_z(np.asarray(mu), np.asarray(sigma), best, xi))


def expected_improvement(
    mu: np.ndarray, sigma: np.ndarray, best: float, xi: float = 0.0
) -> np.ndarray:
    """E[max(best - xi - f, 0)] under N(mu, sigma^2)."""
    sigma = np.asarray(sigma, dtype=float)
    z = _z(np.asarray(mu), sigma, best, xi)
    return sigma * (z * ndtr(z) + np.exp(-0.5 * z**2 - _LOG_SQRT_2PI))


def lower_confidence_bound(mu: np.ndarray, sigma: np.ndarray, kappa: float = 1.96) -> np.ndarray:
    """mu - kappa sigma: an optimistic estimate of f (to be minimised)."""
    return np.asarray(mu) - kappa * np.asarray(sigma)


def log_h(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log(z Phi(z) + phi(z)) and its derivative Phi(z) / h(z), accurate for very negative z."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    big = z > -1.0
    zb = z[big]
    out[big] = np.log(zb * ndtr(zb) + np.exp(-0.5 * zb**2 - _LOG_SQRT_2PI))
    zs = z[~big]
    # h(z) = phi(z) (1 + z Phi(z)/phi(z)) and Phi(z)/phi(z) = sqrt(pi/2) erfcx(-z/sqrt2)
    ratio = _SQRT_HALF_PI * erfcx(-zs / math.sqrt(2))
    tail = np.log(np.maximum(1.0 + zs * ratio, 1e-300))
    far = zs < -1e6  # 1 + z * ratio ~ 1 / z^2 loses all precision here
    tail[far] = -2.0 * np.log(-zs[far])
    out[~big] = -0.5 * zs**2 - _LOG_SQRT_2PI + tail
    return out, np.exp(log_ndtr(z) - out)


def score(
    name: str,
    mu: np.ndarray,
    sigma: np.ndarray,
    best: float,
    *,
    xi: float = 0.0,
    kappa: float = 1.96,
    noise_std: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The value to maximise for acquisition ``name`` and its derivatives in mu and sigma.

    With ``noise_std`` > 0, EI is augmented (Huang et al. 2006): multiplied by
    1 - noise_std / sqrt(sigma^2 + noise_std^2), so a point whose uncertainty is already down
    to the noise is not sampled over and over."""
    mu, sigma = np.asarray(mu, dtype=float), np.asarray(sigma, dtype=float)
    if name == "lcb":
        return -(mu - kappa * sigma), -np.ones_like(mu), np.full_like(mu, kappa)
    z = _z(mu, sigma, best, xi)
    if name == "ei":
        lh, dlh = log_h(z)
        value, d_mu, d_sigma = np.log(sigma) + lh, -dlh / sigma, 1.0 / sigma - dlh * z / sigma
        if noise_std > 0:
            # log(1 - n/s) with s = sqrt(sigma^2 + n^2), written as log(sigma^2 / (s (s + n)))
            s = np.sqrt(sigma**2 + noise_std**2)
            value = value + 2 * np.log(sigma) - np.log(s) - np.log(s + noise_std)
            d_sigma = d_sigma + 2 / sigma - sigma / s**2 - sigma / (s * (s + noise_std))
        return value, d_mu, d_sigma
    if name == "pi":
        lp = log_ndtr(z)
        dlp = np.exp(-0.5 * z**2 - _LOG_SQRT_2PI - lp)
        return lp, -dlp / sigma, -dlp * z / sigma
    raise ValueError(f"unknown acquisition {name!r}; choose one of {list(ACQUISITIONS)}")


class Portfolio:
    """GP-Hedge (Hoffman, Brochu & de Freitas 2011): each member proposes a point; one is
    chosen with probability softmax(eta * gains); after the model is refitted, every member's
    gain grows by minus the (standardised) posterior mean at the point it proposed."""

    def __init__(self, members: Sequence[str] = ACQUISITIONS, eta: float = 1.0) -> None:
        for m in members:
            if m not in ACQUISITIONS:
                raise ValueError(f"unknown portfolio member {m!r}; choose from {ACQUISITIONS}")
        self.members = tuple(members)
        self.eta = float(eta)
        self.gains = np.zeros(len(self.members))

    def probabilities(self) -> np.ndarray:
        """Softmax of eta * gains (shifted for stability)."""
        g = self.eta * (self.gains - self.gains.max())
        p = np.exp(g)
        return p / p.sum()

    def choose(self, rng: np.random.Generator) -> int:
        """Index of the member whose proposal is used this round."""
        return int(rng.choice(len(self.members), p=self.probabilities()))

    def update(self, standardised_means: Sequence[float]) -> None:
        """Reward each member by minus the refitted model's mean at its last proposal."""
        self.gains = self.gains - np.asarray(standardised_means, dtype=float)

    def to_json(self) -> dict[str, Any]:
        """State for saving."""
        return {"members": list(self.members), "eta": self.eta, "gains": self.gains.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Portfolio:
        """Rebuild from ``to_json``."""
        p = cls(data["members"], data["eta"])
        p.gains = np.asarray(data["gains"], dtype=float)
        return p
