"""MS-SSIM sample diversity (Odena et al. 2017, ACGAN; in Borji's survey): the mean MS-SSIM of
random pairs of generated images. Similar pairs score near 1, so lower means more diverse; a
collapsed generator scores high. With class labels it is also computed within each class, the
form of the ACGAN paper (100 pairs per class).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.paired import MS_SSIM_WEIGHTS, ms_ssim

CHUNK = 256  # pairs compared at once


@dataclass
class Diversity:
    """Mean and std of MS-SSIM over the pairs drawn, their number, and the per-class means."""

    mean: float
    std: float
    pairs: int
    per_class: dict[int, float]


def scale_weights(scales: int) -> tuple[float, ...]:
    """The first ``scales`` MS-SSIM weights, renormalised to sum to 1 (all five: as published)."""
    if not 1 <= scales <= len(MS_SSIM_WEIGHTS):
        raise GanforgeError(f"MS-SSIM has 1 to {len(MS_SSIM_WEIGHTS)} scales, got {scales}")
    if scales == len(MS_SSIM_WEIGHTS):
        return MS_SSIM_WEIGHTS
    first = MS_SSIM_WEIGHTS[:scales]
    return tuple(w / sum(first) for w in first)


def random_pairs(n: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` pairs (i, j) of distinct indices below ``n``, drawn uniformly."""
    first = rng.integers(0, n, count)
    return first, (first + rng.integers(1, n, count)) % n


def pair_ms_ssim(
    images: torch.Tensor, i: np.ndarray, j: np.ndarray, window: int, weights: tuple[float, ...]
) -> np.ndarray:
    """MS-SSIM of images[i] against images[j] (uint8 images, compared on the [0, 1] scale)."""
    out = []
    for start in range(0, len(i), CHUNK):
        a = images[torch.as_tensor(i[start : start + CHUNK])].double() / 255.0
        b = images[torch.as_tensor(j[start : start + CHUNK])].double() / 255.0
        try:
            out.append(ms_ssim(a, b, 1.0, window, weights=weights).numpy())
        except ValueError as err:
            raise GanforgeError(
                f"{err}; choose fewer scales or a smaller window (e.g. ms-ssim:scales=2 or "
                "ms-ssim:window=7)"
            ) from None
    return np.concatenate(out)


def ms_ssim_diversity(
    images: torch.Tensor,
    pairs: int = 1000,
    labels: np.ndarray | None = None,
    class_pairs: int = 100,
    window: int = 11,
    scales: int = 5,
    seed: int = 0,
) -> Diversity:
    """Mean MS-SSIM over ``pairs`` random pairs of distinct images (uint8 NCHW), and over
    ``class_pairs`` pairs within each class of ``labels`` that has two or more images."""
    if len(images) < 2:
        raise GanforgeError("MS-SSIM diversity needs at least 2 generated images")
    weights = scale_weights(scales)
    rng = np.random.default_rng(seed)
    values = pair_ms_ssim(images, *random_pairs(len(images), pairs, rng), window, weights)
    per_class = {}
    if labels is not None:
        labels = np.asarray(labels)
        for c in np.unique(labels):
            members = np.flatnonzero(labels == c)
            if len(members) >= 2:
                i, j = random_pairs(len(members), class_pairs, rng)
                scores = pair_ms_ssim(images, members[i], members[j], window, weights)
                per_class[int(c)] = float(scores.mean())
    return Diversity(float(values.mean()), float(values.std()), pairs, per_class)
