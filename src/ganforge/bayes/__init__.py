"""Bayesian tools that depend on nothing else in ganforge: Naive Bayes and Bayesian optimisation.

Bayesian optimisation: ``minimize(f, space, n_calls)`` or an ``Optimizer`` with ``ask``/``tell``
over a ``Space`` of ``Real``, ``Integer`` and ``Categorical`` dimensions.
"""

from ganforge.bayes.optimize.acquisition import ACQUISITION_CHOICES
from ganforge.bayes.optimize.gp import GaussianProcess
from ganforge.bayes.optimize.loop import Optimizer, OptimizeResult, minimize
from ganforge.bayes.optimize.space import Categorical, Integer, Real, Space

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
