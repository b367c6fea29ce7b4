"""Full-reference image measures of image pairs: L1, PSNR, SSIM, MS-SSIM, sharpness difference.

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


def gaussian_1d(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """A normalised 1-D Gaussian window of ``size`` taps, float64."""
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    return g / g.sum()


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """A normalised 2-D Gaussian window (size x size), float64: the outer product of 1-D ones."""
    g = gaussian_1d(size, sigma)
    return g[:, None] * g[None, :]


MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang et al. 2003, five scales


def ssim_parts(
    x: torch.Tensor,
    y: torch.Tensor,
    data_range: float = 1.0,
    window: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(SSIM, contrast-structure term cs), each per image and channel (N, C), float64.

    An 11 x 11 Gaussian window (sigma 1.5), C1 = (0.01 L)^2, C2 = (0.03 L)^2, population
    (co)variances, averaged over the positions where the window fits inside the image.
    """
    _check(x, y)
    _, c, h, w = x.shape
    if min(h, w) < window:
        raise ValueError(f"SSIM with a {window}x{window} window needs images at least that large")
    g = gaussian_1d(window, sigma).to(x.device)
    rows = g.view(1, 1, -1, 1).expand(c, 1, window, 1)
    cols = g.view(1, 1, 1, -1).expand(c, 1, 1, window)
    x, y = x.double(), y.double()

    def blur(t: torch.Tensor) -> torch.Tensor:  # the 2-D Gaussian window as two 1-D passes
        return F.conv2d(F.conv2d(t, rows, groups=c), cols, groups=c)

    mx, my = blur(x), blur(y)
    vx = blur(x * x) - mx**2
    vy = blur(y * y) - my**2
    cov = blur(x * y) - mx * my
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    cs = (2 * cov + c2) / (vx + vy + c2)
    index = (2 * mx * my + c1) / (mx**2 + my**2 + c1) * cs
    return index.flatten(2).mean(2), cs.flatten(2).mean(2)


def ssim(
    x: torch.Tensor,
    y: torch.Tensor,
    data_range: float = 1.0,
    window: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> torch.Tensor:
    """Structural similarity (Wang et al. 2004) per image, averaged over channels and positions
    (the window and constants of ``ssim_parts``)."""
    return ssim_parts(x, y, data_range, window, sigma, k1, k2)[0].mean(1)


def ms_ssim(
    x: torch.Tensor,
    y: torch.Tensor,
    data_range: float = 1.0,
    window: int = 11,
    sigma: float = 1.5,
    weights: tuple[float, ...] = MS_SSIM_WEIGHTS,
    k1: float = 0.01,
    k2: float = 0.03,
) -> torch.Tensor:
    """Multi-scale SSIM (Wang et al. 2003) per image, as pytorch-msssim computes it.

    At each of ``len(weights)`` scales the cs term (the SSIM itself at the last, coarsest
    scale) is averaged over positions per channel and clipped at 0; between scales both images
    are 2x2 average-pooled (an odd side padded by one zero, counted in the average). The value
    is prod_i term_i ** weight_i per channel, averaged over channels.
    """
    _check(x, y)
    levels = len(weights)
    side = min(x.shape[2:])
    for _ in range(levels - 1):
        side = (side + 1) // 2
    if side < window:
        raise ValueError(
            f"MS-SSIM with {levels} scales and a window of {window} pixels needs images whose "
            f"side is still {window} after {levels - 1} halvings (got {min(x.shape[2:])} pixels)"
        )
    x, y = x.double(), y.double()
    terms = []
    for level in range(levels):
        whole, cs = ssim_parts(x, y, data_range, window, sigma, k1, k2)
        if level < levels - 1:
            terms.append(cs.clamp(min=0))
            padding = [s % 2 for s in x.shape[2:]]
            x = F.avg_pool2d(x, kernel_size=2, padding=padding)
            y = F.avg_pool2d(y, kernel_size=2, padding=padding)
    terms.append(whole.clamp(min=0))
    power = torch.tensor(weights, dtype=torch.float64, device=x.device).view(-1, 1, 1)
    return (torch.stack(terms) ** power).prod(0).mean(1)


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
