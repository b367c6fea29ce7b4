"""Mode coverage: modes of a 2-D Gaussian mixture, and classes of labelled data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganforge.errors import GanforgeError


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) of two histograms (normalised here); inf where q = 0 < p."""
    p = np.asarray(p, dtype=np.float64) / np.sum(p)
    q = np.asarray(q, dtype=np.float64) / np.sum(q)
    mask = p > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(p[mask] * (np.log(p[mask]) - np.log(q[mask]))))


@dataclass
class ModeCoverage:
    """Modes captured, share of high-quality samples, KL of their mode histogram to uniform.

    Two diagnostics of what keeps samples from being high quality: ``bridges``, the share of
    samples farther than twice the threshold from every mean (between modes), and ``width``, the
    per-axis RMS distance of the other samples to their nearest mean in data std (1: as sharp as
    the data; nan when every sample is a bridge).
    """

    modes: int
    total: int
    high_quality: float
    kl_uniform: float
    histogram: list[int]
    bridges: float = float("nan")
    width: float = float("nan")


def toy_mode_coverage(
    points: np.ndarray, means: np.ndarray, std: float, threshold: float = 3.0
) -> ModeCoverage:
    """The VEEGAN/PacGAN protocol for 2-D mixtures.

    A sample is high quality when it lies within ``threshold`` standard deviations of its
    nearest mean; a mode is captured when it is the nearest mean of at least one high-quality
    sample. The KL is nan when no sample is high quality.
    """
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 2 or points.shape[1] != means.shape[1]:
        raise GanforgeError(f"points of shape {points.shape} do not match means {means.shape}")
    d = np.linalg.norm(points[:, None, :] - means[None, :, :], axis=2)
    closest = d.argmin(axis=1)
    distance = d.min(axis=1)  # to the nearest mean
    good = distance <= threshold * std
    histogram = np.bincount(closest[good], minlength=len(means))
    kl = kl_divergence(histogram, np.ones(len(means))) if good.any() else float("nan")
    nearest = distance / std
    near = nearest[nearest <= 2 * threshold]
    width = float(np.sqrt(np.mean(near**2) / means.shape[1])) if len(near) else float("nan")
    return ModeCoverage(
        int((histogram > 0).sum()),
        len(means),
        float(good.mean()),
        kl,
        histogram.tolist(),
        bridges=float((nearest > 2 * threshold).mean()),
        width=width,
    )


@dataclass
class ClassCoverage:
    """Classes predicted for at least one fake sample, and KL of fake to real class histograms."""

    classes: int
    total: int
    kl: float
    fake_histogram: list[int]
    real_histogram: list[int]


def class_coverage(real_logits: np.ndarray, fake_logits: np.ndarray) -> ClassCoverage:
    """Class coverage from a classifier's logits (arg-max labels on both sides)."""
    n_classes = real_logits.shape[1]
    if fake_logits.shape[1] != n_classes:
        raise GanforgeError("real and fake logits have different numbers of classes")
    real_hist = np.bincount(real_logits.argmax(axis=1), minlength=n_classes)
    fake_hist = np.bincount(fake_logits.argmax(axis=1), minlength=n_classes)
    return ClassCoverage(
        int((fake_hist > 0).sum()),
        n_classes,
        kl_divergence(fake_hist, real_hist),
        fake_hist.tolist(),
        real_hist.tolist(),
    )
