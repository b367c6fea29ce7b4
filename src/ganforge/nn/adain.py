"""Adaptive instance normalisation (StyleGAN): instance-normalise, then scale and shift from w."""

from __future__ import annotations

import torch
from torch import nn

from ganforge.nn.equalized import EqualizedLinear


def adaptive_instance_norm(
    x: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor, eps: float = 1e-8
) -> torch.Tensor:
    """scale * (x - mean) / sqrt(var + eps) + bias, statistics per sample and channel."""
    mean = x.mean(dim=(2, 3), keepdim=True)
    var = x.var(dim=(2, 3), unbiased=False, keepdim=True)
    normed = (x - mean) * torch.rsqrt(var + eps)
    return scale[:, :, None, None] * normed + bias[:, :, None, None]


class AdaIN(nn.Module):
    """AdaIN whose per-channel scale and bias are a learned affine map of the style vector w.

    The affine map is an equalised dense layer with gain 1; the scale half's bias starts at 1 and
    the bias half's at 0, so a zero style is plain instance normalisation.
    """

    def __init__(self, channels: int, w_dim: int) -> None:
        super().__init__()
        self.channels = channels
        self.style = EqualizedLinear(w_dim, 2 * channels, gain=1.0)
        with torch.no_grad():
            self.style.bias[:channels].fill_(1.0)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Normalise x (N, C, H, W) and apply the style of w (N, w_dim)."""
        scale, bias = self.style(w).split(self.channels, dim=1)
        return adaptive_instance_norm(x, scale, bias)
