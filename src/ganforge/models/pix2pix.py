"""Pix2Pix (Isola et al. 2017): a U-Net generator and a conditional PatchGAN discriminator.

The generator for 256 x 256 is the paper's encoder C64-C128-C256-C512-C512-C512-C512-C512
(4 x 4 stride-2 convs, LeakyReLU 0.2, no batch norm on the first layer, a 1 x 1 bottleneck
without batch norm followed by ReLU) and decoder CD512-CD512-CD512-C512-C256-C128-C64
(4 x 4 stride-2 transposed convs, ReLU, dropout 0.5 in the first three, each concatenated with
the mirrored encoder features), then a transposed conv to the output channels and tanh. The
depth follows the image size (one level per halving down to 1 x 1). The discriminator is a
PatchGAN on the channel-concatenated (source, target) pair. Weights are drawn from N(0, 0.02).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.base import DOutput, Translator, check_patch_fits, translation_channels
from ganforge.nn.dropout import SeededDropout
from ganforge.nn.norm import ImageNorm, init_dcgan, norm_layer
from ganforge.nn.patchgan import PatchDiscriminator
from ganforge.registry import MODELS


def unet_depth(size: tuple[int, int], depth: int | None = None) -> int:
    """Encoder levels: halvings until the shorter side is 1 (8 at 256, 7 at 128), or ``depth``."""
    h, w = size
    levels = depth if depth is not None else int(math.log2(min(h, w)))
    if levels < 2:
        raise ConfigError(f"the U-Net needs at least 2 levels, got {levels} for {h}x{w}")
    if h % 2**levels or w % 2**levels:
        raise ConfigError(
            f"a {levels}-level U-Net needs image sides divisible by {2**levels}, got {h}x{w}; "
            "use a power-of-two data.size (e.g. 256) or set model.g_depth"
        )
    return levels


class UNetGenerator(Translator):
    """Encoder-decoder with skip connections between mirrored layers."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        size: tuple[int, int],
        width: int = 64,
        depth: int | None = None,
        norm: str = "batch",
        bias: bool = False,
        dropout: float = 0.5,
        dropout_layers: int = 3,
        test_mode: str = "train",
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.test_mode = in_channels, out_channels, test_mode
        levels = unet_depth(size, depth)
        widths = [width * min(2**i, 8) for i in range(levels)]
        self.down = nn.ModuleList()
        c_in = in_channels
        for i, c_out in enumerate(widths):
            normed = 0 < i < levels - 1  # not the first layer, not the bottleneck
            conv = nn.Conv2d(c_in, c_out, 4, 2, 1, bias=bias)
            self.down.append(nn.Sequential(conv, norm_layer(norm, c_out)) if normed else conv)
            c_in = c_out
        self.up = nn.ModuleList()
        for j, level in enumerate(range(levels - 2, -1, -1)):
            c_in = widths[-1] if j == 0 else 2 * widths[level + 1]
            layers: list[nn.Module] = [
                nn.ConvTranspose2d(c_in, widths[level], 4, 2, 1, bias=bias),
                norm_layer(norm, widths[level]),
            ]
            if j < dropout_layers and dropout > 0:
                layers.append(SeededDropout(dropout))
            self.up.append(nn.Sequential(*layers))
        self.out = nn.ConvTranspose2d(2 * widths[0], out_channels, 4, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Translated images in [-1, 1]."""
        skips = []
        h = x
        for layer in self.down[:-1]:
            h = F.leaky_relu(layer(h), 0.2)
            skips.append(h)
        h = F.relu(self.down[-1](h))
        for layer, skip in zip(self.up, reversed(skips)):
            h = F.relu(torch.cat([layer(h), skip], 1))
        return torch.tanh(self.out(h))

    def train(self, mode: bool = True) -> UNetGenerator:
        """With ``test_mode='train'``, eval() keeps batch statistics and dropout (the paper)."""
        super().train(mode)
        if not mode and self.test_mode == "train":
            for m in self.modules():
                if isinstance(m, (nn.BatchNorm2d, nn.Dropout)):
                    m.train(True)
        return self


@dataclass
class Pix2PixModels:
    """The U-Net generator and the conditional PatchGAN on (source, target) pairs."""

    g: UNetGenerator
    d: PatchDiscriminator

    def generators(self) -> dict[str, nn.Module]:
        """The sample-producing modules by checkpoint name."""
        return {"g": self.g}


def pix2pix_limits(size: tuple[int, int], params: Mapping[str, Any]) -> None:
    """The U-Net's levels and the PatchGAN must fit the image size (checked before loading)."""
    unet_depth(size, params.get("g_depth"))
    check_patch_fits(size, params["patch_layers"], params["d_same_padding"])


@MODELS.register("pix2pix", recipe="pix2pix", data_kind="paired", limits=pix2pix_limits)
def pix2pix(
    info: DataInfo,
    d_output: DOutput = "score",
    *,
    g_width: int = 64,
    d_width: int = 64,
    g_depth: int | None = None,
    patch_layers: int = 3,
    g_norm: ImageNorm = "batch",
    d_norm: ImageNorm = "batch",
    g_bias: bool = False,
    d_bias: bool | None = None,
    d_same_padding: bool = False,
    dropout: float = 0.5,
    dropout_layers: int = 3,
    test_mode: Literal["train", "eval"] = "train",
) -> Pix2PixModels:
    """U-Net generator + conditional PatchGAN (patch_layers=3: 70x70; 0: PixelGAN; 5: ImageGAN)."""
    if d_output != "score":
        raise ConfigError("pix2pix trains a scoring PatchGAN; use loss.name=pix2pix")
    in_channels, out_channels = translation_channels(info, "paired", "pix2pix")
    g = UNetGenerator(
        in_channels,
        out_channels,
        info.size,
        g_width,
        g_depth,
        g_norm,
        g_bias,
        dropout,
        dropout_layers,
        test_mode,
    )
    check_patch_fits(info.size, patch_layers, d_same_padding)
    d = PatchDiscriminator(
        in_channels + out_channels, d_width, patch_layers, d_norm, d_bias, d_same_padding
    )
    init_dcgan(g)
    init_dcgan(d)
    return Pix2PixModels(g, d)
