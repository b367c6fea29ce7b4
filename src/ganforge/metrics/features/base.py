"""The feature-extractor contract: uint8 NCHW images in, named float64 feature arrays out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import torch

from ganforge.errors import GanforgeError


class Extractor(ABC):
    """Turns uint8 NCHW images (or float points) into named feature arrays.

    Every extractor returns at least ``features`` (the space FID, KID and precision/recall use);
    classifiers also return ``logits`` (Inception Score, class histograms). ``provenance`` says
    exactly which network, weights and preprocessing produced the numbers.
    """

    name: str = ""
    outputs: tuple[str, ...] = ("features",)
    batch_size: int = 100

    @abstractmethod
    def _batch(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Features of one batch."""

    def provenance(self) -> dict[str, Any]:
        """Network, weights hash and preprocessing that produced the features."""
        return {"extractor": self.name}

    @torch.no_grad()
    def __call__(self, images: torch.Tensor | np.ndarray) -> dict[str, np.ndarray]:
        """Features of all images, computed batch by batch, as float64 arrays."""
        images = torch.as_tensor(images)
        if len(images) == 0:
            raise GanforgeError(f"{self.name}: no images to extract features from")
        chunks: dict[str, list[np.ndarray]] = {}
        for start in range(0, len(images), self.batch_size):
            out = self._batch(images[start : start + self.batch_size])
            for key, value in out.items():
                chunks.setdefault(key, []).append(value.detach().double().cpu().numpy())
        return {key: np.concatenate(parts) for key, parts in chunks.items()}


class IdentityExtractor(Extractor):
    """Points are their own features (2-D toy data)."""

    name = "identity"

    def _batch(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"features": images.reshape(len(images), -1).double()}


class PixelExtractor(Extractor):
    """Raw pixels in [0, 1], area-downsampled so the longer side is at most ``max_side``."""

    name = "pixels"

    def __init__(self, max_side: int = 32) -> None:
        self.max_side = max_side

    def _batch(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise GanforgeError("the pixels extractor expects uint8 NCHW images")
        x = images.double() / 255.0
        side = max(x.shape[2:])
        if side > self.max_side:
            factor = self.max_side / side
            size = (max(1, round(x.shape[2] * factor)), max(1, round(x.shape[3] * factor)))
            x = torch.nn.functional.interpolate(x, size=size, mode="area")
        return {"features": x.flatten(1)}

    def provenance(self) -> dict[str, Any]:
        """Name and downsampling size."""
        return {"extractor": self.name, "max_side": self.max_side}
