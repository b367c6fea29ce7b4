"""Gaussian Naive Bayes: per-class means and variances, streamed fitting, log-space scoring."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .base import (
    NaiveBayes,
    as_labels,
    as_matrix,
    check_priors,
    log_of,
    onehot,
    row_blocks,
    unique_labels,
)
from .errors import NaiveBayesError

LOG_2PI = math.log(2.0 * math.pi)


def gaussian_logpdf(x: Any, mean: Any, std: Any) -> np.ndarray:
    """Log density of the normal distribution N(mean, std^2) at ``x`` (broadcasting)."""
    z = (np.asarray(x, dtype=np.float64) - mean) / std
    return -0.5 * z * z - np.log(std) - 0.5 * LOG_2PI


def gaussian_pdf(x: Any, mean: Any, std: Any) -> np.ndarray:
    """Density of the normal distribution N(mean, std^2) at ``x`` (broadcasting)."""
    return np.exp(gaussian_logpdf(x, mean, std))


def merge_moments(
    count: np.ndarray,
    mean: np.ndarray,
    m2: np.ndarray,
    count_b: np.ndarray,
    mean_b: np.ndarray,
    m2_b: np.ndarray,
) -> None:
    """Fold group statistics (count, mean, sum of squared deviations) of a new chunk into the
    running ones in place (Chan, Golub and LeVeque's pairwise update); rows are groups."""
    total = count + count_b
    safe = np.where(total > 0, total, 1.0)
    delta = mean_b - mean
    mean += delta * (count_b / safe)[:, None]
    m2 += m2_b + delta * delta * (count * count_b / safe)[:, None]
    count += count_b


def chunk_moments(X: np.ndarray, codes: np.ndarray, n_classes: int) -> tuple[np.ndarray, ...]:
    """Per-class count, mean and sum of squared deviations of one chunk (two-pass, exact)."""
    indicator = onehot(codes, n_classes)
    count = indicator.sum(axis=0)
    mean = (indicator.T @ X) / np.where(count > 0, count, 1.0)[:, None]
    dev = X - mean[codes]
    np.multiply(dev, dev, out=dev)
    return count, mean, indicator.T @ dev


class GaussianNB(NaiveBayes):
    """Gaussian Naive Bayes with scikit-learn's conventions by default.

    ``var_smoothing`` adds ``var_smoothing * (largest per-feature variance of all data seen)``
    to every variance; ``ddof`` is 0 for the maximum-likelihood variance (scikit-learn) or 1 for
    the sample variance. ``GaussianNB.walkthrough()`` is the textbook convention: ddof=1, no
    smoothing. Fitting streams over row blocks, so ``partial_fit`` in chunks equals ``fit``.
    """

    def __init__(self, *, priors: Any = None, var_smoothing: float = 1e-9, ddof: int = 0) -> None:
        self.priors = priors
        self.var_smoothing = var_smoothing
        self.ddof = ddof

    @classmethod
    def walkthrough(cls, *, priors: Any = None) -> GaussianNB:
        """The textbook convention: sample variance (n - 1) and no variance smoothing."""
        return cls(priors=priors, var_smoothing=0.0, ddof=1)

    def _check_params(self) -> None:
        if not (np.isfinite(self.var_smoothing) and self.var_smoothing >= 0):
            raise NaiveBayesError(f"var_smoothing must be >= 0, got {self.var_smoothing}")
        if self.ddof not in (0, 1):
            raise NaiveBayesError(f"ddof must be 0 (scikit-learn) or 1 (sample), got {self.ddof}")

    def fit(self, X: Any, y: Any) -> GaussianNB:
        """Estimate class priors and per-class feature means and variances from (X, y)."""
        self._check_params()
        X = as_matrix(X, type(self).__name__)
        y = as_labels(y, X.shape[0])
        self._reset()
        self.classes_, codes = unique_labels(y)
        self._accumulate(X, codes)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> GaussianNB:
        """Update the fit with one more chunk; the first call needs ``classes``."""
        self._check_params()
        X = as_matrix(X, type(self).__name__)
        y = as_labels(y, X.shape[0])
        if getattr(self, "classes_", None) is not None:
            self._check_width(X)
        codes = self._partial_fit_codes(y, classes)
        self._accumulate(X, codes)
        return self

    def _accumulate(self, X: np.ndarray, codes: np.ndarray) -> None:
        n_classes, n_features = len(self.classes_), X.shape[1]
        if getattr(self, "class_count_", None) is None:
            self.n_features_in_ = n_features
            self.class_count_ = np.zeros(n_classes)
            self.theta_ = np.zeros((n_classes, n_features))
            self.m2_ = np.zeros((n_classes, n_features))
        for rows in row_blocks(X.shape[0], n_features):
            chunk = chunk_moments(X[rows], codes[rows], n_classes)
            merge_moments(self.class_count_, self.theta_, self.m2_, *chunk)
        self._finish()

    def _finish(self) -> None:
        """Derive priors, variances and the smoothing term from the running statistics."""
        count = self.class_count_
        seen = count > 0
        total = count.sum()
        grand = (count @ self.theta_) / total
        spread = self.m2_.sum(axis=0) + count @ (self.theta_ - grand) ** 2
        self.epsilon_ = float(self.var_smoothing * np.max(spread / total))
        usable = count > self.ddof
        divisor = np.where(usable, count - self.ddof, 1.0)[:, None]
        self.var_ = np.where(usable[:, None], self.m2_ / divisor, 0.0) + self.epsilon_
        if self.priors is None:
            self.class_prior_ = count / total
        else:
            self.class_prior_ = check_priors(self.priors, len(self.classes_))
        self.class_log_prior_ = np.where(seen, log_of(self.class_prior_), -np.inf)

    def _log_likelihood(self, X: Any) -> np.ndarray:
        X = as_matrix(X, type(self).__name__)
        self._check_width(X)
        seen = np.flatnonzero(self.class_count_ > 0)
        var = self.var_[seen]
        if (var <= 0).any():
            if self.var_smoothing > 0:
                raise NaiveBayesError(
                    "every feature is constant in the training data, so there is no variance "
                    "to smooth with; give features that vary"
                )
            k, j = np.argwhere(var <= 0)[0]
            raise NaiveBayesError(
                f"{self._feature(j)} has zero variance in class {self._class(seen[k])!r} (a "
                "constant feature, or one sample with ddof=1); set var_smoothing > 0 (default 1e-9)"
            )
        inv = 1.0 / var
        const = -0.5 * (LOG_2PI * X.shape[1] + np.log(var).sum(axis=1))
        out = np.full((X.shape[0], len(self.classes_)), -np.inf)
        quad = np.empty((X.shape[0], len(seen)))
        buf = np.empty((min(X.shape[0], next(row_blocks(X.shape[0], X.shape[1])).stop), X.shape[1]))
        for rows in row_blocks(X.shape[0], X.shape[1]):
            block = buf[: rows.stop - rows.start]
            for i, k in enumerate(seen):
                np.subtract(X[rows], self.theta_[k], out=block)
                np.multiply(block, block, out=block)
                quad[rows, i] = block @ inv[i]
        out[:, seen] = const - 0.5 * quad
        return out
