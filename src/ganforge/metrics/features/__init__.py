"""Feature extractors by name (registry): each turns images into named feature arrays."""

from __future__ import annotations

from ganforge.metrics.features import inception_weights
from ganforge.metrics.features.base import Extractor, IdentityExtractor, PixelExtractor
from ganforge.metrics.features.classifier import digits_classifier, mnist_classifier
from ganforge.metrics.features.inception import InceptionExtractor
from ganforge.metrics.features.resize import ResizeMode
from ganforge.registry import EXTRACTORS


@EXTRACTORS.register("identity")
def identity() -> Extractor:
    """Points are their own features (2-D toy data)."""
    return IdentityExtractor()


@EXTRACTORS.register("pixels")
def pixels(*, max_side: int = 32) -> Extractor:
    """Raw pixels in [0, 1], area-downsampled to at most max_side (a baseline feature space)."""
    return PixelExtractor(max_side)


@EXTRACTORS.register("inception-v3-fid", weights="inception")
def inception_v3_fid(
    *,
    weights: str | None = None,
    resize: ResizeMode = "tf1-bilinear",
    batch_size: int = 50,
    device: str = "auto",
) -> Extractor:
    """TF Inception-v3 of the FID/IS/KID papers: pool3 features (2048), 1008 logits."""
    return InceptionExtractor(weights, resize, batch_size, device)


EXTRACTORS.add("digits-classifier", digits_classifier, trains=True)
EXTRACTORS.add("mnist-classifier", mnist_classifier, trains=True)


def extractor_note(name: str) -> str:
    """What a user should know before using extractor ``name``: weights present, or trained."""
    meta = EXTRACTORS.entry(name).meta
    if meta.get("weights") == "inception":
        return inception_weights.status()
    if meta.get("trains"):
        return "trained on first use (seconds to minutes), then cached"
    return ""


def extractor_rows() -> list[tuple[str, str]]:
    """(name, summary [note]) for every registered extractor, for listings."""
    rows = []
    for entry in EXTRACTORS:
        note = extractor_note(entry.name)
        rows.append((entry.name, f"{entry.summary} [{note}]" if note else entry.summary))
    return rows


__all__ = ["Extractor", "extractor_note", "extractor_rows"]
