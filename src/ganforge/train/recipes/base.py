"""A recipe says what one optimisation step means for a model family; the engine does the rest."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ganforge.config import Config
from ganforge.data.base import DataInfo
from ganforge.train.precision import Precision, compiler, finite_logs, memory_format
from ganforge.train.step_logs import Logs

log = logging.getLogger("ganforge.train")


@dataclass
class Phase:
    """A stretch of training with its own batch size; ``snapshot`` names what its end saves."""

    name: str
    steps: int
    batch_size: int | None = None
    snapshot: str | None = None


@dataclass
class Preview:
    """What a sample grid shows: samples (images in [-1, 1] or points) and optional captions."""

    samples: torch.Tensor
    captions: list[str] | None = None
    nrow: int | None = None  # images per grid row (e.g. 3 for input | output | target triples)


class Recipe:
    """Owns models, optimisers and losses; exposes step, sample and state.

    Subclasses fill ``models`` (every module whose weights are saved), ``optimizers`` and
    ``generators()`` (what the engine keeps an EMA of and samples from). They place models with
    ``place`` (device and ``train.channels_last``), run forward passes in
    ``precision.autocast()`` and step optimisers with ``update`` (``train.precision``, see
    ``train/precision.py``), and call each model through the attribute named like its key
    in ``models`` (which ``compile_models`` may replace by a compiled one).
    """

    batches_per_step: int = 1

    @staticmethod
    def make_schedule() -> Any:
        """The recipe's schedule from the ``schedule`` config section: its keyword-only
        parameters are the keys that section may set (none by default)."""
        return None

    def __init__(self, cfg: Config, info: DataInfo, device: torch.device) -> None:
        self.cfg, self.info, self.device = cfg, info, device
        self.schedule = self.make_schedule(**cfg.schedule)
        self.models: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.precision = Precision(cfg.train.precision, device)

    def place(self, module: nn.Module) -> nn.Module:
        """``module`` on the training device, in the configured memory format."""
        return module.to(self.device, memory_format=memory_format(self.cfg.train.channels_last))

    def eager_models(self) -> dict[str, str]:
        """Models that ``train.compile`` leaves eager, with the reason (none by default)."""
        return {}

    def compile_models(self) -> None:
        """With ``train.compile``, call the models through ``torch.compile`` in the training
        step; ``models`` (state dicts, the EMA's copies) keep the eager originals."""
        if not self.cfg.train.compile:
            return
        compile_module = compiler(self.device)
        eager = self.eager_models()
        for name in self.models:
            if name in eager:
                log.info("train.compile: %s stays eager (%s)", name, eager[name])
                continue
            setattr(self, name, compile_module(getattr(self, name)))
        if set(self.models) <= set(eager):
            log.warning("train.compile=true compiles nothing for %s", self.cfg.model.name)

    # -- the training step ------------------------------------------------------------------
    def step(self, batches: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor | float]:
        """One generator update (and its discriminator updates); returns scalar logs as 0-d
        detached tensors (read back only when a log line is written) or floats."""
        raise NotImplementedError

    def update(self, name: str, loss: torch.Tensor, logs: Logs) -> Logs:
        """Backpropagate ``loss`` and step optimiser ``name`` in the configured precision;
        ``logs`` gain ``overflow_<name>`` under fp16 (and lose a skipped step's non-finite
        values, see ``train/precision.py``)."""
        overflow = self.precision.update(name, self.optimizers[name], loss)
        if overflow is None:
            return logs
        return {**finite_logs(logs, overflow), f"overflow_{name}": overflow}

    def phases(self, total_steps: int) -> list[Phase]:
        """The phases of training; one by default."""
        return [Phase("train", total_steps)]

    def set_progress(self, phase: int, fraction: float, overall: float) -> None:
        """Called before every step with the position in the phase and in the whole budget."""

    # -- sampling ---------------------------------------------------------------------------
    def generators(self) -> dict[str, nn.Module]:
        """The modules that produce samples (tracked by the EMA)."""
        raise NotImplementedError

    def fixed_inputs(self, n: int, seed: int) -> dict[str, torch.Tensor]:
        """Deterministic inputs for the periodic sample grids."""
        raise NotImplementedError

    def preview(self, inputs: dict[str, torch.Tensor], generators: dict[str, nn.Module]) -> Preview:
        """Samples for a grid from fixed inputs."""
        raise NotImplementedError

    def sample(self, n: int, generators: dict[str, nn.Module], seed: int) -> torch.Tensor:
        """``n`` samples in [-1, 1] (for metrics), deterministic in ``seed``."""
        raise NotImplementedError

    # -- state ------------------------------------------------------------------------------
    def extra_state(self) -> dict[str, Any]:
        """Recipe state beyond models and optimisers (loss state, grad scalers)."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore extra_state."""

    def state_dict(self) -> dict[str, Any]:
        """Models, optimisers and extra state."""
        return {
            "models": {k: m.state_dict() for k, m in self.models.items()},
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "extra": self.extra_state(),
            "precision": self.precision.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore state_dict."""
        for k, m in self.models.items():
            m.load_state_dict(state["models"][k])
        for k, o in self.optimizers.items():
            o.load_state_dict(state["optimizers"][k])
        self.load_extra_state(state.get("extra", {}))
        self.precision.load_state_dict(state.get("precision", {}))

    def resolved_config(self) -> dict[str, Any]:
        """Config values the recipe filled in (optimiser defaults), saved with the run."""
        return {}
