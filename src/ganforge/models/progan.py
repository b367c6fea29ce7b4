"""Progressive Growing of GANs (Karras et al. 2017): blocks that double / halve the resolution.

Generator: normalised z -> dense 4x4 map -> per resolution [nearest 2x up, two 3x3 convs, each
followed by leaky ReLU and pixel norm] -> 1x1 toRGB. Discriminator: 1x1 fromRGB -> per
resolution [two 3x3 convs with leaky ReLU, 2x2 average pooling] -> minibatch stddev, 3x3 conv,
two dense layers. Every layer uses the equalised learning rate; a newly added block fades in as
(1 - alpha) * old + alpha * new on both sides, and all layers stay trainable after growth.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.models.base import Discriminator, DOutput, GANModels
from ganforge.models.growing import (
    Growing,
    GrowingGenerator,
    channel_progression,
    fade,
    growth_limits,
    growth_resolutions,
)
from ganforge.nn.equalized import EqualizedConv2d, EqualizedLinear
from ganforge.nn.minibatch_std import MinibatchStd
from ganforge.nn.pixel_norm import PixelNorm
from ganforge.nn.resample import Blur, downsample_avg, upsample_nearest
from ganforge.registry import MODELS


def lrelu() -> nn.Module:
    """The papers' leaky ReLU (slope 0.2)."""
    return nn.LeakyReLU(0.2)


def conv_act_pn(in_ch: int, out_ch: int) -> list[nn.Module]:
    """3x3 equalised conv, leaky ReLU, pixel norm (one ProGAN generator layer)."""
    return [EqualizedConv2d(in_ch, out_ch, 3), lrelu(), PixelNorm()]


class ProGANGenerator(GrowingGenerator):
    """z -> images, growing from 4x4 to ``resolutions[-1]``."""

    def __init__(self, z_dim: int, channels: int, resolutions: list[int], fmaps: list[int]):
        super().__init__(resolutions)
        self.z_dim = z_dim
        self.fmaps = fmaps
        self.project = EqualizedLinear(z_dim, fmaps[0] * 16, gain=math.sqrt(2) / 4)
        self.first = nn.Sequential(lrelu(), PixelNorm(), *conv_act_pn(fmaps[0], fmaps[0]))
        self.blocks = nn.ModuleList([nn.Identity()])
        for level in range(1, len(resolutions)):
            a, b = fmaps[level - 1], fmaps[level]
            self.blocks.append(nn.Sequential(*conv_act_pn(a, b), *conv_act_pn(b, b)))
        self.to_rgb = nn.ModuleList(EqualizedConv2d(f, channels, 1, gain=1.0) for f in fmaps)
        self.pixel_norm = PixelNorm()

    def synthesize(self, z: torch.Tensor, **kwargs: object) -> torch.Tensor:
        """Images at the current level, the newest block faded in by alpha."""
        level, alpha = self.current_level, self.current_alpha
        h = self.first(self.project(self.pixel_norm(z)).view(len(z), self.fmaps[0], 4, 4))
        for lv in range(1, level):
            h = self.blocks[lv](upsample_nearest(h))
        if level == 0:
            return self.to_rgb[0](h)
        new = self.to_rgb[level](self.blocks[level](upsample_nearest(h)))
        if alpha >= 1.0:
            return new
        return fade(upsample_nearest(self.to_rgb[level - 1](h)), new, alpha)


class ProGANDiscriminator(Discriminator, Growing):
    """Images -> scores (N,), mirroring the generator; ``blur`` adds StyleGAN's low-pass filter."""

    def __init__(
        self,
        channels: int,
        resolutions: list[int],
        fmaps: list[int],
        mbstd_group: int = 4,
        blur: bool = False,
    ) -> None:
        super().__init__(resolutions)
        self.from_rgb = nn.ModuleList(
            nn.Sequential(EqualizedConv2d(channels, f, 1), lrelu()) for f in fmaps
        )
        self.blocks = nn.ModuleList([nn.Identity()])
        for level in range(1, len(resolutions)):
            a, b = fmaps[level], fmaps[level - 1]
            layers: list[nn.Module] = [EqualizedConv2d(a, a, 3), lrelu()]
            if blur:
                layers.append(Blur())
            layers += [EqualizedConv2d(a, b, 3), lrelu(), nn.AvgPool2d(2)]
            self.blocks.append(nn.Sequential(*layers))
        f0 = fmaps[0]
        self.head = nn.Sequential(
            MinibatchStd(mbstd_group),
            EqualizedConv2d(f0 + 1, f0, 3),
            lrelu(),
            nn.Flatten(),
            EqualizedLinear(f0 * 16, f0),
            lrelu(),
            EqualizedLinear(f0, 1, gain=1.0),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Scores for images at the current size (larger images are average-pooled down first)."""
        level, alpha = self.current_level, self.current_alpha
        x = downsample_avg(x, x.shape[-1] // self.current_size)
        h = self.from_rgb[level](x)
        if level > 0:
            h = self.blocks[level](h)
            if alpha < 1.0:
                h = fade(self.from_rgb[level - 1](downsample_avg(x)), h, alpha)
            for lv in range(level - 1, 0, -1):
                h = self.blocks[lv](h)
        return self.head(h).view(-1)


@MODELS.register("progan", recipe="progressive", data_kind="image", limits=growth_limits)
def progan(
    info: DataInfo,
    d_output: DOutput = "score",
    *,
    z_dim: int = 512,
    g_width: int | None = None,
    d_width: int | None = None,
    width_max: int = 512,
    widths: list[int] | None = None,
    mbstd_group: int = 4,
) -> GANModels:
    """Progressive GAN (ProGAN): grows 4x4 to the data size; paper widths 512 ... 16."""
    resolutions = growth_resolutions(info, "progan", d_output)
    g_fmaps = channel_progression(resolutions, g_width, width_max, widths)
    d_fmaps = channel_progression(resolutions, d_width, width_max, widths)
    g = ProGANGenerator(z_dim, info.channels, resolutions, g_fmaps)
    d = ProGANDiscriminator(info.channels, resolutions, d_fmaps, mbstd_group)
    return GANModels(g, d, d_output)
