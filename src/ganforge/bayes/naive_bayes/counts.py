"""Bernoulli and multinomial Naive Bayes: class-conditional feature counts, smoothed."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import (
    NaiveBayes,
    as_labels,
    as_matrix,
    count_log_prior,
    log_of,
    onehot,
    unique_labels,
)
from .errors import NaiveBayesError


class CountNB(NaiveBayes):
    """Shared fitting of the count models: per-class feature sums, ``fit`` and ``partial_fit``."""

    def __init__(self, *, alpha: float = 1.0, fit_prior: bool = True, class_prior: Any = None):
        self.alpha = alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def _features(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _update_log_prob(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _prepare(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        if not (np.isfinite(self.alpha) and self.alpha >= 0):
            raise NaiveBayesError(f"alpha must be >= 0, got {self.alpha}")
        X = self._features(as_matrix(X, type(self).__name__))
        return X, as_labels(y, X.shape[0])

    def fit(self, X: Any, y: Any) -> CountNB:
        """Sum the features of each class, then smooth the sums into log probabilities."""
        X, y = self._prepare(X, y)
        self._reset()
        self.classes_, codes = unique_labels(y)
        self._count(X, codes)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> CountNB:
        """Add one more chunk of rows to the counts; the first call needs ``classes``."""
        X, y = self._prepare(X, y)
        self._check_width(X)
        self._count(X, self._partial_fit_codes(y, classes))
        return self

    def _count(self, X: np.ndarray, codes: np.ndarray) -> None:
        n_classes = len(self.classes_)
        if getattr(self, "class_count_", None) is None:
            self.n_features_in_ = X.shape[1]
            self.class_count_ = np.zeros(n_classes)
            self.feature_count_ = np.zeros((n_classes, X.shape[1]))
        indicator = onehot(codes, n_classes)
        self.class_count_ += indicator.sum(axis=0)
        self.feature_count_ += indicator.T @ X
        self.class_log_prior_ = count_log_prior(self.class_count_, self.fit_prior, self.class_prior)
        self._update_log_prob()


class BernoulliNB(CountNB):
    """Naive Bayes for binary features: P(x_j = 1 | c) = (N_cj + alpha) / (N_c + 2 alpha).

    ``binarize`` turns each value into ``x > binarize``; with ``binarize=None`` the features
    must already be 0 or 1.
    """

    def __init__(
        self,
        *,
        alpha: float = 1.0,
        binarize: float | None = 0.0,
        fit_prior: bool = True,
        class_prior: Any = None,
    ) -> None:
        super().__init__(alpha=alpha, fit_prior=fit_prior, class_prior=class_prior)
        self.binarize = binarize

    def _features(self, X: np.ndarray) -> np.ndarray:
        if self.binarize is not None:
            return np.greater(X, self.binarize).astype(np.float64)
        if not np.isin(X, (0.0, 1.0)).all():
            row, col = np.argwhere(~np.isin(X, (0.0, 1.0)))[0]
            raise NaiveBayesError(
                f"BernoulliNB with binarize=None needs 0/1 features, got {X[row, col]} at row "
                f"{row}, column {col}; set binarize=THRESHOLD to map x > THRESHOLD to 1"
            )
        return X

    def _update_log_prob(self) -> None:
        total = (self.class_count_ + 2.0 * self.alpha)[:, None]
        self.feature_log_prob_ = log_of(self.feature_count_ + self.alpha) - np.log(total)
        absent = self.class_count_[:, None] - self.feature_count_ + self.alpha
        self._absent_log_prob = log_of(absent) - np.log(total)

    def _log_likelihood(self, X: Any) -> np.ndarray:
        X = self._features(as_matrix(X, type(self).__name__))
        self._check_width(X)
        present, absent = self.feature_log_prob_, self._absent_log_prob
        return X @ (present - absent).T + absent.sum(axis=1)


class MultinomialNB(CountNB):
    """Naive Bayes for counts (e.g. word counts): P(j | c) = (N_cj + alpha) / (N_c + alpha d)."""

    def _features(self, X: np.ndarray) -> np.ndarray:
        if (X < 0).any():
            row, col = np.argwhere(X < 0)[0]
            raise NaiveBayesError(
                f"MultinomialNB needs non-negative counts, got {X[row, col]} at row {row}, "
                f"column {col}; use GaussianNB for real-valued features"
            )
        return X

    def _update_log_prob(self) -> None:
        smoothed = self.feature_count_ + self.alpha
        self.feature_log_prob_ = log_of(smoothed) - log_of(smoothed.sum(axis=1, keepdims=True))

    def _log_likelihood(self, X: Any) -> np.ndarray:
        X = self._features(as_matrix(X, type(self).__name__))
        self._check_width(X)
        return X @ self.feature_log_prob_.T
