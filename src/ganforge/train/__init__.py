"""Training: the engine (the one loop), the recipes (what a step means per family), schedules,
and the run orchestration that builds everything from a config (``train``)."""

from ganforge.device import resolve_device
from ganforge.train.engine import Engine, TrainResult
from ganforge.train.orchestration import (
    EvaluatorFactory,
    RunEvaluator,
    check_loss_fits,
    train,
    with_defaults,
)

__all__ = [
    "Engine",
    "EvaluatorFactory",
    "RunEvaluator",
    "TrainResult",
    "check_loss_fits",
    "resolve_device",
    "train",
    "with_defaults",
]
