"""Categorical Naive Bayes for nominal features, with Laplace/Lidstone smoothing."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from .base import NaiveBayes, as_labels, count_log_prior, log_of, plain, unique_labels
from .columns import CategoryCoder, as_columns
from .errors import NaiveBayesError, UnseenCategoryError

UNSEEN_POLICIES = ("error", "ignore", "smooth")


def _per_feature(value: Any, n_features: int, name: str) -> list[Any]:
    """A scalar or per-feature sequence setting as one entry per feature."""
    if value is None or np.isscalar(value):
        return [value] * n_features
    values = list(value)
    if len(values) != n_features:
        raise NaiveBayesError(f"{name} has {len(values)} entries but X has {n_features} features")
    return values


class CategoricalNB(NaiveBayes):
    """Naive Bayes over nominal features: P(x_j = v | c) = (N_cjv + alpha) / (N_c + alpha n_j).

    Values may be any hashables (strings, numbers, tuples). Columns of non-negative whole
    numbers are category codes 0..max as in scikit-learn; ``categories`` (one list per feature)
    fixes the categories up front instead. ``unseen`` says what a value never seen in training
    does at prediction time: ``"error"``, ``"ignore"`` (the feature is left out of that row's
    score) or ``"smooth"`` (it gets the probability of a zero-count category).
    """

    def __init__(
        self,
        *,
        alpha: float = 1.0,
        fit_prior: bool = True,
        class_prior: Any = None,
        min_categories: int | list[int] | None = None,
        categories: list[Any] | None = None,
        unseen: Literal["error", "ignore", "smooth"] = "error",
    ) -> None:
        self.alpha = alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior
        self.min_categories = min_categories
        self.categories = categories
        self.unseen = unseen

    def _check_params(self) -> None:
        if not (np.isfinite(self.alpha) and self.alpha >= 0):
            raise NaiveBayesError(f"alpha must be >= 0, got {self.alpha}")
        if self.unseen not in UNSEEN_POLICIES:
            raise NaiveBayesError(f"unseen must be one of {UNSEEN_POLICIES}, got {self.unseen!r}")
        if self.unseen == "smooth" and self.alpha == 0:
            raise NaiveBayesError("unseen='smooth' needs alpha > 0 (with alpha=0 it is 'error')")

    def fit(self, X: Any, y: Any) -> CategoricalNB:
        """Count category frequencies per class and feature, then smooth them."""
        self._check_params()
        columns = as_columns(X, type(self).__name__)
        y = as_labels(y, columns[0].shape[0])
        self._reset()
        self.classes_, codes = unique_labels(y)
        n_classes = len(self.classes_)
        self.n_features_in_ = len(columns)
        minimum = _per_feature(self.min_categories, len(columns), "min_categories")
        declared = _per_feature(self.categories, len(columns), "categories")
        self.coders_ = [
            CategoryCoder(col, m or 0, cats) for col, m, cats in zip(columns, minimum, declared)
        ]
        self.class_count_ = np.bincount(codes, minlength=n_classes).astype(np.float64)
        self.category_count_ = []
        for j, (coder, col) in enumerate(zip(self.coders_, columns)):
            cat = coder.encode(col)
            if (cat < 0).any():
                bad = col[np.flatnonzero(cat < 0)[0]]
                raise NaiveBayesError(
                    f"{self._feature(j)} has value {plain(bad)!r}, which is not in its "
                    f"declared categories ({coder.describe()}); add it to categories"
                )
            n_cat = coder.n_categories
            flat = np.bincount(codes * n_cat + cat, minlength=n_classes * n_cat)
            self.category_count_.append(flat.reshape(n_classes, n_cat).astype(np.float64))
        self.n_categories_ = np.array([c.n_categories for c in self.coders_], dtype=np.int64)
        self.class_log_prior_ = count_log_prior(self.class_count_, self.fit_prior, self.class_prior)
        self.feature_log_prob_ = []
        for counts in self.category_count_:
            smoothed = counts + self.alpha
            self.feature_log_prob_.append(
                log_of(smoothed) - log_of(smoothed.sum(axis=1, keepdims=True))
            )
        return self

    def _log_likelihood(self, X: Any) -> np.ndarray:
        columns = as_columns(X, type(self).__name__)
        self._check_width(columns)
        out = np.zeros((columns[0].shape[0], len(self.classes_)))
        for j, (coder, col) in enumerate(zip(self.coders_, columns)):
            cat = coder.encode(col)
            unseen = cat < 0
            part = self.feature_log_prob_[j][:, np.where(unseen, 0, cat)].T
            if unseen.any():
                if self.unseen == "error":
                    row = int(np.flatnonzero(unseen)[0])
                    raise UnseenCategoryError(
                        f"{self._feature(j)} has value {plain(col[row])!r} (row {row}) that "
                        "training never "
                        f"saw (known: {coder.describe()}); use unseen='ignore' to leave such "
                        "values out of the score or unseen='smooth' to treat them as zero-count "
                        "categories"
                    )
                part[unseen] = 0.0
                if self.unseen == "smooth":
                    denominator = self.class_count_ + self.alpha * coder.n_categories
                    part[unseen] = np.log(self.alpha) - np.log(denominator)
            out += part
        return out
