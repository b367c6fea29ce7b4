"""A recipe says what one optimisation step means for a model family; the engine does the rest."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ganforge.config import Config
from ganforge.data.base import DataInfo
from ganforge.models.base import Generator
from ganforge.train import distributed
from ganforge.train.precision import Precision, compiler, finite_logs, memory_format
from ganforge.train.step_logs import Logs

log = logging.getLogger("ganforge.train")

CLASS_GRID_COLUMNS = 8  # samples per class row in the class grids written at the end of a run
CLASS_GRID_ROWS = 20  # at most this many classes (evenly spaced) in those grids: 1,000 would
# mean 8,000 samples (a 128x128 BigGAN: minutes and tens of GB on a CPU) in an unreadable figure


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


def grid_classes(n_classes: int, rows: int = CLASS_GRID_ROWS) -> torch.Tensor:
    """The classes a class grid shows: every one, or ``rows`` evenly spaced from first to last."""
    if n_classes <= rows:
        return torch.arange(n_classes)
    return torch.linspace(0, n_classes - 1, rows).round().long()


def class_grid(g: Generator, per_class: int, seed: int, info: DataInfo) -> Preview:
    """One row per class of a class-conditional generator (at most ``CLASS_GRID_ROWS``,
    evenly spaced), ``per_class`` samples wide."""
    labels = grid_classes(g.n_classes).repeat_interleave(per_class)
    names = info.class_names or [str(i) for i in range(g.n_classes)]
    samples = g.sample(len(labels), seed, labels)
    return Preview(samples, [names[int(i)] for i in labels], nrow=per_class)


class Recipe:
    """Owns models, optimisers and losses; exposes step, sample and state.

    Subclasses fill ``models`` (every module whose weights are saved), ``optimizers`` and
    ``generators()`` (what the engine keeps an EMA of and samples from). They place models with
    ``place`` (device and ``train.channels_last``), run forward passes in
    ``precision.autocast()`` and step optimisers with ``update`` (``train.precision``, see
    ``train/precision.py``).

    A recipe wraps each trained module once with ``wrap(module, name)`` and calls
    ``trained[name]`` for every forward pass whose gradients update that module: under torchrun
    the wrapper is DistributedDataParallel (gradients averaged over the ranks), and with
    ``train.compile`` ``compile_models`` replaces it by its compiled form. The plain module
    serves everywhere else: frozen passes (D in the generator step), state dicts (``models``
    holds the plain modules, so checkpoints depend neither on the number of processes nor on
    compilation), sampling and attribute reads.
    """

    batches_per_step: int = 1
    unused_parameters: bool = False  # some parameters get no gradient in a step (growth)
    ema_buffers: str = "average"  # the generator EMA averages its buffers, or copies them
    augments: bool = False  # augments its discriminator's images as train.augment says

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
        self.world = distributed.world()
        self.precision = Precision(cfg.train.precision, device)
        # what the training passes call, by model name (see the class docstring)
        self.trained: dict[str, nn.Module] = {}
        # every wrapper of each trained model (a model may be wrapped for several methods)
        self.wrappers: dict[str, list[nn.Module]] = {}

    def wrap(
        self, module: nn.Module, name: str | None = None, *, model: str | None = None
    ) -> nn.Module:
        """``module`` for training passes: DistributedDataParallel under torchrun (synchronised
        batch norm with train.sync_batchnorm), the module itself in one process; kept as
        ``trained[name]`` when named (what ``compile_models`` compiles) and among the wrappers
        of ``model`` (default ``name``: what ``no_sync`` holds back)."""
        wrapped = distributed.wrap(
            module,
            self.device,
            sync_batchnorm=self.cfg.train.sync_batchnorm,
            unused=self.unused_parameters,
        )
        if name is not None:
            self.trained[name] = wrapped
        if model or name:
            self.wrappers.setdefault(model or name or "", []).append(wrapped)
        return wrapped

    def no_sync(self, model: str, skip: bool = True) -> contextlib.AbstractContextManager[None]:
        """While ``skip``, the wrappers of ``model`` accumulate gradients without all-reducing
        them (every micro-batch of an accumulated update but the one whose backward reduces)."""
        return distributed.no_sync(self.wrappers.get(model, []), skip)

    def place(self, module: nn.Module) -> nn.Module:
        """``module`` on the training device, in the configured memory format."""
        return module.to(self.device, memory_format=memory_format(self.cfg.train.channels_last))

    def eager_models(self) -> dict[str, str]:
        """Models that ``train.compile`` leaves eager, with the reason (none by default)."""
        return {}

    def compile_models(self) -> None:
        """With ``train.compile``, the training passes (``trained``, DistributedDataParallel
        included) go through ``torch.compile``; ``models`` (state dicts, the EMA's copies) keep
        the eager originals."""
        if not self.cfg.train.compile:
            return
        compile_module = compiler(self.device)
        eager = self.eager_models()
        for name, module in self.trained.items():
            if name in eager:
                log.info("train.compile: %s stays eager (%s)", name, eager[name])
                continue
            self.trained[name] = compile_module(module)
        if set(self.trained) <= set(eager):
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
        self.optimizers[name].zero_grad(set_to_none=True)
        self.precision.backward(name, loss)
        return self.apply(name, logs)

    def apply(self, name: str, logs: Logs) -> Logs:
        """Step optimiser ``name`` on the gradients accumulated by ``precision.backward`` (the
        second half of ``update``, for recipes that accumulate micro-batches)."""
        overflow = self.precision.step(name, self.optimizers[name])
        if overflow is None:
            return logs
        return {**finite_logs(logs, overflow), f"overflow_{name}": overflow}

    def phases(self, total_steps: int) -> list[Phase]:
        """The phases of training; one by default."""
        return [Phase("train", total_steps)]

    def set_progress(self, phase: int, fraction: float, overall: float) -> None:
        """Called before every step with the position in the phase and in the whole budget."""

    def reseed(self, seed: int) -> None:
        """Start the random streams the recipe keeps itself afresh (after a rollback, so that
        the same divergence is not replayed); the same ``seed`` on every rank."""

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

    def figures(self, generators: dict[str, nn.Module]) -> dict[str, Preview]:
        """Figures written once at the end of a completed run (``samples/<name>.png``, shown
        in the report): class grids, InfoGAN's latent-code sweeps. None by default."""
        return {}

    def sample_share(
        self, n: int, generators: dict[str, nn.Module], seed: int, share: slice
    ) -> torch.Tensor:
        """``sample(n, generators, seed)[share]``, generating only that share where the recipe
        can (each rank's part of an evaluation's samples)."""
        return self.sample(n, generators, seed)[share]

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
