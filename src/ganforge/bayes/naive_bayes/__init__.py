"""Naive Bayes classifiers with a scikit-learn style API (fit, predict, predict_proba, score).

Gaussian, categorical, Bernoulli, multinomial, kernel-density and mixed numeric/nominal models,
all scored in log space. Depends on NumPy and SciPy only.
"""

from __future__ import annotations

from typing import Any

from .base import NaiveBayes
from .categorical import CategoricalNB
from .counts import BernoulliNB, MultinomialNB
from .cv import cross_val_accuracy, kfold_indices
from .errors import NaiveBayesError, NotFittedError, UnseenCategoryError
from .gaussian import GaussianNB, gaussian_logpdf, gaussian_pdf
from .kernel import KernelNB
from .mixed import MixedNB

MODELS: dict[str, type[NaiveBayes]] = {
    "gaussian": GaussianNB,
    "categorical": CategoricalNB,
    "bernoulli": BernoulliNB,
    "multinomial": MultinomialNB,
    "kernel": KernelNB,
    "mixed": MixedNB,
}


def make_model(name: str, **params: Any) -> NaiveBayes:
    """A model by its short name (``gaussian``, ``categorical``, ...) with keyword parameters."""
    if name not in MODELS:
        raise NaiveBayesError(f"unknown Naive Bayes model {name!r}; choose from {sorted(MODELS)}")
    return MODELS[name](**params)


__all__ = [
    "MODELS",
    "BernoulliNB",
    "CategoricalNB",
    "GaussianNB",
    "KernelNB",
    "MixedNB",
    "MultinomialNB",
    "NaiveBayes",
    "NaiveBayesError",
    "NotFittedError",
    "UnseenCategoryError",
    "cross_val_accuracy",
    "gaussian_logpdf",
    "gaussian_pdf",
    "kfold_indices",
    "make_model",
]
