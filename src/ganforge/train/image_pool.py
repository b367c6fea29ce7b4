"""CycleGAN's image pool (Shrivastava et al. 2017): show D a history of generated images.

While the pool holds fewer than ``size`` images, each new image is stored and returned. Once it
is full, each new image is, with probability 0.5, swapped for a random stored one (the stored
image is returned, the new one takes its place), and otherwise returned as is.
"""

from __future__ import annotations

from typing import Any

import torch


class ImagePool:
    """A buffer of previously generated images (size 0 turns it off)."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"pool size must be >= 0, got {size}")
        self.size = size
        self.images: list[torch.Tensor] = []

    @torch.no_grad()
    def query(self, images: torch.Tensor) -> torch.Tensor:
        """The batch D should see for this batch of new (detached) images."""
        if self.size == 0:
            return images.detach()
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand(()) < 0.5:
                slot = int(torch.randint(self.size, ()))
                out.append(self.images[slot].clone())
                self.images[slot] = image.clone()
            else:
                out.append(image)
        return torch.cat(out)

    def state_dict(self) -> dict[str, Any]:
        """The stored images (on the CPU), for exact resume."""
        return {"size": self.size, "images": [t.cpu() for t in self.images]}

    def load_state_dict(self, state: dict[str, Any], device: torch.device | str = "cpu") -> None:
        """Restore state_dict."""
        self.images = [t.to(device) for t in state.get("images", [])][: self.size]
