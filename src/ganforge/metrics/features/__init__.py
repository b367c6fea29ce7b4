"""Feature extractors by name (registry): each turns images into named feature arrays."""

from __future__ import annotations

from ganforge.metrics.features.base import Extractor, IdentityExtractor, PixelExtractor
from ganforge.registry import EXTRACTORS


@EXTRACTORS.register("identity")
def identity() -> Extractor:
    """Points are their own features (2-D toy data)."""
    return IdentityExtractor()


@EXTRACTORS.register("pixels")
def pixels(*, max_side: int = 32) -> Extractor:
    """Raw pixels in [0, 1], area-downsampled to at most max_side (a baseline feature space)."""
    return PixelExtractor(max_side)


__all__ = ["Extractor"]
