"""ADA's augmentation pipeline (Karras et al. 2020), reduced: the blit, geom and color groups.

Each transform is applied to an image with probability p (times its multiplier, 1 for all of
these, as in the paper's ``bgc``), with the released code's parameter distributions. The pixel
blits and the general geometric transforms compose into one inverse 2-D matrix per image,
executed as one bilinear resampling with reflection beyond the edges; the colour transforms
compose into one 4x4 matrix per image. See docs/augment.md for what differs from the reference.
"""

from __future__ import annotations

import math

import torch

from ganforge.augment.sampling import bilinear_reflect

XINT_MAX = 0.125  # integer translation: uniform in +-1/8 of the side, rounded to whole pixels
SCALE_STD = 0.2  # isotropic scaling: log2 of the factor ~ N(0, 0.2^2)
ROTATE_MAX = 1.0  # rotation: uniform in +-pi, before and after the anisotropic scaling
ANISO_STD = 0.2  # anisotropic scaling: log2 of the factor ~ N(0, 0.2^2)
XFRAC_STD = 0.125  # fractional translation ~ N(0, (side / 8)^2) per axis
BRIGHTNESS_STD = 0.2  # brightness: add N(0, 0.2^2)
CONTRAST_STD = 0.5  # contrast: log2 of the factor ~ N(0, 0.5^2)
HUE_MAX = 1.0  # hue: rotate around the luma axis by uniform +-pi
SATURATION_STD = 1.0  # saturation: log2 of the factor ~ N(0, 1)
LUMA = torch.tensor([1.0, 1.0, 1.0, 0.0]) / math.sqrt(3.0)  # the luma axis of homogeneous RGB
QUARTER_COS = (1.0, 0.0, -1.0, 0.0)  # exact cos/sin of k * 90 degrees
QUARTER_SIN = (0.0, 1.0, 0.0, -1.0)

Prob = torch.Tensor | float


def _apply(p: Prob, n: int, device: torch.device) -> torch.Tensor:
    """Which of n images a transform of probability ``p`` applies to."""
    return torch.rand(n, device=device) < p


def _where(mask: torch.Tensor, value: torch.Tensor, identity: float) -> torch.Tensor:
    return torch.where(mask, value, torch.full_like(value, identity))


