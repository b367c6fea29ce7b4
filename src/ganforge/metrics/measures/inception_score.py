"""Inception Score (Salimans et al. 2016): exp E_x KL(p(y|x) || p(y)), mean and std over splits.

The rows are classifier logits (``kind="logits"``, the default: softmax is applied, as in the
reference code) or class probabilities p(y|x) (``kind="probs"``). The caller says which; nothing
is guessed from the values, because a row of logits can look like a row of probabilities.
"""

from __future__ import annotations

import logging
from typing import Literal, get_args

import numpy as np
from scipy.special import log_softmax

from ganforge.errors import GanforgeError

log = logging.getLogger("ganforge.metrics")

ScoreKind = Literal["logits", "probs"]
SCORE_KINDS: tuple[str, ...] = get_args(ScoreKind)
PROB_TOLERANCE = 1e-3  # how far a probability row's sum may stray from 1 (float16 softmax)


def _looks_like_probabilities(x: np.ndarray) -> bool:
    return x.shape[1] > 1 and bool((x >= 0).all()) and bool(np.allclose(x.sum(axis=1), 1.0))


def class_log_probs(scores: np.ndarray, kind: ScoreKind = "logits") -> np.ndarray:
    """log p(y|x) for each row of ``scores``: log-softmax of logits (``-inf`` rules a class
    out), or the log of probabilities (checked, then renormalised to sum to exactly 1)."""
    if kind not in SCORE_KINDS:
        raise GanforgeError(f"kind must be one of {', '.join(SCORE_KINDS)}, got {kind!r}")
    if kind == "logits":
        if np.isnan(scores).any() or np.isposinf(scores).any():
            raise GanforgeError("the logits contain NaN or +inf")
        if _looks_like_probabilities(scores):
            log.warning(
                "the Inception Score was given logits whose rows are non-negative and sum to 1; "
                "if they are probabilities, pass kind='probs' (softmax of probabilities is wrong)"
            )
        with np.errstate(invalid="ignore"):
            log_p = log_softmax(scores, axis=1)
        if np.isnan(log_p).any():
            raise GanforgeError("a row of logits has no finite value (every class ruled out)")
        return log_p
    if not np.isfinite(scores).all() or scores.min() < 0:
        raise GanforgeError("class probabilities must be finite and non-negative")
    sums = scores.sum(axis=1)
    worst = int(np.argmax(np.abs(sums - 1.0)))
    if abs(sums[worst] - 1.0) > PROB_TOLERANCE:
        raise GanforgeError(
            f"class probabilities must sum to 1 in every row (row {worst} sums to "
            f"{sums[worst]:.6g}); for unnormalised scores pass kind='logits'"
        )
    with np.errstate(divide="ignore"):
        return np.log(scores / sums[:, None])


def inception_score(
    scores: np.ndarray,
    splits: int = 10,
    shuffle: bool = False,
    seed: int = 0,
    *,
    kind: ScoreKind = "logits",
) -> tuple[float, float]:
    """(mean, std) of the score over ``splits`` consecutive chunks of p(y|x).

    ``scores`` is (n, classes): logits (``kind="logits"``, softmax applied) or probabilities
    (``kind="probs"``). Chunk i holds rows [i N / splits, (i + 1) N / splits) (integer
    division), as in the reference code (torch-fidelity, the original TensorFlow script); the
    std is the population std (ddof 0). ``shuffle`` permutes the rows first with ``seed``.
    Terms with p(y|x) = 0 contribute 0 (the limit of p log p), never NaN.
    """
    scores = np.asarray(scores, dtype=np.float64)
    n = len(scores)
    if scores.ndim != 2 or n < splits or splits < 1:
        raise GanforgeError(
            f"the Inception Score needs (n, classes) {kind} with n >= splits={splits}; "
            f"got shape {scores.shape}"
        )
    if shuffle:
        scores = scores[np.random.default_rng(seed).permutation(n)]
    log_p = class_log_probs(scores, kind)
    p = np.exp(log_p)
    results = []
    for i in range(splits):
        rows = slice(i * n // splits, (i + 1) * n // splits)
        chunk, log_chunk = p[rows], log_p[rows]
        terms = np.zeros_like(chunk)
        with np.errstate(divide="ignore", invalid="ignore"):  # -inf where p(y|x) = 0 ...
            log_ratio = log_chunk - np.log(chunk.mean(axis=0))
        # ... which is skipped: p log(p / p(y)) only where p > 0 (so also where p(y) > 0)
        np.multiply(chunk, log_ratio, out=terms, where=chunk > 0)
        results.append(np.exp(terms.sum(axis=1).mean()))
    return float(np.mean(results)), float(np.std(results))
