"""Per-pixel noise injection (StyleGAN): one noise image per sample, learned per-channel scales."""

from __future__ import annotations

import torch
from torch import nn


class NoiseInjection(nn.Module):
    """x + s_c * noise: one N x 1 x H x W noise image shared by all channels, scaled per channel."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Add scaled noise (fresh standard normal noise when none is given)."""
        if noise is None:
            n, _, h, w = x.shape
            noise = torch.randn(n, 1, h, w, device=x.device, dtype=x.dtype)
        return x + self.weight.view(1, -1, 1, 1) * noise