def _affine(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """(N, 3, 3) matrices [[a, b, 0], [c, d, 0], [0, 0, 1]]."""
    m = torch.eye(3, device=a.device).repeat(len(a), 1, 1)
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = a, b, c, d
    return m


def _translate(tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    m = torch.eye(3, device=tx.device).repeat(len(tx), 1, 1)
    m[:, 0, 2], m[:, 1, 2] = tx, ty
    return m


def _scale(sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    return _affine(sx, torch.zeros_like(sx), torch.zeros_like(sx), sy)


def _rotate(cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    return _affine(cos, -sin, sin, cos)


def blit_inverse(n: int, h: int, w: int, p: Prob, device: torch.device) -> torch.Tensor:
    """x-flip (half of the chosen images), a multiple of 90 degrees, an integer translation."""
    flip = torch.floor(torch.rand(n, device=device) * 2)
    flip = _where(_apply(p, n, device), flip, 0.0)
    g = _scale(1 - 2 * flip, torch.ones_like(flip))
    quarter = torch.floor(torch.rand(n, device=device) * 4).long()
    quarter = torch.where(_apply(p, n, device), quarter, torch.zeros_like(quarter))
    cos, sin = torch.tensor(QUARTER_COS, device=device), torch.tensor(QUARTER_SIN, device=device)
    g = g @ _rotate(cos[quarter], sin[quarter])
    t = (torch.rand(n, 2, device=device) * 2 - 1) * XINT_MAX
    t = torch.where(_apply(p, n, device).unsqueeze(1), t, torch.zeros_like(t))
    return g @ _translate(-torch.round(t[:, 0] * w), -torch.round(t[:, 1] * h))


def geom_inverse(n: int, h: int, w: int, p: Prob, device: torch.device) -> torch.Tensor:
    """Isotropic scaling, rotation, anisotropic scaling, rotation, fractional translation."""
    s = torch.exp2(torch.randn(n, device=device) * SCALE_STD)
    s = _where(_apply(p, n, device), s, 1.0)
    g = _scale(1 / s, 1 / s)
    # two rotations, each with probability 1 - sqrt(1 - p): one or both with probability p
    p_rot = 1 - torch.sqrt(torch.clamp(1 - torch.as_tensor(p, device=device), 0, 1))
    for side in ("before", "after"):
        theta = (torch.rand(n, device=device) * 2 - 1) * math.pi * ROTATE_MAX
        theta = _where(_apply(p_rot, n, device), theta, 0.0)
        g = g @ _rotate(torch.cos(theta), torch.sin(theta))
        if side == "before":
            a = torch.exp2(torch.randn(n, device=device) * ANISO_STD)
            a = _where(_apply(p, n, device), a, 1.0)
            g = g @ _scale(1 / a, a)
    t = torch.randn(n, 2, device=device) * XFRAC_STD
    t = torch.where(_apply(p, n, device).unsqueeze(1), t, torch.zeros_like(t))
    return g @ _translate(-t[:, 0] * w, -t[:, 1] * h)


def warp(x: torch.Tensor, g_inv: torch.Tensor) -> torch.Tensor:
    """Resample each image: output pixel q (centred coordinates) reads input at g_inv @ q."""
    n, _, h, w = x.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    ys = torch.arange(h, device=x.device, dtype=g_inv.dtype) - cy
    xs = torch.arange(w, device=x.device, dtype=g_inv.dtype) - cx
    qy, qx = torch.meshgrid(ys, xs, indexing="ij")
    q = torch.stack([qx, qy, torch.ones_like(qx)]).reshape(3, -1)  # (3, H*W)
    src = g_inv @ q  # (N, 3, H*W)
    sx = src[:, 0].reshape(n, h, w) + cx
    sy = src[:, 1].reshape(n, h, w) + cy
    return bilinear_reflect(x, sx, sy)


def _colour_scale(c: torch.Tensor) -> torch.Tensor:
    m = torch.eye(4, device=c.device).repeat(len(c), 1, 1)
    m[:, 0, 0] = m[:, 1, 1] = m[:, 2, 2] = c
    return m


def colour_matrix(n: int, channels: int, p: Prob, device: torch.device) -> torch.Tensor:
    """(N, 4, 4): brightness, contrast, luma flip, hue rotation, saturation (the last two
    only for RGB)."""
    eye = torch.eye(4, device=device)
    v = LUMA.to(device)
    vv = torch.outer(v, v)
    b = _where(_apply(p, n, device), torch.randn(n, device=device) * BRIGHTNESS_STD, 0.0)
    c = eye.repeat(n, 1, 1)
    c[:, 0, 3] = c[:, 1, 3] = c[:, 2, 3] = b
    contrast = torch.exp2(torch.randn(n, device=device) * CONTRAST_STD)
    c = _colour_scale(_where(_apply(p, n, device), contrast, 1.0)) @ c
    flip = torch.floor(torch.rand(n, device=device) * 2)
    flip = _where(_apply(p, n, device), flip, 0.0).view(n, 1, 1)
    c = (eye - 2 * vv * flip) @ c  # a Householder reflection through the luma axis
    if channels > 1:
        theta = (torch.rand(n, device=device) * 2 - 1) * math.pi * HUE_MAX
        theta = _where(_apply(p, n, device), theta, 0.0).view(n, 1, 1)
        cross = torch.zeros(4, 4, device=device)  # [v]_x, the cross-product matrix of v
        cross[0, 1], cross[0, 2], cross[1, 2] = -v[2], v[1], -v[0]
        cross = cross - cross.T
        rotation = torch.cos(theta) * eye + torch.sin(theta) * cross + (1 - torch.cos(theta)) * vv
        rotation[:, 3, 3] = 1.0  # Rodrigues' formula on RGB, the homogeneous axis kept
        c = rotation @ c
        s = torch.exp2(torch.randn(n, device=device) * SATURATION_STD)
        s = _where(_apply(p, n, device), s, 1.0).view(n, 1, 1)
        c = (vv + (eye - vv) * s) @ c
    return c


def recolour(x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Apply (N, 4, 4) colour matrices to RGB images, or their channel mean to gray ones."""
    n, ch, h, w = x.shape
    c = c.to(x.dtype)
    flat = x.reshape(n, ch, h * w)
    if ch == 3:
        out = c[:, :3, :3] @ flat + c[:, :3, 3:]
    else:  # gray: the mean of the RGB rows, as if the three channels were equal
        gain = c[:, :3, :3].sum(dim=2).mean(dim=1).view(n, 1, 1)
        out = flat * gain + c[:, :3, 3].mean(dim=1).view(n, 1, 1)
    return out.reshape(n, ch, h, w)


def ada_augment(x: torch.Tensor, groups: tuple[str, ...], p: Prob) -> torch.Tensor:
    """The chosen groups (``blit``, ``geom``, ``color``) applied with probability ``p``."""
    n, ch, h, w = x.shape
    if "blit" in groups or "geom" in groups:
        g_inv = torch.eye(3, device=x.device).repeat(n, 1, 1)
        if "blit" in groups:
            g_inv = g_inv @ blit_inverse(n, h, w, p, x.device)
        if "geom" in groups:
            g_inv = g_inv @ geom_inverse(n, h, w, p, x.device)
        x = warp(x, g_inv)
    if "color" in groups:
        x = recolour(x, colour_matrix(n, ch, p, x.device))
    return x
