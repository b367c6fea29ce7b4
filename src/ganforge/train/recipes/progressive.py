"""Progressive growing (ProGAN, StyleGAN): one fade-in and one stabilising phase per resolution.

The recipe is the GAN recipe plus growth: it turns the model's GrowthSchedule into engine phases
(``004x004-tuned``, ``008x008-faded``, ``008x008-tuned``, ...; each phase's end saves a grid and a
checkpoint under that name), sets the level and fade-in alpha of both networks before every step
(alpha rises linearly over a fade-in), generates at the current resolution and shows D real
images average-pooled to it (blended with their half-resolution version while fading in).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ganforge.config import Config
from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.losses import OptimDefaults
from ganforge.models.growing import GrowingModels, GrowthSchedule, real_at_level
from ganforge.registry import RECIPES
from ganforge.train.recipes.base import Phase
from ganforge.train.recipes.gan import GANRecipe

# Both papers: Adam lr 0.001, betas (0, 0.99), eps 1e-8, one D step per G step.
PROGRESSIVE_OPTIM = OptimDefaults("adam", 1e-3, 1e-3, (0.0, 0.99), 1e-8, 1)


def phase_name(size: int, fading: bool) -> str:
    """``008x008-faded`` / ``008x008-tuned``."""
    return f"{size:03d}x{size:03d}-{'faded' if fading else 'tuned'}"


def growth_plan(n_levels: int) -> list[tuple[int, bool]]:
    """(level, fading) per phase: stabilise 4x4, then fade in and stabilise each resolution."""
    plan = [(0, False)]
    for level in range(1, n_levels):
        plan += [(level, True), (level, False)]
    return plan


def growth_phases(schedule: GrowthSchedule, total_steps: int, batch_size: int) -> list[Phase]:
    """Engine phases for a schedule: lengths in images (or an even split of ``total_steps``)."""
    plan = growth_plan(len(schedule.resolutions))
    phases = []
    for i, (level, fading) in enumerate(plan):
        size = schedule.resolutions[level]
        bs = schedule.batch_size(level, batch_size)
        if schedule.phase_images is None:
            steps = total_steps // len(plan) + (1 if i < total_steps % len(plan) else 0)
        else:
            last = i == len(plan) - 1
            images = schedule.final_images if last and schedule.final_images else None
            steps = math.ceil((images or schedule.phase_images) / bs)
        name = phase_name(size, fading)
        phases.append(Phase(name, max(1, steps), bs, name))
    return phases


@RECIPES.register("progressive")
class ProgressiveRecipe(GANRecipe):
    """A GAN recipe whose models grow from 4x4 to the data resolution in phases."""

    def __init__(self, cfg: Config, info: DataInfo, device: torch.device) -> None:
        super().__init__(cfg, info, device)
        if not isinstance(self.built, GrowingModels) or self.built.schedule is None:
            raise ConfigError(
                f"model {cfg.model.name!r} does not grow progressively; use progan or stylegan"
            )
        self.schedule = self.built.schedule
        self.plan = growth_plan(len(self.schedule.resolutions))
        self.phase_index: int | None = None

    def optim_defaults(self) -> OptimDefaults:
        """The papers' Adam settings, whatever the loss."""
        return PROGRESSIVE_OPTIM

    def phases(self, total_steps: int) -> list[Phase]:
        """One fade-in and one stabilising phase per resolution above 4x4."""
        return growth_phases(self.schedule, total_steps, self.cfg.train.batch_size)

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

    def real_batch(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Real images at the current resolution, blended while fading in."""
        x = batch["x"].to(self.device, non_blocking=True)
        return real_at_level(x, self.d.current_size, self.d.current_alpha)

    def generate(self, n: int, y: torch.Tensor | None) -> torch.Tensor:
        """Fakes at the current resolution (not upsampled to the data size)."""
        return self.g.synthesize(self.g.latent(n, device=self.device))

    def extra_state(self) -> dict[str, Any]:
        """The GAN recipe's state plus the phase the optimisers belong to."""
        return {**super().extra_state(), "phase_index": self.phase_index}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore extra_state."""
        super().load_extra_state(state)
        self.phase_index = state.get("phase_index")
