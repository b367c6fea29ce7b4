"""K-fold cross-validation for the Naive Bayes models (shuffled folds, accuracy per fold)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .nb_base import NaiveBayes, as_labels
from .nb_errors import NaiveBayesError


def kfold_indices(n_rows: int, n_folds: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row indices of ``n_folds`` folds of a seeded shuffle (sizes differ by <= 1)."""
    if n_folds < 2:
        raise NaiveBayesError(f"cross-validation needs at least 2 folds, got {n_folds}")
    if n_folds > n_rows:
        raise NaiveBayesError(
            f"{n_folds} folds need at least {n_folds} rows, the data has {n_rows}; use fewer folds"
        )
    order = np.random.default_rng(seed).permutation(n_rows)
    folds = np.array_split(order, n_folds)
    return [
        (np.concatenate([f for i, f in enumerate(folds) if i != k]), test)
        for k, test in enumerate(folds)
    ]


def cross_val_accuracy(
    make: Callable[[], NaiveBayes], X: Any, y: Any, n_folds: int = 5, seed: int = 0
) -> list[float]:
    """Accuracy on each held-out fold of a model built by ``make()`` and fitted on the rest."""
    X = np.asarray(X) if not isinstance(X, np.ndarray) else X
    y = as_labels(y, X.shape[0])
    return [
        make().fit(X[train], y[train]).score(X[test], y[test])
        for train, test in kfold_indices(X.shape[0], n_folds, seed)
    ]
