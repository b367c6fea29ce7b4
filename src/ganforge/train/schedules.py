"""Training schedules: how long each phase of a recipe lasts and at what batch size.

A recipe declares its schedule settings as the keyword-only parameters of its ``make_schedule``
(the ``schedule`` config section is validated against them, as the model section is against a
family's builder). Progressive growing has one stabilising phase at 4x4, then a fade-in and a
stabilising phase per resolution; their lengths come from images per phase, from epochs per
resolution, or from an even split of the step budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ganforge.errors import ConfigError
from ganforge.train.recipes.base import Phase


@dataclass(frozen=True)
class GrowthSchedule:
    """Phase lengths, batch sizes and optimiser resets of progressive growing.

    ``phase_images``: images shown in each fade-in and each stabilising phase (the papers: 800k
    for ProGAN, 600k for StyleGAN); ``final_images``: images of the last stabilising phase
    (default ``phase_images``); ``resolution_epochs``: epochs at each resolution from 4x4 up (the
    last repeating), of which the fade-in takes ``fade_share``; with neither, the step budget is
    split evenly. ``batch_sizes``: one per resolution from 4x4 up, the last repeating (they size
    every phase; ``train.batch_size`` is then the first one). ``reset_optimizers``: clear Adam's
    moments when a phase starts, as the reference implementations do.
    """

    phase_images: int | None = None
    final_images: int | None = None
    resolution_epochs: tuple[float, ...] | None = None
    fade_share: float = 0.5
    batch_sizes: tuple[int, ...] | None = None
    reset_optimizers: bool = True

    def batch_size(self, level: int, default: int) -> int:
        """The batch size at ``level``."""
        if not self.batch_sizes:
            return default
        return int(self.batch_sizes[min(level, len(self.batch_sizes) - 1)])

    def epochs(self, level: int) -> float:
        """Epochs at ``level`` (resolution_epochs must be set)."""
        assert self.resolution_epochs
        return float(self.resolution_epochs[min(level, len(self.resolution_epochs) - 1)])


def progressive_schedule(
    *,
    phase_images: int | None = None,
    final_images: int | None = None,
    resolution_epochs: list[float] | None = None,
    fade_share: float = 0.5,
    batch_sizes: list[int] | None = None,
    reset_optimizers: bool = True,
) -> GrowthSchedule:
    """Progressive growing: images per phase, or epochs per resolution; batch per resolution."""
    for key, value in (("phase_images", phase_images), ("final_images", final_images)):
        if value is not None and value < 1:
            raise ConfigError(f"schedule.{key} must be at least 1 (got {value})")
    if batch_sizes is not None and (not batch_sizes or min(batch_sizes) < 1):
        raise ConfigError(
            f"schedule.batch_sizes must list positive sizes, one per resolution from 4 up "
            f"(got {batch_sizes})"
        )
    if resolution_epochs is not None:
        if not resolution_epochs or min(resolution_epochs) <= 0:
            raise ConfigError(
                "schedule.resolution_epochs must list positive epochs, one per resolution from "
                f"4 up (got {resolution_epochs})"
            )
        if phase_images is not None or final_images is not None:
            raise ConfigError(
                "schedule.resolution_epochs and schedule.phase_images / final_images both set "
                "the phase lengths; keep one"
            )
    if not 0 < fade_share < 1:
        raise ConfigError(f"schedule.fade_share must be in (0, 1), got {fade_share}")
    return GrowthSchedule(
        phase_images,
        final_images,
        tuple(resolution_epochs) if resolution_epochs is not None else None,
        fade_share,
        tuple(batch_sizes) if batch_sizes is not None else None,
        reset_optimizers,
    )


def phase_name(size: int, fading: bool) -> str:
    """``008x008-faded`` / ``008x008-tuned``."""
    return f"{size:03d}x{size:03d}-{'faded' if fading else 'tuned'}"


def growth_plan(n_levels: int) -> list[tuple[int, bool]]:
    """(level, fading) per phase: stabilise 4x4, then fade in and stabilise each resolution."""
    plan = [(0, False)]
    for level in range(1, n_levels):
        plan += [(level, True), (level, False)]
    return plan


def growth_phases(
    schedule: GrowthSchedule,
    resolutions: list[int],
    total_steps: int,
    batch_size: int,
    dataset_size: int = 0,
) -> list[Phase]:
    """Engine phases for a schedule: lengths in images, in epochs of ``dataset_size`` images per
    resolution, or an even split of ``total_steps``."""
    plan = growth_plan(len(resolutions))
    phases = []
    for i, (level, fading) in enumerate(plan):
        size = resolutions[level]
        bs = schedule.batch_size(level, batch_size)
        if schedule.resolution_epochs is not None:
            images = schedule.epochs(level) * dataset_size
            if level > 0:
                share = schedule.fade_share if fading else 1.0 - schedule.fade_share
                images *= share
            steps = math.ceil(images / bs - 1e-9)  # 0.1 epochs of 1000 images is 100
        elif schedule.phase_images is not None:
            last = i == len(plan) - 1
            images = schedule.final_images if last and schedule.final_images else None
            steps = math.ceil((images or schedule.phase_images) / bs)
        else:
            steps = total_steps // len(plan) + (1 if i < total_steps % len(plan) else 0)
        name = phase_name(size, fading)
        phases.append(Phase(name, max(1, steps), bs, name))
    return phases
