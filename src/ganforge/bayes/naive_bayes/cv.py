"""K-fold cross-validation for the Naive Bayes models (accuracy per fold).

Two ways to cut the folds: ``shuffled`` (a seeded NumPy permutation split into folds whose sizes
differ by at most one, so every row is tested once) and ``walkthrough`` (the classic from-scratch
walk-through's: Python's ``random`` seeded, each fold drawn row by row with ``randrange`` from
the rows left; every fold has n // k rows and the n % k rows left over are neither tested nor
trained on).
"""

from __future__ import annotations

import random
import typing
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from .base import NaiveBayes, as_labels
from .errors import NaiveBayesError

FoldKind = Literal["shuffled", "walkthrough"]
FOLD_KINDS: tuple[str, ...] = typing.get_args(FoldKind)
DEFAULT_SEEDS = {"shuffled": 0, "walkthrough": 1}  # the walk-through calls random.seed(1)


def kfold_indices(
    n_rows: int, n_folds: int, seed: int | None = None, kind: FoldKind = "shuffled"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row indices of ``n_folds`` folds cut the ``kind`` way.

    ``seed`` None is the kind's own default (0; the walk-through's 1).
    """
    if kind not in FOLD_KINDS:
        raise NaiveBayesError(f"folds must be one of {FOLD_KINDS}, got {kind!r}")
    if n_folds < 2:
        raise NaiveBayesError(f"cross-validation needs at least 2 folds, got {n_folds}")
    if n_folds > n_rows:
        raise NaiveBayesError(
            f"{n_folds} folds need at least {n_folds} rows, the data has {n_rows}; use fewer folds"
        )
    seed = DEFAULT_SEEDS[kind] if seed is None else seed
    if kind == "walkthrough":
        folds = walkthrough_folds(n_rows, n_folds, seed)
    else:
        folds = np.array_split(np.random.default_rng(seed).permutation(n_rows), n_folds)
    return [
        (np.concatenate([f for i, f in enumerate(folds) if i != k]), test)
        for k, test in enumerate(folds)
    ]


def walkthrough_folds(n_rows: int, n_folds: int, seed: int = 1) -> list[np.ndarray]:
    """The walk-through's folds: ``random.seed(seed)``, then n // k rows per fold, each drawn
    with ``randrange`` from the rows not drawn yet (the remainder is left out)."""
    draw = random.Random(seed)
    left = list(range(n_rows))
    size = n_rows // n_folds
    return [
        np.array([left.pop(draw.randrange(len(left))) for _ in range(size)], dtype=np.int64)
        for _ in range(n_folds)
    ]


def cross_val_accuracy(
    make: Callable[[], NaiveBayes],
    X: Any,
    y: Any,
    n_folds: int = 5,
    seed: int | None = None,
    kind: FoldKind = "shuffled",
) -> list[float]:
    """Accuracy on each held-out fold of a model built by ``make()`` and fitted on the others."""
    X = np.asarray(X) if not isinstance(X, np.ndarray) else X
    y = as_labels(y, X.shape[0])
    return [
        make().fit(X[train], y[train]).score(X[test], y[test])
        for train, test in kfold_indices(X.shape[0], n_folds, seed, kind)
    ]
