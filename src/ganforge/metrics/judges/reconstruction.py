"""Reconstruction error (Xiang and Li 2017): how well a generator can reproduce held-out real
images, found by optimising the latent code.

For each real image x, z starts from a seeded standard normal draw and Adam minimises
mean (G(z) - x)^2 for ``steps`` steps; the error is the final per-pixel mean squared error on the
[0, 1] scale (a quarter of the error on G's [-1, 1] scale). Images the generator cannot reach
(dropped modes) keep a large error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ganforge.errors import GanforgeError


@dataclass
class Inversion:
    """Per-image errors (on [0, 1]), the latents found and the reconstructions ([-1, 1])."""

    errors: torch.Tensor
    z: torch.Tensor
    images: torch.Tensor


def invert(
    generate: Callable[[torch.Tensor], torch.Tensor],
    targets: torch.Tensor,
    z0: torch.Tensor,
    steps: int = 500,
    lr: float = 0.05,
) -> Inversion:
    """Optimise latents ``z0`` so that ``generate(z)`` matches ``targets`` (float, [-1, 1])."""
    if steps < 1:
        raise GanforgeError(f"reconstruction needs at least one optimisation step, got {steps}")
    z = z0.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    for _ in range(steps):
        loss = ((generate(z) - targets) ** 2).flatten(1).mean(1).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    with torch.no_grad():
        images = generate(z)
        errors = ((images - targets) ** 2).flatten(1).mean(1) / 4.0
    return Inversion(errors.detach().cpu(), z.detach(), images.detach().cpu())
