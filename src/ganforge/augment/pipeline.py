"""The augmentation a recipe applies to every image that reaches its discriminator."""

from __future__ import annotations

from typing import Any

import torch

from ganforge.augment.ada import ada_augment
from ganforge.augment.adaptive import AdaptiveP, Reduce
from ganforge.augment.diffaugment import diffaugment
from ganforge.augment.spec import AugmentSpec


class Augment:
    """DiffAugment or ADA as one callable (``none`` is the identity, never built by recipes).

    The recipe calls it on real and generated images alike, in the discriminator's and the
    generator's steps (it is differentiable in the images), reports D's outputs on the real
    batch with ``observe`` and closes each training step with ``end_step``.
    """

    def __init__(
        self,
        spec: AugmentSpec,
        device: torch.device,
        target: float = 0.6,
        interval: int = 4,
        reduce: Reduce | None = None,
    ) -> None:
        self.spec = spec
        self.adaptive = None
        if spec.kind == "ada":  # a fixed p (ada:bgc,p=0.2) still measures r_t
            p = spec.p if spec.p is not None else 0.0
            self.adaptive = AdaptiveP(target, interval, device, reduce, p, spec.adaptive)

    @property
    def p(self) -> torch.Tensor:
        """ADA's current probability (a float64 device tensor)."""
        assert self.adaptive is not None, "only ADA has a probability"
        return self.adaptive.p

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Augment a batch of images in [-1, 1] (N, C, H, W)."""
        if self.spec.kind == "diffaugment":
            return diffaugment(x, self.spec.parts)
        if self.spec.kind == "ada":
            return ada_augment(x, self.spec.parts, self.p)
        return x

    def observe(self, real_scores: torch.Tensor, images: int) -> None:
        """D's outputs on ``images`` augmented real images (feeds ADA's heuristic)."""
        if self.adaptive is not None:
            self.adaptive.observe(real_scores, images)

    def end_step(self) -> dict[str, torch.Tensor | float]:
        """Close a training step; its logs: ADA's p and r_t (nothing for DiffAugment)."""
        if self.adaptive is None:
            return {}
        r_t = self.adaptive.end_step()
        return {"ada_p": self.adaptive.p.float(), "ada_rt": r_t.float()}

    def state_dict(self) -> dict[str, Any]:
        """ADA's adaptive state (empty otherwise)."""
        return self.adaptive.state_dict() if self.adaptive is not None else {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore state_dict (a checkpoint without it keeps the initial state)."""
        if self.adaptive is not None and state:
            self.adaptive.load_state_dict(state)
