"""Progressive growing (ProGAN, StyleGAN): one fade-in and one stabilising phase per resolution.

The recipe is the GAN recipe plus growth: it turns its schedule (``schedule`` section, see
``train/schedules.py``) into engine phases (``004x004-tuned``, ``008x008-faded``,
``008x008-tuned``, ...; each phase's end saves a grid and a checkpoint under that name), sets the
level and fade-in alpha of both networks before every step (alpha rises linearly over a
fade-in), generates at the current resolution and shows D real images average-pooled to it
(blended with their half-resolution version while fading in).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ganforge.config import Config
from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.losses import OptimDefaults
from ganforge.models.growing import GrowingGenerator, real_at_level
from ganforge.registry import RECIPES
from ganforge.train.distributed import ForwardOf
from ganforge.train.recipes.base import Phase
from ganforge.train.recipes.gan import GANRecipe
from ganforge.train.schedules import (
    GrowthSchedule,
    growth_phases,
    growth_plan,
    phase_name,
    progressive_schedule,
)

# Both papers: Adam lr 0.001, betas (0, 0.99), eps 1e-8, one D step per G step.
PROGRESSIVE_OPTIM = OptimDefaults("adam", 1e-3, 1e-3, (0.0, 0.99), 1e-8, 1)

__all__ = ["ProgressiveRecipe", "growth_phases", "growth_plan", "phase_name"]


@RECIPES.register("progressive")
class ProgressiveRecipe(GANRecipe):
    """A GAN recipe whose models grow from 4x4 to the data resolution in phases."""

    make_schedule = staticmethod(progressive_schedule)
    schedule: GrowthSchedule
    unused_parameters = True  # layers of the resolutions not reached yet
    ema_buffers = "copy"  # as the ProGAN/StyleGAN reference code (W's tracked mean is copied)

    def __init__(self, cfg: Config, info: DataInfo, device: torch.device) -> None:
        super().__init__(cfg, info, device)
        if not isinstance(self.g, GrowingGenerator):
            raise ConfigError(
                f"model {cfg.model.name!r} does not grow progressively; use progan or stylegan"
            )
        self.resolutions = self.g.resolutions
        self.plan = growth_plan(len(self.resolutions))
        self.phase_index: int | None = None

    def optim_defaults(self) -> OptimDefaults:
        """The papers' Adam settings, whatever the loss."""
        return PROGRESSIVE_OPTIM

    def phases(self, total_steps: int) -> list[Phase]:
        """One fade-in and one stabilising phase per resolution above 4x4."""
        return growth_phases(
            self.schedule, self.resolutions, total_steps, self.cfg.train.batch_size, self.info.count
        )

    def set_progress(self, phase: int, fraction: float, overall: float) -> None:
        """Learning-rate schedule, growth state (alpha linear over a fade-in), optimiser resets."""
        super().set_progress(phase, fraction, overall)
        level, fading = self.plan[phase]
        alpha = fraction if fading else 1.0
        self.g.set_growth(level, alpha)
        self.d.set_growth(level, alpha)
        if phase != self.phase_index:
            if self.phase_index is not None and self.schedule.reset_optimizers:
                for opt in self.optimizers.values():
                    opt.state.clear()
            self.phase_index = phase

    def eager_models(self) -> dict[str, str]:
        """Both: the generator is called through ``synthesize`` and both networks change with
        the growth phase and fade-in, which torch.compile would recompile for."""
        reason = "progressive growth changes the network every phase"
        return {"g": reason, "d": reason}

    def real_batch(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Real images at the current resolution, blended while fading in."""
        x = batch["x"].to(self.device, non_blocking=True)
        return real_at_level(x, self.d.current_size, self.d.current_alpha)

    def training_generator(self) -> nn.Module:
        """Fakes at the current resolution (not upsampled to the data size)."""
        return ForwardOf(self.g, "synthesize")

    def generate(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """A fake batch at the current resolution (growing generators take no labels)."""
        return self.g_train(z)

    def extra_state(self) -> dict[str, Any]:
        """The GAN recipe's state plus the phase the optimisers belong to."""
        return {**super().extra_state(), "phase_index": self.phase_index}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore extra_state."""
        super().load_extra_state(state)
        self.phase_index = state.get("phase_index")
