"""What progressively grown models share: resolution levels, growth state, fade-in.

A growing model is built for its final resolution up front and trained from 4x4 upwards. Its
growth state (``level``: index of the current resolution, ``alpha``: the fade-in weight of the
newest block) lives in buffers, so a checkpoint saved mid-phase restores the same resolution and
alpha, and the generator EMA (which copies buffers) always matches the live networks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.base import DOutput, Generator
from ganforge.nn.resample import downsample_avg, upsample_nearest

MIN_SIZE, MAX_SIZE = 8, 1024


def fade(old: torch.Tensor, new: torch.Tensor, alpha: float) -> torch.Tensor:
    """(1 - alpha) * old + alpha * new: the fade-in blend of a newly added block."""
    if alpha >= 1.0:
        return new
    return old * (1.0 - alpha) + new * alpha


def growth_resolutions(info: DataInfo, family: str, d_output: DOutput) -> list[int]:
    """[4, 8, ..., side] for a square power-of-two image dataset, else a ConfigError."""
    if info.kind != "image":
        raise ConfigError(f"model {family} needs an image dataset; {info.name!r} holds {info.kind}")
    if d_output != "score":
        raise ConfigError(f"model {family} has a scoring discriminator; choose another loss")
    return growth_sides(info.size, family)


def growth_sides(size: tuple[int, int], family: str) -> list[int]:
    """[4, 8, ..., side] for a square power-of-two size from MIN_SIZE to MAX_SIZE."""
    h, w = size
    if h != w or h < MIN_SIZE or h > MAX_SIZE or h & (h - 1):
        side = min(MAX_SIZE, max(MIN_SIZE, 2 ** round(math.log2(max(h, w)))))
        raise ConfigError(
            f"{family} grows square images whose side is a power of two from {MIN_SIZE} to "
            f"{MAX_SIZE}; the data is {h}x{w}. Set data.size={side}"
        )
    return [2**k for k in range(2, int(math.log2(h)) + 1)]


PAPER_WIDTH_PRODUCT = 16384  # the papers' widths: 16384 / r channels at resolution r (<= 512)


def growth_limits(size: tuple[int, int], params: Mapping[str, Any]) -> None:
    """The sizes a growing family builds for, and its widths (an explicit ``widths`` list has
    one value per resolution), checked before any data is loaded."""
    resolutions = growth_sides(size, "this model")
    for width in (params.get("g_width"), params.get("d_width")):
        channel_progression(resolutions, width, params.get("width_max", 512), params.get("widths"))


def channel_progression(
    resolutions: list[int],
    width: int | None,
    width_max: int,
    widths: list[int] | None = None,
) -> list[int]:
    """Widths per resolution: ``width`` at the final one, doubling towards 4x4, capped.

    ``width=None`` is the papers' progression, ``min(16384 / r, width_max)`` at resolution r:
    with width_max 512, 512 up to 32x32, then halving (256 at 64, ..., 16 at 1024). ``widths``
    gives one explicit value per resolution instead.
    """
    if widths is not None:
        if len(widths) != len(resolutions) or min(widths) < 1:
            raise ConfigError(
                f"model.widths needs {len(resolutions)} positive values, one per resolution "
                f"{resolutions}; got {list(widths)}"
            )
        return [int(c) for c in widths]
    final = resolutions[-1]
    base = PAPER_WIDTH_PRODUCT // final if width is None else width
    if base < 1 or width_max < 1:
        raise ConfigError("model.g_width, model.d_width and model.width_max must be at least 1")
    return [min(width_max, base * (final // res)) for res in resolutions]


class Growing(nn.Module):
    """Growth-state buffers (current level and fade-in alpha) shared by G and D."""

    def __init__(self, resolutions: list[int]) -> None:
        super().__init__()
        self.resolutions = list(resolutions)
        self.register_buffer("level", torch.tensor(len(resolutions) - 1, dtype=torch.long))
        self.register_buffer("alpha", torch.tensor(1.0))

    @property
    def n_levels(self) -> int:
        """Number of resolutions, 4x4 included."""
        return len(self.resolutions)

    @property
    def current_level(self) -> int:
        """Index of the resolution being trained (0: 4x4)."""
        return int(self.level)

    @property
    def current_alpha(self) -> float:
        """Fade-in weight of the newest block (1 when stable)."""
        return float(self.alpha)

    @property
    def current_size(self) -> int:
        """Side of the images at the current level."""
        return self.resolutions[self.current_level]

    def set_growth(self, level: int, alpha: float) -> None:
        """Move to ``level`` with fade-in weight ``alpha`` in [0, 1] (alpha is 1 at level 0)."""
        if not 0 <= level < self.n_levels:
            raise ValueError(f"level {level} outside 0..{self.n_levels - 1}")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha {alpha} outside [0, 1]")
        self.level.fill_(level)
        self.alpha.fill_(1.0 if level == 0 else alpha)


class GrowingGenerator(Generator, Growing):
    """A generator that synthesises at the current level; ``forward`` returns the full size.

    ``synthesize`` gives images at the current resolution (what D sees in training);
    ``forward`` upsamples them (nearest) to the final resolution, so sampling, grids and metrics
    always get dataset-sized images, blocky while the model is still small.
    """

    def synthesize(self, z: torch.Tensor, **kwargs: object) -> torch.Tensor:
        """Images at the current resolution."""
        raise NotImplementedError

    def to_full_size(self, images: torch.Tensor) -> torch.Tensor:
        """Nearest-neighbour upsampling from the current to the final resolution."""
        return upsample_nearest(images, self.resolutions[-1] // images.shape[-1])

    def forward(
        self, z: torch.Tensor, y: torch.Tensor | None = None, **kwargs: object
    ) -> torch.Tensor:
        """Full-size images (labels are ignored: the growing models are unconditional)."""
        return self.to_full_size(self.synthesize(z, **kwargs))


def real_at_level(x: torch.Tensor, size: int, alpha: float) -> torch.Tensor:
    """Real images at ``size``, blended with their half-resolution version during a fade-in.

    Average pooling brings the dataset images to the current side; while the newest block fades
    in, they are mixed as (1 - alpha) * upsample(downsample(x)) + alpha * x so real and fake
    images go through the same transition.
    """
    x = downsample_avg(x, x.shape[-1] // size)
    if alpha < 1.0 and size > 4:
        x = fade(upsample_nearest(downsample_avg(x)), x, alpha)
    return x
