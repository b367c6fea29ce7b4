"""The projection discriminator's class term (Miyato & Koyama 2018), shared by every family.

A conditional discriminator scores ``linear(h) + <embed(y), h>`` where ``h`` is the sum-pooled
feature vector of the image: the inner product with the class embedding replaces concatenating
the label to the input. ``projection_term`` is the class part alone (for families whose
unconditional head is not a linear layer, such as DCGAN's base-sized convolution);
``ProjectionHead`` is the whole head.
"""

from __future__ import annotations

import torch
from torch import nn


def projection_term(embed: nn.Module, y: torch.Tensor | None, h: torch.Tensor) -> torch.Tensor:
    """``sum(embed(y) * h)`` per sample, shape (N,); ``h`` is (N, C) sum-pooled features."""
    if y is None:
        raise ValueError("this discriminator is class-conditional: pass labels y")
    return (embed(y) * h).sum(1)


class ProjectionHead(nn.Module):
    """``linear(h) + sum(embed(y) * h)`` on (N, C) features; class term when conditional."""

    def __init__(self, features: int, n_classes: int = 0, bias: bool = True) -> None:
        super().__init__()
        self.linear = nn.Linear(features, 1, bias=bias)
        self.embed = nn.Embedding(n_classes, features) if n_classes else None

    def forward(self, h: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Unbounded scores of shape (N,)."""
        score = self.linear(h).squeeze(1)
        if self.embed is not None:
            score = score + projection_term(self.embed, y, h)
        return score
