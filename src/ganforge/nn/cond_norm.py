"""Conditional batch normalisation (de Vries et al. 2017; BigGAN's form) and BN statistics.

Batch norm without its own scale and shift; a conditioning vector ``c`` (in BigGAN the shared
class embedding concatenated with a chunk of z) gives them per sample through two linear layers
without bias: ``bn(x) * (1 + gain(c)) + bias(c)``. ``standing_statistics`` re-estimates every
batch norm's running statistics over many forward passes (BigGAN's "standing stats").
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class ConditionalBatchNorm2d(nn.Module):
    """Non-affine batch norm with per-sample gain ``1 + gain(c)`` and bias ``bias(c)``."""

    def __init__(
        self,
        channels: int,
        cond_dim: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        wrap: Callable[[nn.Module], nn.Module] = lambda m: m,
    ) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, eps=eps, momentum=momentum, affine=False)
        self.gain = wrap(nn.Linear(cond_dim, channels, bias=False))
        self.bias = wrap(nn.Linear(cond_dim, channels, bias=False))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` (N, C, H, W) and apply the gain and bias of ``c`` (N, cond_dim)."""
        gain = 1.0 + self.gain(c)
        bias = self.bias(c)
        return self.bn(x) * gain[:, :, None, None] + bias[:, :, None, None]


@torch.no_grad()
def standing_statistics(
    module: nn.Module, forward: Callable[[int], object], passes: int = 16
) -> None:
    """Replace every batch norm's running statistics by their mean over ``passes`` forward
    passes in training mode (``forward(i)`` runs pass ``i``), then leave the module in eval
    mode so that sampling uses them."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the passes
    module.train()
    try:
        for i in range(passes):
            forward(i)
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        module.eval()
