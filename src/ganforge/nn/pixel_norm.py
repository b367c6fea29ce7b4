"""Pixel-wise feature normalisation (ProGAN): each pixel's feature vector scaled to unit RMS."""

from __future__ import annotations

import torch
from torch import nn


def pixel_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """x / sqrt(mean over channels (dim 1) of x^2 + eps)."""
    return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + eps)


class PixelNorm(nn.Module):
    """Module form of pixel_norm (also normalises latent vectors, which are N x C)."""

    def __init__(self, eps: float = 1e-8) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised x."""
        return pixel_norm(x, self.eps)
