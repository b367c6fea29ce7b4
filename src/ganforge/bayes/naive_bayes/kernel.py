"""Kernel Naive Bayes: each class-conditional feature density is a 1-D Gaussian KDE."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import logsumexp

from .base import (
    BLOCK_VALUES,
    NaiveBayes,
    as_labels,
    as_matrix,
    check_priors,
    log_of,
    row_blocks,
    unique_labels,
)
from .errors import NaiveBayesError
from .gaussian import LOG_2PI

# The named bandwidth rules; a positive number is a factor given directly.
BANDWIDTH_RULES = ("scott", "silverman")


def bandwidth_factor(n: int, rule: str | float) -> float:
    """Bandwidth as a multiple of the sample std for a 1-D KDE of ``n`` points (as SciPy)."""
    if rule == "scott":
        return float(n ** (-1.0 / 5.0))
    if rule == "silverman":
        return float((n * 3.0 / 4.0) ** (-1.0 / 5.0))
    if isinstance(rule, str):
        names = ", ".join(repr(r) for r in BANDWIDTH_RULES)
        raise NaiveBayesError(f"bandwidth must be {names} or a positive factor, got {rule!r}")
    if not (np.isfinite(rule) and rule > 0):
        raise NaiveBayesError(f"a numeric bandwidth factor must be positive, got {rule}")
    return float(rule)


class KernelNB(NaiveBayes):
    """Naive Bayes whose p(x_j | c) is a Gaussian kernel density estimate of class c's values.

    The kernel width of feature j in class c is ``factor * std`` (sample std, n - 1), with the
    factor from Scott's or Silverman's rule for one dimension (as ``scipy.stats.gaussian_kde``)
    or given as a number; ``var_smoothing`` adds ``var_smoothing * max variance`` to every
    squared width so constant features do not give zero-width kernels.
    """

    def __init__(
        self, *, bandwidth: str | float = "scott", priors: Any = None, var_smoothing: float = 1e-9
    ) -> None:
        self.bandwidth = bandwidth
        self.priors = priors
        self.var_smoothing = var_smoothing

    def fit(self, X: Any, y: Any) -> KernelNB:
        """Keep each class's training rows and pick a kernel width per class and feature."""
        if not (np.isfinite(self.var_smoothing) and self.var_smoothing >= 0):
            raise NaiveBayesError(f"var_smoothing must be >= 0, got {self.var_smoothing}")
        X = as_matrix(X, type(self).__name__)
        y = as_labels(y, X.shape[0])
        self._reset()
        self.classes_, codes = unique_labels(y)
        self.n_features_in_ = X.shape[1]
        self.class_count_ = np.bincount(codes, minlength=len(self.classes_)).astype(np.float64)
        self.samples_ = [X[codes == k] for k in range(len(self.classes_))]
        self.epsilon_ = float(self.var_smoothing * X.var(axis=0).max())
        widths = []
        for rows in self.samples_:
            std = rows.std(axis=0, ddof=1) if rows.shape[0] > 1 else np.zeros(X.shape[1])
            widths.append(bandwidth_factor(rows.shape[0], self.bandwidth) * std)
        self.bandwidth_ = np.array(widths)
        self.kernel_var_ = self.bandwidth_**2 + self.epsilon_
        if (self.kernel_var_ <= 0).any():
            k, j = np.argwhere(self.kernel_var_ <= 0)[0]
            raise NaiveBayesError(
                f"{self._feature(j)} does not vary within class {self._class(k)!r}, so its kernel "
                "has zero width; set var_smoothing > 0 (the default is 1e-9)"
            )
        if self.priors is None:
            prior = self.class_count_ / self.class_count_.sum()
        else:
            prior = check_priors(self.priors, len(self.classes_))
        self.class_prior_ = prior
        self.class_log_prior_ = log_of(prior)
        return self

    def _log_likelihood(self, X: Any) -> np.ndarray:
        X = as_matrix(X, type(self).__name__)
        self._check_width(X)
        out = np.empty((X.shape[0], len(self.classes_)))
        for k, points in enumerate(self.samples_):
            var = self.kernel_var_[k]
            scale = -0.5 / var
            const = -np.log(points.shape[0]) - 0.5 * (LOG_2PI + np.log(var))
            for rows in row_blocks(X.shape[0], points.shape[0], BLOCK_VALUES):
                total = np.zeros(rows.stop - rows.start)
                for j in range(X.shape[1]):
                    diff = X[rows, j, None] - points[None, :, j]
                    total += logsumexp(diff * diff * scale[j], axis=1)
                out[rows, k] = total + const.sum()
        return out
