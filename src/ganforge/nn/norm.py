"""Normalisation choices by name: one set of names, one meaning each, for every model family.

``g_norm`` / ``d_norm`` of every family take their values from ``Norm`` (a family may accept a
subset): ``batch`` (batch statistics), ``instance`` (per-image statistics, no learned scale and
shift, as PyTorch and the official Pix2Pix/CycleGAN code), ``instance-affine`` (the same with a
learned scale and shift), ``layer`` (per-image statistics over all channels), ``spectral``
(spectral normalisation of the weights instead of a normalisation layer), ``none``.
"""

from __future__ import annotations

import typing
from typing import Literal

import torch
from torch import nn

Norm = Literal["batch", "instance", "layer", "none", "spectral", "instance-affine"]
NORMS: tuple[str, ...] = typing.get_args(Norm)
# the subset the image-to-image families (Pix2Pix, CycleGAN) build
ImageNorm = Literal["batch", "instance", "instance-affine", "none"]


def norm_layer(kind: str, channels: int) -> nn.Module:
    """A 2-D normalisation layer for ``channels`` (identity for none/spectral)."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "instance-affine":
        return nn.InstanceNorm2d(channels, affine=True, track_running_stats=False)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    if kind in ("none", "spectral"):
        return nn.Identity()
    raise ValueError(f"unknown normalisation {kind!r}")


def spectral(module: nn.Module, eps: float = 1e-12) -> nn.Module:
    """Spectral normalisation of a conv/linear/embedding weight (one power iteration per
    training forward; ``eps`` guards the power iteration's normalisations, e.g. BigGAN's 1e-6).
    The power-iteration vectors are buffers, so parameter counts are those of the plain layer."""
    return nn.utils.parametrizations.spectral_norm(module, eps=eps)


def maybe_spectral(module: nn.Module, kind: str, eps: float = 1e-12) -> nn.Module:
    """Wrap a conv/linear in spectral normalisation when ``kind == 'spectral'``."""
    return spectral(module, eps) if kind == "spectral" else module


def raw_weight(module: nn.Module) -> nn.Parameter:
    """The trainable weight of a layer: the original one under a parametrisation (spectral norm)."""
    if nn.utils.parametrize.is_parametrized(module, "weight"):
        return module.parametrizations.weight.original
    return module.weight


def refresh_spectral(module: nn.Module, iterations: int = 15) -> None:
    """Re-run spectral norm's power iteration (as at registration) on every spectrally normed
    weight of ``module``: needed after re-initialising the weights, whose estimate of the largest
    singular value would otherwise still be that of the weights spectral norm was registered on
    (an evaluation-mode forward, which runs no power iteration, would divide by it)."""
    with torch.no_grad():
        for m in module.modules():
            if not nn.utils.parametrize.is_parametrized(m, "weight"):
                continue
            for p in m.parametrizations.weight:
                if hasattr(p, "_power_method"):  # torch's spectral norm parametrisation
                    weight = p._reshape_weight_to_matrix(m.parametrizations.weight.original)
                    p._power_method(weight, iterations)


def init_dcgan(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02), norm scales N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(raw_weight(m), 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif (
            isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d))
            and m.weight is not None
        ):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    refresh_spectral(module)
