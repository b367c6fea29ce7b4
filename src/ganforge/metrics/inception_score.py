"""Inception Score (Salimans et al. 2016): exp E_x KL(p(y|x) || p(y)), mean and std over splits."""

from __future__ import annotations

import numpy as np
from scipy.special import log_softmax

from ganforge.errors import GanforgeError


def inception_score(
    logits: np.ndarray, splits: int = 10, shuffle: bool = False, seed: int = 0
) -> tuple[float, float]:
    """(mean, std) of the score over ``splits`` consecutive chunks of softmax(logits).

    Chunk i holds rows [i N / splits, (i + 1) N / splits) (integer division), as in the
    reference code (torch-fidelity, the original TensorFlow script); the std is the population
    std (ddof 0). ``shuffle`` permutes the rows first with ``seed``.
    """
    logits = np.asarray(logits, dtype=np.float64)
    n = len(logits)
    if logits.ndim != 2 or n < splits or splits < 1:
        raise GanforgeError(
            f"the Inception Score needs (n, classes) logits with n >= splits={splits}; "
            f"got shape {logits.shape}"
        )
    if shuffle:
        logits = logits[np.random.default_rng(seed).permutation(n)]
    log_p = log_softmax(logits, axis=1)
    p = np.exp(log_p)
    scores = []
    for i in range(splits):
        rows = slice(i * n // splits, (i + 1) * n // splits)
        chunk, log_chunk = p[rows], log_p[rows]
        log_marginal = np.log(chunk.mean(axis=0))
        kl = (chunk * (log_chunk - log_marginal)).sum(axis=1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))
