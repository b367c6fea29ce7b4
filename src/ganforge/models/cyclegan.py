"""CycleGAN (Zhu et al. 2017): two ResNet generators and two PatchGAN discriminators.

Generator: c7s1-64, d128, d256, R256 x 9 (256 inputs) or x 6 (smaller), u128, u64, c7s1-C with
instance normalisation, reflection padding, residual additions and a tanh output.
Discriminators: the 70 x 70 PatchGAN with instance normalisation. Weights from N(0, 0.02).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.base import DOutput, Translator, check_patch_fits, translation_channels
from ganforge.nn.dropout import SeededDropout
from ganforge.nn.norm import ImageNorm, init_dcgan, norm_layer
from ganforge.nn.patchgan import PatchDiscriminator
from ganforge.registry import MODELS


class ResidualBlock(nn.Module):
    """x + (reflect-pad, 3x3 conv, norm, ReLU, [dropout], reflect-pad, 3x3 conv, norm)(x)."""

    def __init__(self, channels: int, norm: str, bias: bool, dropout: float) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=bias),
            norm_layer(norm, channels),
            nn.ReLU(True),
        ]
        if dropout > 0:
            layers.append(SeededDropout(dropout))
        layers += [
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=bias),
            norm_layer(norm, channels),
        ]
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The residual sum."""
        return x + self.block(x)


class ResnetGenerator(Translator):
    """Two stride-2 downsamplings, residual blocks, two transposed-conv upsamplings."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        width: int = 64,
        n_blocks: int = 9,
        norm: str = "instance",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        bias = norm != "batch"
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, width, 7, bias=bias),
            norm_layer(norm, width),
            nn.ReLU(True),
        ]
        ch = width
        for _ in range(2):
            layers += [
                nn.Conv2d(ch, ch * 2, 3, 2, 1, bias=bias),
                norm_layer(norm, ch * 2),
                nn.ReLU(True),
            ]
            ch *= 2
        layers += [ResidualBlock(ch, norm, bias, dropout) for _ in range(n_blocks)]
        for _ in range(2):
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 3, 2, 1, output_padding=1, bias=bias),
                norm_layer(norm, ch // 2),
                nn.ReLU(True),
            ]
            ch //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ch, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Translated images in [-1, 1]."""
        return self.net(x)


@dataclass
class CycleGANModels:
    """G_AB: A -> B, G_BA: B -> A; D_B judges domain B, D_A judges domain A."""

    g_ab: ResnetGenerator
    g_ba: ResnetGenerator
    d_a: PatchDiscriminator
    d_b: PatchDiscriminator

    def generators(self) -> dict[str, nn.Module]:
        """The two translators by checkpoint name."""
        return {"g_ab": self.g_ab, "g_ba": self.g_ba}


def cyclegan_limits(size: tuple[int, int], params: Mapping[str, Any]) -> None:
    """Sides divisible by 4 (two stride-2 stages) and a PatchGAN that fits."""
    h, w = size
    if h % 4 or w % 4:
        raise ConfigError(f"cyclegan needs image sides divisible by 4, got {h}x{w} (data.size)")
    check_patch_fits(size, params["patch_layers"], params["d_same_padding"])


@MODELS.register("cyclegan", recipe="cyclegan", data_kind="unpaired", limits=cyclegan_limits)
def cyclegan(
    info: DataInfo,
    d_output: DOutput = "score",
    *,
    g_width: int = 64,
    d_width: int = 64,
    g_depth: int | None = None,
    patch_layers: int = 3,
    g_norm: ImageNorm = "instance",
    d_norm: ImageNorm = "instance",
    d_bias: bool | None = None,
    d_same_padding: bool = False,
    dropout: float = 0.0,
) -> CycleGANModels:
    """ResNet generators (g_depth: 9 blocks at 256, else 6) + 70x70 PatchGANs, instance norm."""
    if d_output != "score":
        raise ConfigError("cyclegan trains scoring PatchGANs; use loss.name=cyclegan")
    ca, cb = translation_channels(info, "unpaired", "cyclegan")
    cyclegan_limits(info.size, {"patch_layers": patch_layers, "d_same_padding": d_same_padding})
    h, w = info.size
    blocks = g_depth if g_depth is not None else (9 if min(h, w) >= 256 else 6)
    models = CycleGANModels(
        ResnetGenerator(ca, cb, g_width, blocks, g_norm, dropout),
        ResnetGenerator(cb, ca, g_width, blocks, g_norm, dropout),
        PatchDiscriminator(ca, d_width, patch_layers, d_norm, d_bias, d_same_padding),
        PatchDiscriminator(cb, d_width, patch_layers, d_norm, d_bias, d_same_padding),
    )
    for module in (models.g_ab, models.g_ba, models.d_a, models.d_b):
        init_dcgan(module)
    return models
