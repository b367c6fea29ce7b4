"""Self-attention block (SAGAN, Zhang et al. 2018, in BigGAN's form).

Query (theta) and key (phi) are 1x1 convolutions to C/8 channels, the value (g) one to C/2;
keys and values are max-pooled 2x2, so each position attends to a quarter as many; a 1x1
convolution maps the attended values back to C, and a learned gain (initialised at 0) scales
the result before it is added to the input: at initialisation the block is the identity.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


class SelfAttention(nn.Module):
    """``x + gain * o(attend(theta(x), pool(phi(x)), pool(g(x))))``; needs even H and W."""

    def __init__(self, channels: int, wrap: Callable[[nn.Module], nn.Module] = lambda m: m) -> None:
        super().__init__()
        c = channels
        self.theta = wrap(nn.Conv2d(c, c // 8, 1, bias=False))
        self.phi = wrap(nn.Conv2d(c, c // 8, 1, bias=False))
        self.g = wrap(nn.Conv2d(c, c // 2, 1, bias=False))
        self.o = wrap(nn.Conv2d(c // 2, c, 1, bias=False))
        self.gain = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The input plus its gain-scaled attention output, same shape."""
        n, c, h, w = x.shape
        query = self.theta(x).flatten(2)  # (N, C/8, HW)
        key = F.max_pool2d(self.phi(x), 2).flatten(2)  # (N, C/8, HW/4)
        value = F.max_pool2d(self.g(x), 2).flatten(2)  # (N, C/2, HW/4)
        attention = torch.softmax(query.transpose(1, 2) @ key, dim=-1)  # (N, HW, HW/4)
        out = (value @ attention.transpose(1, 2)).view(n, c // 2, h, w)
        return x + self.gain * self.o(out)
