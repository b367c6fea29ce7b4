"""A recipe says what one optimisation step means for a model family; the engine does the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ganforge.config import Config
from ganforge.data.base import DataInfo
from ganforge.models.base import Generator, class_rows
from ganforge.train import distributed

CLASS_GRID_COLUMNS = 8  # samples per class row in the class grids written at the end of a run


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


def class_grid(g: Generator, per_class: int, seed: int, info: DataInfo) -> Preview:
    """One row per class of a class-conditional generator, ``per_class`` samples wide."""
    labels = class_rows(g.n_classes, per_class)
    names = info.class_names or [str(i) for i in range(g.n_classes)]
    samples = g.sample(len(labels), seed, labels)
    return Preview(samples, [names[int(i)] for i in labels], nrow=per_class)


class Recipe:
    """Owns models, optimisers and losses; exposes step, sample and state.

    Subclasses fill ``models`` (every module whose weights are saved), ``optimizers`` and
    ``generators()`` (what the engine keeps an EMA of and samples from).

    Under torchrun a recipe wraps each trained module once with ``wrap`` and calls the wrapper
    for every forward pass whose gradients update that module (so they are averaged over the
    ranks), the plain module everywhere else: frozen passes (D in the generator step), state
    dicts (``models`` holds the plain modules, so checkpoints do not depend on the number of
    processes), sampling and attribute reads.
    """

    batches_per_step: int = 1
    unused_parameters: bool = False  # some parameters get no gradient in a step (growth)

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

    def wrap(self, module: nn.Module) -> nn.Module:
        """``module`` for training passes: DistributedDataParallel under torchrun (synchronised
        batch norm with train.sync_batchnorm), the module itself in one process."""
        return distributed.wrap(
            module,
            self.device,
            sync_batchnorm=self.cfg.train.sync_batchnorm,
            unused=self.unused_parameters,
        )

    # -- the training step ------------------------------------------------------------------
    def step(self, batches: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor | float]:
        """One generator update (and its discriminator updates); returns scalar logs as 0-d
        detached tensors (read back only when a log line is written) or floats."""
        raise NotImplementedError

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
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore state_dict."""
        for k, m in self.models.items():
            m.load_state_dict(state["models"][k])
        for k, o in self.optimizers.items():
            o.load_state_dict(state["optimizers"][k])
        self.load_extra_state(state.get("extra", {}))

    def resolved_config(self) -> dict[str, Any]:
        """Config values the recipe filled in (optimiser defaults), saved with the run."""
        return {}
