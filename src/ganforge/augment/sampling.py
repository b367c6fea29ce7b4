"""Resampling images at given source coordinates, twice differentiable in the image.

Built from gathers (no ``grid_sample``, whose backward has no backward in PyTorch), so a
gradient penalty can differentiate the discriminator through an augmentation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def reflect(coord: torch.Tensor, n: int) -> torch.Tensor:
    """Fold pixel coordinates into [0, n - 1] by mirroring at the edges (no edge repeat: the
    image tiled as ``F.pad(mode='reflect')`` would, however far out)."""
    if n == 1:
        return torch.zeros_like(coord)
    period = 2 * (n - 1)
    c = torch.remainder(coord, period)
    return torch.where(c > n - 1, period - c, c)


def _gather(x: torch.Tensor, iy: torch.Tensor, ix: torch.Tensor) -> torch.Tensor:
    n, c, h, w = x.shape
    index = (iy * w + ix).reshape(n, 1, -1).expand(n, c, -1)
    return x.reshape(n, c, h * w).gather(2, index).reshape(n, c, *iy.shape[1:])


def bilinear_reflect(x: torch.Tensor, sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    """Bilinear samples of ``x`` (N, C, H, W) at source pixel coordinates ``sx``, ``sy`` (N, H,
    W; 0 is the first pixel's centre), the image reflected beyond its edges."""
    _, _, h, w = x.shape
    sx, sy = reflect(sx, w), reflect(sy, h)
    x0 = sx.floor().clamp(max=max(w - 2, 0))
    y0 = sy.floor().clamp(max=max(h - 2, 0))
    wx = (sx - x0).unsqueeze(1).to(x.dtype)
    wy = (sy - y0).unsqueeze(1).to(x.dtype)
    x0, y0 = x0.long(), y0.long()
    x1, y1 = (x0 + 1).clamp(max=w - 1), (y0 + 1).clamp(max=h - 1)
    top = _gather(x, y0, x0) * (1 - wx) + _gather(x, y0, x1) * wx
    bottom = _gather(x, y1, x0) * (1 - wx) + _gather(x, y1, x1) * wx
    return top * (1 - wy) + bottom * wy


def shift_zero(x: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    """Each image moved by whole pixels (``dx`` right, ``dy`` down; integer tensors of shape
    (N,)), zeros filling what moves in."""
    n, _, h, w = x.shape
    padded = F.pad(x, [1, 1, 1, 1])
    cols = torch.arange(w, device=x.device).view(1, 1, w) - dx.view(n, 1, 1) + 1
    rows = torch.arange(h, device=x.device).view(1, h, 1) - dy.view(n, 1, 1) + 1
    cols = cols.clamp(0, w + 1).expand(n, h, w)
    rows = rows.clamp(0, h + 1).expand(n, h, w)
    return _gather(padded, rows, cols)
