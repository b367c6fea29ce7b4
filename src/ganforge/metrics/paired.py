"""Full-reference image measures for paired translation: L1, PSNR, SSIM, sharpness difference.

Pure functions of two float NCHW batches with values in [0, data_range]; each returns one value
per image (average them for a dataset figure).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _check(x: torch.Tensor, y: torch.Tensor) -> None:
    if x.shape != y.shape or x.ndim != 4:
        raise ValueError(f"expected two NCHW batches of one shape, got {x.shape} and {y.shape}")


def l1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference per image."""
    _check(x, y)
    return (x.double() - y.double()).abs().flatten(1).mean(1)


def psnr(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio per image, 10 log10(range^2 / MSE) in dB (inf when equal)."""
    _check(x, y)
    mse = ((x.double() - y.double()) ** 2).flatten(1).mean(1)
    return 10.0 * torch.log10(data_range**2 / mse)


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """A normalised 2-D Gaussian window (size x size), float64."""
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = g / g.sum()
    return g[:, None] * g[None, :]


def ssim(
    x: torch.Tensor,
    y: torch.Tensor,
    data_range: float = 1.0,
    window: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> torch.Tensor:
    """Structural similarity (Wang et al. 2004) per image, averaged over channels and positions.

    An 11 x 11 Gaussian window (sigma 1.5), C1 = (0.01 L)^2, C2 = (0.03 L)^2, population
    (co)variances, and only the positions where the window fits inside the image.
    """
    _check(x, y)
    _, c, h, w = x.shape
    if min(h, w) < window:
        raise ValueError(f"SSIM with a {window}x{window} window needs images at least that large")
    kernel = gaussian_window(window, sigma).to(x.device).expand(c, 1, window, window)
    x, y = x.double(), y.double()

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, kernel, groups=c)

    mx, my = blur(x), blur(y)
    vx = blur(x * x) - mx**2
    vy = blur(y * y) - my**2
    cov = blur(x * y) - mx * my
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    index = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return index.flatten(1).mean(1)


def sharpness_difference(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Sharpness difference (Mathieu et al. 2016) in dB per image: higher means closer edges.

    10 log10(range^2 / mean |(gx(y) + gy(y)) - (gx(x) + gy(x))|) with gx, gy the absolute
    differences to the pixel above and to the left (inf when the gradients agree everywhere).
    """
    _check(x, y)
    diff = (gradients(y) - gradients(x)).abs().flatten(1).mean(1)
    return 10.0 * torch.log10(data_range**2 / diff)


def gradients(t: torch.Tensor) -> torch.Tensor:
    """Mathieu et al.'s gradient map: |difference to the pixel above| + |to the pixel left|."""
    t = t.double()
    down = (t[:, :, 1:, 1:] - t[:, :, :-1, 1:]).abs()
    right = (t[:, :, 1:, 1:] - t[:, :, 1:, :-1]).abs()
    return down + right
