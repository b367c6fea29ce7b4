"""Dropout that can draw its mask from a given ``torch.Generator``.

Pix2Pix keeps dropout at test time (its only source of noise). To translate reproducibly for a
seed without reseeding torch's global generator, a translator lends its dropout layers a local
generator for the length of a call (``drawing_from``). Masks are drawn on the generator's device
(the CPU by convention, so a seed gives the same masks on every device) and then moved. Without
a generator the layer is exactly ``nn.Dropout`` (training draws from the global generator, so
checkpoints resume exactly).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn


class SeededDropout(nn.Dropout):
    """``nn.Dropout`` whose mask comes from ``self.generator`` when one is set."""

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Zero each element with probability p and scale the rest by 1 / (1 - p)."""
        if self.generator is None or not self.training or self.p == 0:
            return super().forward(x)
        if self.p == 1:
            return torch.zeros_like(x)
        keep = torch.empty(x.shape, device=self.generator.device)
        keep.bernoulli_(1 - self.p, generator=self.generator)
        return x * keep.to(x.device, x.dtype) / (1 - self.p)


@contextlib.contextmanager
def drawing_from(module: nn.Module, generator: torch.Generator | None) -> Iterator[None]:
    """Make every ``SeededDropout`` in ``module`` draw from ``generator`` inside the block."""
    layers = [m for m in module.modules() if isinstance(m, SeededDropout)]
    for layer in layers:
        layer.generator = generator
    try:
        yield
    finally:
        for layer in layers:
            layer.generator = None
