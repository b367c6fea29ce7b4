"""Low-level image statistics of generated versus real images (after Zeng et al. 2017):
the mean power spectrum, the mean Fourier amplitude, Haar wavelet and edge (gradient)
statistics.

Images are uint8 NCHW; each is turned into grey levels in [0, 1] (the mean of its channels).
Natural images have a power spectrum falling roughly as 1/f^2 and heavy-tailed wavelet and
gradient distributions; generators often miss the high frequencies or add periodic artefacts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import kurtosis, wasserstein_distance

from ganforge.errors import GanforgeError


def grey(images: torch.Tensor) -> np.ndarray:
    """uint8 NCHW images as float64 grey levels (N, H, W) in [0, 1]."""
    if images.dtype != torch.uint8 or images.ndim != 4:
        raise GanforgeError("low-level image statistics need uint8 NCHW images")
    return images.double().mean(dim=1).numpy() / 255.0


def mean_power_spectrum(images: np.ndarray) -> np.ndarray:
    """Mean |FFT|^2 of the mean-subtracted images, zero frequency at the centre (H, W)."""
    centred = images - images.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(centred)) ** 2 / (images.shape[1] * images.shape[2])
    return np.fft.fftshift(power.mean(axis=0))


def radial_profile(spectrum: np.ndarray) -> np.ndarray:
    """Mean of a centred 2-D spectrum over rings of integer radius 1 .. min(H, W) // 2."""
    h, w = spectrum.shape
    yy, xx = np.indices((h, w))
    radius = np.rint(np.hypot(yy - h // 2, xx - w // 2)).astype(int)
    top = min(h, w) // 2
    sums = np.bincount(radius.ravel(), spectrum.ravel())
    counts = np.bincount(radius.ravel())
    return sums[1 : top + 1] / counts[1 : top + 1]


def spectral_slope(profile: np.ndarray) -> float:
    """Slope of log power against log frequency (natural images: about -2)."""
    f = np.arange(1, len(profile) + 1)
    keep = profile > 0
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(f[keep]), np.log(profile[keep]), 1)[0])


def log_distance(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    """Mean |log10 a - log10 b| (values floored at ``floor``)."""
    return float(np.abs(np.log10(np.maximum(a, floor)) - np.log10(np.maximum(b, floor))).mean())


def haar_details(images: np.ndarray, levels: int = 3) -> list[np.ndarray]:
    """Orthonormal Haar detail coefficients (horizontal, vertical, diagonal pooled) per level."""
    out = []
    x = images
    for _ in range(levels):
        h, w = (x.shape[1] // 2) * 2, (x.shape[2] // 2) * 2
        if h < 2 or w < 2:
            break
        a, b = x[:, 0:h:2, 0:w:2], x[:, 0:h:2, 1:w:2]
        c, d = x[:, 1:h:2, 0:w:2], x[:, 1:h:2, 1:w:2]
        out.append(
            np.concatenate(
                [
                    ((a - b + c - d) / 2).ravel(),
                    ((a + b - c - d) / 2).ravel(),
                    ((a - b - c + d) / 2).ravel(),
                ]
            )
        )
        x = (a + b + c + d) / 2
    return out


def sobel_magnitude(images: np.ndarray) -> np.ndarray:
    """Gradient magnitude of the 3x3 Sobel filters at every interior pixel (N, H-2, W-2)."""
    p = images
    gx = (p[:, :-2, 2:] + 2 * p[:, 1:-1, 2:] + p[:, 2:, 2:]) - (
        p[:, :-2, :-2] + 2 * p[:, 1:-1, :-2] + p[:, 2:, :-2]
    )
    gy = (p[:, 2:, :-2] + 2 * p[:, 2:, 1:-1] + p[:, 2:, 2:]) - (
        p[:, :-2, :-2] + 2 * p[:, :-2, 1:-1] + p[:, :-2, 2:]
    )
    return np.hypot(gx, gy)


@dataclass
class Spectra:
    """Distances of the mean power spectrum (radial, log10) and of the mean 2-D Fourier
    amplitude (log10), with each side's spectral slope."""

    spectrum: float
    fourier: float
    slope_real: float
    slope_fake: float


def spectra(real: torch.Tensor, fake: torch.Tensor) -> Spectra:
    """Spectral statistics of two image sets of one size."""
    a, b = grey(real), grey(fake)
    if a.shape[1:] != b.shape[1:]:
        raise GanforgeError(f"images differ in size: {a.shape[1:]} and {b.shape[1:]}")
    pa, pb = mean_power_spectrum(a), mean_power_spectrum(b)
    ra, rb = radial_profile(pa), radial_profile(pb)
    amp_a = np.abs(np.fft.fft2(a)).mean(axis=0)
    amp_b = np.abs(np.fft.fft2(b)).mean(axis=0)
    return Spectra(
        log_distance(ra, rb), log_distance(amp_a, amp_b), spectral_slope(ra), spectral_slope(rb)
    )


@dataclass
class Distributions:
    """Mean Wasserstein-1 distance between real and fake value distributions, and the
    kurtosis of each side (per wavelet level, or one value for edges)."""

    distance: float
    kurtosis_real: list[float]
    kurtosis_fake: list[float]


def wavelet_statistics(real: torch.Tensor, fake: torch.Tensor, levels: int = 3) -> Distributions:
    """Haar detail coefficient distributions, compared level by level."""
    a, b = haar_details(grey(real), levels), haar_details(grey(fake), levels)
    if not a:
        raise GanforgeError("images are too small for a wavelet level")
    return Distributions(
        float(np.mean([wasserstein_distance(x, y) for x, y in zip(a, b)])),
        [float(kurtosis(x)) for x in a],
        [float(kurtosis(y)) for y in b],
    )


def edge_statistics(real: torch.Tensor, fake: torch.Tensor) -> Distributions:
    """Sobel gradient-magnitude distributions."""
    a, b = sobel_magnitude(grey(real)).ravel(), sobel_magnitude(grey(fake)).ravel()
    if not len(a) or not len(b):
        raise GanforgeError("images need at least 3x3 pixels for edge statistics")
    return Distributions(
        float(wasserstein_distance(a, b)), [float(kurtosis(a))], [float(kurtosis(b))]
    )
