"""Classifier two-sample test (Lopez-Paz and Oquab 2017): can a classifier tell real from fake?

Cross-validated accuracy of a classifier trained on real (label 0) versus fake (label 1) features,
on balanced classes: 0.5 means indistinguishable, 1.0 means perfectly separable. The p-value is
the one-sided binomial test of the correct predictions against chance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.kernels import centred


@dataclass
class C2ST:
    """Mean and std of the fold accuracies, the p-value against chance, samples per class."""

    accuracy: float
    std: float
    p_value: float
    per_class: int


def _classifier(kind: str, seed: int):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "knn":
        return KNeighborsClassifier(n_neighbors=1)
    if kind == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    raise GanforgeError(f"unknown c2st classifier {kind!r}; use knn or logistic")


def classifier_two_sample_test(
    real: np.ndarray,
    fake: np.ndarray,
    classifier: Literal["knn", "logistic"] = "knn",
    folds: int = 5,
    seed: int = 0,
) -> C2ST:
    """Cross-validated real-vs-fake accuracy (1-NN by default, as Xu et al. 2018 recommend)."""
    from scipy.stats import binomtest
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    n = min(len(real), len(fake))
    if n < folds:
        raise GanforgeError(f"the two-sample test needs at least {folds} samples per side")
    rng = np.random.default_rng(seed)
    x = np.concatenate(
        centred(  # the 1-NN classifier compares distances
            real[rng.choice(len(real), n, replace=False)],
            fake[rng.choice(len(fake), n, replace=False)],
        )
    )
    y = np.repeat([0, 1], n)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predicted = cross_val_predict(_classifier(classifier, seed), x, y, cv=splitter)
    correct = predicted == y
    fold_acc = [correct[test].mean() for _, test in splitter.split(x, y)]
    p_value = binomtest(int(correct.sum()), len(y), 0.5, alternative="greater").pvalue
    return C2ST(float(correct.mean()), float(np.std(fold_acc)), float(p_value), n)
