"""Scores of a classifier's class probabilities beyond the Inception Score: m-IS, Mode Score, AM.

All take logits (rows of unnormalised log-probabilities); ``log_probabilities`` turns them into
log p(y|x) with a numerically safe log-softmax. Natural logarithms throughout. The Mode and AM
Scores form their class marginals in log space (log-mean-exp), so a class probability below
the smallest float (1e-308) still enters the KL terms with its exact logarithm.
"""

from __future__ import annotations

import numpy as np
from scipy.special import entr, log_softmax, logsumexp

from ganforge.errors import GanforgeError

LOG_TINY = float(np.log(np.finfo(np.float64).tiny))  # floor: p = 0 rows stay finite (0 log 0 = 0)


def exact_log_probabilities(logits: np.ndarray) -> np.ndarray:
    """log p(y|x) of each row (float64), without a floor (-inf only for a -inf logit)."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2 or len(logits) == 0:
        raise GanforgeError(f"expected (n, classes) logits, got shape {logits.shape}")
    return log_softmax(logits, axis=1)


def log_probabilities(logits: np.ndarray) -> np.ndarray:
    """log p(y|x) of each row (float64), floored at log(1e-308) so pairwise products stay finite."""
    return np.maximum(exact_log_probabilities(logits), LOG_TINY)


def log_marginal(log_p: np.ndarray) -> np.ndarray:
    """log of the mean class distribution, log (1/n) sum_i p_i, from the rows' log p."""
    return logsumexp(log_p, axis=0) - np.log(len(log_p))


def _kl(log_p: np.ndarray, log_q: np.ndarray) -> float:
    """KL(p || q) of two distributions given as logarithms (0 log 0 = 0)."""
    p = np.exp(log_p)
    mask = p > 0
    return float(np.sum(p[mask] * (log_p[mask] - log_q[mask])))


def mean_pairwise_kl(log_p: np.ndarray) -> float:
    """E_i E_j KL(p_i || p_j) over all ordered pairs of rows, i = j included (the plug-in
    estimate of the double expectation)."""
    p = np.exp(log_p)
    neg_entropy = (p * log_p).sum(axis=1)  # sum_y p_i log p_i
    cross = p @ log_p.T  # [i, j] = sum_y p_i log p_j
    return float((neg_entropy[:, None] - cross).mean())


def modified_inception_score(
    logits: np.ndarray, labels: np.ndarray | None = None, min_count: int = 2
) -> tuple[float, dict[int, float]]:
    """m-IS (Gurumurthy et al. 2017): exp(E_xi E_xj KL(p(y|xi) || p(y|xj))) within each class.

    Samples are grouped by ``labels`` (a conditional generator's classes) or else by the
    classifier's arg-max; the score is the mean over classes with at least ``min_count``
    samples, returned with the per-class values.
    """
    log_p = log_probabilities(logits)
    groups = log_p.argmax(axis=1) if labels is None else np.asarray(labels)
    per_class = {}
    for c in np.unique(groups):
        rows = log_p[groups == c]
        if len(rows) >= min_count:
            per_class[int(c)] = float(np.exp(mean_pairwise_kl(rows)))
    if not per_class:
        raise GanforgeError(f"m-IS needs a class with at least {min_count} samples")
    return float(np.mean(list(per_class.values()))), per_class


def _both_sides(
    fake_logits: np.ndarray, real_logits: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(log p(y|x), p(y|x)) of the fake rows and the logs of the fake and real mean class
    distributions."""
    log_p = exact_log_probabilities(fake_logits)
    log_real_marginal = log_marginal(exact_log_probabilities(real_logits))
    if log_p.shape[1] != len(log_real_marginal):
        raise GanforgeError("real and fake logits have different numbers of classes")
    return log_p, np.exp(log_p), log_marginal(log_p), log_real_marginal


def mode_score(fake_logits: np.ndarray, real_logits: np.ndarray) -> float:
    """Mode Score (Che et al. 2017), exp(E_x KL(p(y|x) || p(y)) - KL(p(y) || p*(y))).

    p(y) is the generated samples' mean class distribution and p*(y) the real (training) data's.
    This is the form of Xu et al. (2018): the printed form with p*(y) inside the first KL equals
    the log Inception Score algebraically (see docs/metrics.md).
    """
    log_p, p, log_fake, log_real = _both_sides(fake_logits, real_logits)
    terms = np.where(p > 0, p * (log_p - log_fake), 0.0)
    return float(np.exp(terms.sum(axis=1).mean() - _kl(log_fake, log_real)))


def am_score(fake_logits: np.ndarray, real_logits: np.ndarray) -> tuple[float, float, float]:
    """AM Score (Zhou et al. 2018): KL(C_train || C_G) + E_x H(C(x)); lower is better.

    C_train and C_G are the mean class distributions of the real and generated samples.
    Returns (score, the KL term, the mean entropy term).
    """
    _, p, log_fake, log_real = _both_sides(fake_logits, real_logits)
    kl = _kl(log_real, log_fake)
    entropy = float(entr(p).sum(axis=1).mean())  # -p log p, 0 at p = 0
    return kl + entropy, kl, entropy
