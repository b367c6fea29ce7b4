"""Bayesian tools that depend on nothing else in ganforge: Naive Bayes and Bayesian optimisation.

Bayesian optimisation: ``minimize(f, space, n_calls)`` or an ``Optimizer`` with ``ask``/``tell``
over a ``Space`` of ``Real``, ``Integer`` and ``Categorical`` dimensions.
"""

from ganforge.bayes.acquisition import ACQUISITION_CHOICES
from ganforge.bayes.gp import GaussianProcess
from ganforge.bayes.optimize import Optimizer, OptimizeResult, minimize
from ganforge.bayes.space import Categorical, Integer, Real, Space

__all__ = [
    "ACQUISITION_CHOICES",
    "Categorical",
    "GaussianProcess",
    "Integer",
    "OptimizeResult",
    "Optimizer",
    "Real",
    "Space",
    "minimize",
]
