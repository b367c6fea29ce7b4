"""Normalisation choices by name, so model configs can select them."""

from __future__ import annotations

from typing import Literal

from torch import nn

Norm = Literal["batch", "instance", "layer", "none", "spectral"]


def norm_layer(kind: str, channels: int) -> nn.Module:
    """A 2-D normalisation layer for ``channels`` (identity for none/spectral)."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    if kind in ("none", "spectral"):
        return nn.Identity()
    raise ValueError(f"unknown normalisation {kind!r}")


def maybe_spectral(module: nn.Module, kind: str) -> nn.Module:
    """Wrap a conv/linear in spectral normalisation when ``kind == 'spectral'``."""
    return nn.utils.parametrizations.spectral_norm(module) if kind == "spectral" else module


def init_dcgan(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02), norm scales N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            weight = getattr(m, "parametrizations", None)
            target = m.parametrizations.weight.original if weight is not None else m.weight
            nn.init.normal_(target, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif (
            isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d))
            and m.weight is not None
        ):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


ImageNorm = Literal["batch", "instance", "instance-affine", "none"]


def image_norm(kind: str, channels: int) -> nn.Module:
    """Normalisation as the Pix2Pix/CycleGAN code names it: ``instance`` has no learned affine.

    ``instance-affine`` adds the learned scale and shift (as the Keras tutorials do).
    """
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "instance-affine":
        return nn.InstanceNorm2d(channels, affine=True, track_running_stats=False)
    if kind in ("batch", "none"):
        return norm_layer(kind, channels)
    raise ValueError(f"unknown normalisation {kind!r}")
