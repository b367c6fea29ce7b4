"""What every generator / discriminator pair offers to recipes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

DOutput = Literal["score", "reconstruction"]


class Generator(nn.Module):
    """A generator maps latents (and optional labels) to samples in [-1, 1]."""

    z_dim: int
    n_classes: int = 0

    def latent(
        self, n: int, generator: torch.Generator | None = None, device: torch.device | str = "cpu"
    ) -> torch.Tensor:
        """Standard normal latents (drawn on CPU for reproducibility, then moved)."""
        return torch.randn(n, self.z_dim, generator=generator).to(device)


@dataclass
class GANModels:
    """A generator and a discriminator built for one dataset."""

    g: Generator
    d: nn.Module
    d_output: DOutput = "score"

    def generators(self) -> dict[str, nn.Module]:
        """The sample-producing modules by checkpoint name."""
        return {"g": self.g}


def count_parameters(module: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
