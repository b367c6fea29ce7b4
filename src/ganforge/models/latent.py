"""Operations on latent vectors."""

from __future__ import annotations

import torch


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between latent batches ``a`` and ``b`` at fractions ``t``."""
    a_n, b_n = a / a.norm(dim=-1, keepdim=True), b / b.norm(dim=-1, keepdim=True)
    omega = torch.acos((a_n * b_n).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    t = t[:, None]
    return torch.sin((1 - t) * omega) / so * a + torch.sin(t * omega) / so * b


def truncated_normal(
    n: int, dim: int, threshold: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """(n, dim) standard normal values conditioned on |z| <= ``threshold``: every value beyond
    it is redrawn (BigGAN's truncation trick; not clipped, not rescaled), so the kept values
    follow the truncated normal. Deterministic in ``generator``."""
    z = torch.randn(n, dim, generator=generator)
    out = z.abs() > threshold
    while out.any():
        z[out] = torch.randn(int(out.sum()), generator=generator)
        out = z.abs() > threshold
    return z
