"""DiffAugment's three policies (Zhao et al. 2020), with the released code's magnitudes.

Every transform draws its parameters per image from ``torch``'s global generator and is
differentiable in the image (gradients reach the generator). Images are in [-1, 1]; as in the
reference, the colour transforms do not clip.
"""

from __future__ import annotations

import torch

from ganforge.augment.sampling import shift_zero

BRIGHTNESS = 0.5  # add U(-0.5, 0.5)
SATURATION = (0.0, 2.0)  # scale the deviation from the channel mean by U(0, 2)
CONTRAST = (0.5, 1.5)  # scale the deviation from the image mean by U(0.5, 1.5)
TRANSLATION = 0.125  # shift by a whole number of pixels, at most 1/8 of the side (rounded)
CUTOUT = 0.5  # zero a square of half the side (rounded), centred anywhere in the image


def _uniform(x: torch.Tensor, low: float, high: float) -> torch.Tensor:
    u = torch.rand(x.shape[0], 1, 1, 1, device=x.device)
    return (low + (high - low) * u).to(x.dtype)


def brightness(x: torch.Tensor) -> torch.Tensor:
    """Add one uniform offset in [-0.5, 0.5) per image."""
    return x + _uniform(x, -BRIGHTNESS, BRIGHTNESS)


def saturation(x: torch.Tensor) -> torch.Tensor:
    """Scale each pixel's deviation from its channel mean (the identity on one channel)."""
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * _uniform(x, *SATURATION) + mean


def contrast(x: torch.Tensor) -> torch.Tensor:
    """Scale each image's deviation from its mean."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * _uniform(x, *CONTRAST) + mean


def _reach(side: int, ratio: float) -> int:
    return int(side * ratio + 0.5)


def translation(x: torch.Tensor) -> torch.Tensor:
    """Shift by whole pixels, each axis uniform in [-s, s] with s = round(side / 8); zeros fill."""
    n, _, h, w = x.shape
    sy, sx = _reach(h, TRANSLATION), _reach(w, TRANSLATION)
    dy = torch.randint(-sy, sy + 1, (n,), device=x.device)
    dx = torch.randint(-sx, sx + 1, (n,), device=x.device)
    return shift_zero(x, dx, dy)


def cutout_mask(n: int, h: int, w: int, device: torch.device) -> torch.Tensor:
    """(N, 1, H, W) masks, zero on a square of half the side (clipped at the border)."""
    ch, cw = _reach(h, CUTOUT), _reach(w, CUTOUT)
    cy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=device)
    cx = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=device)
    rows = torch.arange(h, device=device).view(1, h, 1)
    cols = torch.arange(w, device=device).view(1, 1, w)
    inside_y = (rows >= cy - ch // 2) & (rows < cy - ch // 2 + ch)
    inside_x = (cols >= cx - cw // 2) & (cols < cx - cw // 2 + cw)
    return (~(inside_y & inside_x)).unsqueeze(1)


def cutout(x: torch.Tensor) -> torch.Tensor:
    """Zero a random square of half the side in each image."""
    n, _, h, w = x.shape
    return x * cutout_mask(n, h, w, x.device).to(x.dtype)


POLICIES = {
    "color": (brightness, saturation, contrast),
    "translation": (translation,),
    "cutout": (cutout,),
}


def diffaugment(x: torch.Tensor, policies: tuple[str, ...]) -> torch.Tensor:
    """Apply the named policies in the given order (each of its transforms to every image)."""
    for name in policies:
        for transform in POLICIES[name]:
            x = transform(x)
    return x
