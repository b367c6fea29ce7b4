"""Mixed Naive Bayes: numeric columns by a Gaussian (or kernel) model, nominal ones by counts."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from .base import (
    NaiveBayes,
    as_labels,
    as_matrix,
    check_priors,
    log_of,
    plain,
    unique_labels,
)
from .categorical import CategoricalNB
from .columns import as_columns, stack_columns
from .errors import NaiveBayesError
from .gaussian import GaussianNB
from .kernel import KernelNB


def nominal_columns(columns: list[np.ndarray], nominal: Any) -> list[int]:
    """Indices of the nominal columns: given explicitly, or every non-numeric column."""
    if isinstance(nominal, str):
        if nominal != "auto":
            raise NaiveBayesError(
                f"nominal must be 'auto' or a list of column indices, not {nominal!r}"
            )
        return [j for j, col in enumerate(columns) if col.dtype.kind not in "iuf"]
    chosen = sorted({int(j) for j in nominal})
    bad = [j for j in chosen if not 0 <= j < len(columns)]
    if bad:
        raise NaiveBayesError(
            f"nominal column indices {bad} are out of range; X has {len(columns)} columns "
            f"(0 to {len(columns) - 1})"
        )
    return chosen


class MixedNB(NaiveBayes):
    """Naive Bayes over a table of numeric and nominal columns together.

    Numeric columns are modelled by ``GaussianNB`` (``numeric="gaussian"``; ``ddof`` and
    ``var_smoothing`` as there) or ``KernelNB`` (``numeric="kernel"``; ``bandwidth``), nominal
    columns by ``CategoricalNB`` (``alpha``, ``min_categories``, ``categories``, ``unseen``
    for the nominal columns in order). ``nominal`` lists the nominal column indices, or
    ``"auto"`` takes every column whose values are not all numbers. The class prior is counted
    once: log P(c) + sum over numeric columns + sum over nominal columns.
    """

    def __init__(
        self,
        *,
        nominal: Literal["auto"] | list[int] = "auto",
        numeric: Literal["gaussian", "kernel"] = "gaussian",
        priors: Any = None,
        var_smoothing: float = 1e-9,
        ddof: int = 0,
        bandwidth: str | float = "scott",
        alpha: float = 1.0,
        min_categories: int | list[int] | None = None,
        categories: list[Any] | None = None,
        unseen: Literal["error", "ignore", "smooth"] = "error",
    ) -> None:
        self.nominal = nominal
        self.numeric = numeric
        self.priors = priors
        self.var_smoothing = var_smoothing
        self.ddof = ddof
        self.bandwidth = bandwidth
        self.alpha = alpha
        self.min_categories = min_categories
        self.categories = categories
        self.unseen = unseen

    def _numeric_model(self) -> GaussianNB | KernelNB:
        if self.numeric == "gaussian":
            return GaussianNB(var_smoothing=self.var_smoothing, ddof=self.ddof)
        if self.numeric == "kernel":
            return KernelNB(bandwidth=self.bandwidth, var_smoothing=self.var_smoothing)
        raise NaiveBayesError(f"numeric must be 'gaussian' or 'kernel', got {self.numeric!r}")

    def _name_features(self, model: NaiveBayes, columns: list[int]) -> NaiveBayes:
        """Let a part's error messages name columns as in the whole table."""
        if self.feature_names is not None:
            model.feature_names = [self.feature_names[j] for j in columns]
        else:
            model.feature_names = list(columns)
        return model

    def _split(self, columns: list[np.ndarray]) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The numeric columns as a float matrix and the nominal ones as an object table."""
        numeric = [columns[j] for j in self.numeric_columns_]
        nominal = [columns[j] for j in self.nominal_columns_]
        name = type(self).__name__
        for j, col in zip(self.numeric_columns_, numeric):
            if col.dtype.kind not in "iufb":
                raise NaiveBayesError(
                    f"{name}: {self._feature(j)} is numeric in training but holds "
                    f"{plain(col[0])!r}-like values here; give it numbers or list it in nominal"
                )
        return (
            as_matrix(np.column_stack(numeric), name) if numeric else None,
            stack_columns(nominal) if nominal else None,
        )

    def fit(self, X: Any, y: Any) -> MixedNB:
        """Fit the numeric and the nominal part on the same classes."""
        columns = as_columns(X, type(self).__name__)
        y = as_labels(y, columns[0].shape[0])
        self._reset()
        self.classes_, codes = unique_labels(y)
        self.n_features_in_ = len(columns)
        self.nominal_columns_ = nominal_columns(columns, self.nominal)
        self.numeric_columns_ = [j for j in range(len(columns)) if j not in self.nominal_columns_]
        numeric, nominal = self._split(columns)
        self.numeric_model_ = None
        if numeric is not None:
            model = self._name_features(self._numeric_model(), self.numeric_columns_)
            self.numeric_model_ = model.fit(numeric, codes)
        self.nominal_model_ = None
        if nominal is not None:
            model = CategoricalNB(
                alpha=self.alpha,
                min_categories=self.min_categories,
                categories=self.categories,
                unseen=self.unseen,
            )
            self.nominal_model_ = self._name_features(model, self.nominal_columns_).fit(
                nominal, codes
            )
        self.class_count_ = np.bincount(codes, minlength=len(self.classes_)).astype(np.float64)
        if self.priors is None:
            self.class_prior_ = self.class_count_ / self.class_count_.sum()
        else:
            self.class_prior_ = check_priors(self.priors, len(self.classes_))
        self.class_log_prior_ = log_of(self.class_prior_)
        return self

    def _log_likelihood(self, X: Any) -> np.ndarray:
        columns = as_columns(X, type(self).__name__)
        self._check_width(columns)
        numeric, nominal = self._split(columns)
        out = np.zeros((columns[0].shape[0], len(self.classes_)))
        for model, part in ((self.numeric_model_, numeric), (self.nominal_model_, nominal)):
            if model is not None:
                out += model.feature_log_likelihood(part)
        return out
