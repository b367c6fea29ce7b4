"""Equalised learning rate (Karras et al. 2017): N(0, 1) weights, He scaling applied at run time.

Storing unit-variance weights and multiplying by ``gain / sqrt(fan_in)`` in every forward pass makes
the effective step size of adaptive optimisers the same for every layer. ``lr_mul`` additionally
slows a layer down (StyleGAN's mapping network uses 0.01): the stored weight is drawn with standard
deviation ``1 / lr_mul`` and multiplied by ``lr_mul`` at run time, so the effective weights start
the same but move ``lr_mul`` times as fast.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

HE_GAIN = math.sqrt(2.0)  # for leaky-ReLU / ReLU layers; 1.0 for linear outputs


class EqualizedLinear(nn.Module):
    """A dense layer with run-time He scaling, zero biases and a learning-rate multiplier."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        gain: float = HE_GAIN,
        lr_mul: float = 1.0,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        self.scale = gain / math.sqrt(in_features) * lr_mul
        self.lr_mul = lr_mul

    def effective_weight(self) -> torch.Tensor:
        """The weight actually applied: stored weight times the run-time scale."""
        return self.weight * self.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x @ W^T * scale + b * lr_mul."""
        bias = self.bias * self.lr_mul if self.bias is not None else None
        return F.linear(x, self.effective_weight(), bias)

    def extra_repr(self) -> str:
        """Shapes and the run-time weight scale, for printing the module."""
        out, inp = self.weight.shape
        return f"{inp}, {out}, scale={self.scale:.4g}, lr_mul={self.lr_mul}"


class EqualizedConv2d(nn.Module):
    """A stride-1 'same' convolution with run-time He scaling and zero biases."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        bias: bool = True,
        gain: float = HE_GAIN,
    ) -> None:
        super().__init__()
        k = kernel_size
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, k, k))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.scale = gain / math.sqrt(in_channels * k * k)
        self.padding = k // 2

    def effective_weight(self) -> torch.Tensor:
        """The kernel actually applied: stored kernel times the run-time scale."""
        return self.weight * self.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolution with the scaled kernel."""
        return F.conv2d(x, self.effective_weight(), self.bias, padding=self.padding)

    def extra_repr(self) -> str:
        """Shapes and the run-time weight scale, for printing the module."""
        out, inp, k, _ = self.weight.shape
        return f"{inp}, {out}, kernel={k}, scale={self.scale:.4g}"
