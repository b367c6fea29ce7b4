"""Parzen-window log-likelihood (Breuleux et al. 2011; the GAN paper's Table 1 measure).

A Gaussian kernel density is fitted on the fake samples; its bandwidth is the one that maximises
the likelihood of a validation half of the real samples, and the score is the mean log-likelihood
of the other (test) half. Known to be a poor quality measure in high dimension (Theis et al. 2016);
provided to compare with the papers that report it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.kernels import block_rows, centred, squared_distances


def parzen_log_likelihood(
    centres: np.ndarray, points: np.ndarray, sigmas: list[float] | np.ndarray
) -> np.ndarray:
    """log p(x) under isotropic Gaussian Parzen windows on ``centres``: (len(sigmas), points)."""
    sigmas = np.asarray(sigmas, dtype=np.float64).reshape(-1)
    d = centres.shape[1]
    norm = np.log(len(centres)) + 0.5 * d * np.log(2.0 * np.pi * sigmas**2)
    centres, points = centred(centres, points)
    out = np.empty((len(sigmas), len(points)))
    rows = block_rows(len(centres))
    for start in range(0, len(points), rows):
        d2 = squared_distances(points[start : start + rows], centres)
        for i, sigma in enumerate(sigmas):  # one distance block serves every bandwidth
            out[i, start : start + len(d2)] = logsumexp(-d2 / (2.0 * sigma * sigma), axis=1)
    return out - norm[:, None]


@dataclass
class Parzen:
    """Mean test log-likelihood, its standard error, the chosen bandwidth and the grid."""

    mean: float
    stderr: float
    sigma: float
    grid: list[float]
    validation: list[float]


def parzen_window(
    real: np.ndarray,
    fake: np.ndarray,
    sigmas: list[float] | None = None,
    max_points: int = 10_000,
    seed: int = 0,
) -> Parzen:
    """Fit on ``fake``, choose sigma on half of ``real``, score the other half.

    Each half holds at most ``max_points`` samples (the MNIST protocol: 10,000 validation and
    10,000 test). The default grid spans 0.03 to 3 times the root-mean-square feature spread of
    the fake samples (21 log-spaced values; the original MNIST grid, 0.1 to 1 in [0, 1] pixels,
    lies inside it for pixel features).
    """
    if len(real) < 4 or len(fake) < 2:
        raise GanforgeError("the Parzen window needs at least 4 real and 2 fake samples")
    if sigmas is None:
        spread = float(np.sqrt(fake.var(axis=0).mean()))
        if spread <= 0:
            raise GanforgeError("all fake samples are identical; pass parzen:sigmas=[...]")
        sigmas = (spread * np.logspace(-1.5, 0.5, 21)).tolist()
    order = np.random.default_rng(seed).permutation(len(real))
    half = min(len(real) // 2, max_points)
    validation, test = real[order[:half]], real[order[half : 2 * half]]
    scores = parzen_log_likelihood(fake, validation, sigmas).mean(axis=1)
    best = float(sigmas[int(np.argmax(scores))])
    ll = parzen_log_likelihood(fake, test, [best])[0]
    return Parzen(
        float(ll.mean()),
        float(ll.std(ddof=1) / np.sqrt(len(ll))),
        best,
        list(sigmas),
        scores.tolist(),
    )
