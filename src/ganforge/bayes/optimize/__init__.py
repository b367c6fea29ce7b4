"""Bayesian optimisation: GP surrogate, acquisitions, the ask/tell loop, Optuna sampler."""

# the package answers to its old module's names (the module moved into it)
from ganforge.bayes.optimize.loop import (
    DETERMINISTIC_NOISE,
    STATE_VERSION,
    Optimizer,
    OptimizeResult,
    minimize,
)

__all__ = [
    "DETERMINISTIC_NOISE",
    "STATE_VERSION",
    "OptimizeResult",
    "Optimizer",
    "minimize",
]
