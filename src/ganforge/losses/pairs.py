"""Adversarial pairs: pure functions of the discriminator's outputs on real (r) and fake (f)
samples, means over the batch, so each can be pinned to hand-computed values."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def minimax_d(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """-E[log D(x)] - E[log(1 - D(G(z)))] with D = sigmoid(logit)."""
    return F.softplus(-r).mean() + F.softplus(f).mean()


def minimax_g(f: torch.Tensor) -> torch.Tensor:
    """E[log(1 - D(G(z)))]: the original, saturating generator objective (minimised)."""
    return -F.softplus(f).mean()


def nonsaturating_g(f: torch.Tensor) -> torch.Tensor:
    """-E[log D(G(z))]: the non-saturating generator objective."""
    return F.softplus(-f).mean()


def least_squares_d(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """LSGAN (a=0, b=1): 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]."""
    return 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f**2).mean()


def least_squares_g(f: torch.Tensor) -> torch.Tensor:
    """LSGAN (c=1): 1/2 E[(D(G(z)) - 1)^2]."""
    return 0.5 * ((f - 1) ** 2).mean()


def wasserstein_d(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """E[D(G(z))] - E[D(x)]: the negated critic estimate of the Wasserstein-1 distance."""
    return f.mean() - r.mean()


def wasserstein_g(f: torch.Tensor) -> torch.Tensor:
    """-E[D(G(z))] (also the hinge generator loss)."""
    return -f.mean()


def hinge_d(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]."""
    return F.relu(1 - r).mean() + F.relu(1 + f).mean()
