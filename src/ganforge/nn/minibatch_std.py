"""Minibatch standard deviation (ProGAN): a feature map telling D how varied the batch is."""

from __future__ import annotations

import torch
from torch import nn


def group_size_for(n: int, group_size: int | None) -> int:
    """The largest divisor of ``n`` not above ``group_size`` (the whole batch when None)."""
    if group_size is None or group_size >= n:
        return n
    return max(g for g in range(1, group_size + 1) if n % g == 0)


def minibatch_std(x: torch.Tensor, group_size: int | None = 4, eps: float = 1e-8) -> torch.Tensor:
    """Append one channel: the per-feature std over each group, averaged to one value.

    Sample ``i`` belongs to group ``i % (n / G)`` (as in the reference implementation); the std is
    the population std (divide by G) of every feature and pixel over the group, averaged over
    features and pixels, and broadcast to an extra H x W map for every member of the group.
    """
    n, c, h, w = x.shape
    g = group_size_for(n, group_size)
    y = x.reshape(g, n // g, c, h, w).float()
    std = (y - y.mean(0)).pow(2).mean(0).add(eps).sqrt()  # (n/g, c, h, w)
    value = std.mean(dim=(1, 2, 3)).to(x.dtype).repeat(g)  # sample i -> group i % (n/g)
    return torch.cat([x, value.view(n, 1, 1, 1).expand(n, 1, h, w)], dim=1)


class MinibatchStd(nn.Module):
    """Module form of minibatch_std with a fixed group size."""

    def __init__(self, group_size: int | None = 4) -> None:
        super().__init__()
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x with one extra channel."""
        return minibatch_std(x, self.group_size)
