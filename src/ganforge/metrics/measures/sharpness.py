"""Sharpness difference for unpaired samples: Mathieu et al.'s (2016) measure, with the mean
gradient of the real images in place of a paired target's.

sharpness(x) is the mean of Mathieu et al.'s gradient map (|vertical| + |horizontal| pixel
differences) of an image in [0, 1]; the score is 10 log10(1 / |S_real - S_fake|) in dB, with S
each side's mean sharpness: higher means the generated images are as sharp as the real ones
(infinite when equal). A blurry generator has S_fake < S_real, a noisy one S_fake > S_real.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.paired import gradients


def sharpness(images: torch.Tensor) -> np.ndarray:
    """Mean gradient per image of uint8 NCHW images, on the [0, 1] scale."""
    if images.dtype != torch.uint8 or images.ndim != 4 or min(images.shape[2:]) < 2:
        raise GanforgeError("sharpness needs uint8 NCHW images of at least 2x2 pixels")
    return gradients(images.double() / 255.0).flatten(1).mean(1).numpy()


@dataclass
class SharpnessDifference:
    """The score in dB and each side's mean sharpness."""

    db: float
    real: float
    fake: float


def sharpness_difference(real: torch.Tensor, fake: torch.Tensor) -> SharpnessDifference:
    """10 log10(1 / |mean sharpness(real) - mean sharpness(fake)|)."""
    s_real, s_fake = float(sharpness(real).mean()), float(sharpness(fake).mean())
    gap = abs(s_real - s_fake)
    db = float("inf") if gap == 0 else float(10.0 * np.log10(1.0 / gap))
    return SharpnessDifference(db, s_real, s_fake)
