"""Optimisers by name with per-loss defaults, and learning-rate schedules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ganforge.config import OptimConfig
from ganforge.losses import OptimDefaults


@dataclass(frozen=True)
class ResolvedOptim:
    """Concrete optimiser settings after filling the config's nulls from the loss defaults."""

    name: str
    lr_g: float
    lr_d: float
    betas: tuple[float, float]
    eps: float
    weight_decay: float
    n_critic: int
    lr_schedule: str
    decay_start: float

    def as_config(self) -> dict[str, Any]:
        """The values to write back into the run's saved config."""
        return {
            "name": self.name,
            "lr_g": self.lr_g,
            "lr_d": self.lr_d,
            "betas": list(self.betas),
            "eps": self.eps,
            "n_critic": self.n_critic,
        }


def resolve_optim(cfg: OptimConfig, base: OptimDefaults) -> ResolvedOptim:
    """Merge the config (non-null values win) with a loss's documented defaults."""

    def pick(value: Any, default: Any) -> Any:
        return default if value is None else value

    return ResolvedOptim(
        pick(cfg.name, base.name),
        pick(cfg.lr_g, base.lr_g),
        pick(cfg.lr_d, base.lr_d),
        tuple(pick(cfg.betas, base.betas)),
        pick(cfg.eps, base.eps),
        cfg.weight_decay,
        pick(cfg.n_critic, base.n_critic),
        cfg.lr_schedule,
        cfg.decay_start,
    )


def make_optimizer(params: Any, settings: ResolvedOptim, lr: float) -> torch.optim.Optimizer:
    """An Adam, RMSprop or SGD optimiser over ``params``."""
    if settings.name == "adam":
        return torch.optim.Adam(
            params,
            lr=lr,
            betas=settings.betas,
            eps=settings.eps,
            weight_decay=settings.weight_decay,
        )
    if settings.name == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=lr, eps=settings.eps, weight_decay=settings.weight_decay
        )
    return torch.optim.SGD(
        params, lr=lr, momentum=settings.betas[0], weight_decay=settings.weight_decay
    )


def lr_factor(schedule: str, progress: float, decay_start: float) -> float:
    """Multiplier on the base learning rate at ``progress`` in [0, 1] of the budget."""
    if schedule == "constant" or progress <= decay_start:
        return 1.0
    return max(0.0, 1.0 - (progress - decay_start) / max(1e-12, 1.0 - decay_start))


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set every parameter group's learning rate."""
    for group in optimizer.param_groups:
        group["lr"] = lr


def set_requires_grad(module: nn.Module, flag: bool) -> None:
    """Freeze or unfreeze a module's parameters."""
    for p in module.parameters():
        p.requires_grad_(flag)
