"""BigGAN-deep (Brock et al. 2018) as in the reference implementation (BigGAN-PyTorch).

Bottleneck residual blocks (1x1 down to a quarter of the channels, two 3x3, 1x1 back), two per
resolution, the skip path dropping (G) or adding (D) channels instead of a 1x1 convolution on the
whole input, a stem convolution in D, and no z chunking: every conditional batch norm reads the
whole z concatenated with the shared class embedding. The channel tables, conditioning,
attention, projection head, truncation and initialisation are BigGAN's (``models/biggan.py``).

The last generator convolution has the image's channels, as in BigGAN-PyTorch (whose parameter
counts equal ours); the TF-Hub BigGAN-deep module behind the paper's 50.4M has 128 output
channels there and keeps the first three (the same function, more weights).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.base import DOutput, GANModels
from ganforge.models.biggan import (
    D_DOWN,
    D_OUT,
    G_IN,
    G_OUT,
    BigGANBase,
    BigGANHead,
    Init,
    SpectralChoice,
    Wrap,
    attention_block,
    biggan_limits,
    check_score,
    conv,
    initialise,
    join,
    n_classes_of,
    side,
    wrapper,
)
from ganforge.nn.cond_norm import ConditionalBatchNorm2d
from ganforge.registry import MODELS

RATIO = 4  # bottleneck: a quarter of the channels inside a block


class DeepGBlock(nn.Module):
    """CBN-ReLU-1x1 down, CBN-ReLU-(up)-3x3, CBN-ReLU-3x3, CBN-ReLU-1x1 up; skip drops channels."""

    def __init__(
        self, c_in: int, c_out: int, cond_dim: int, wrap: Wrap, bn_eps: float, up: bool
    ) -> None:
        super().__init__()
        mid = c_in // RATIO
        self.c_out, self.up = c_out, up
        self.bn = nn.ModuleList(
            ConditionalBatchNorm2d(c, cond_dim, bn_eps, wrap=wrap) for c in (c_in, mid, mid, mid)
        )
        self.conv1 = conv(wrap, c_in, mid, 1)
        self.conv2 = conv(wrap, mid, mid)
        self.conv3 = conv(wrap, mid, mid)
        self.conv4 = conv(wrap, mid, c_out, 1)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """``c_out`` channels, twice the resolution when up-sampling."""
        h = self.conv1(F.relu(self.bn[0](x, c)))
        h = F.relu(self.bn[1](h, c))
        x = x[:, : self.c_out]
        if self.up:
            h, x = F.interpolate(h, scale_factor=2), F.interpolate(x, scale_factor=2)
        h = self.conv3(F.relu(self.bn[2](self.conv2(h), c)))
        return self.conv4(F.relu(self.bn[3](h, c))) + x


class DeepGenerator(BigGANBase):
    """[z, embed(y)] -> linear -> 4x4 -> ``depth`` bottleneck blocks per resolution -> image."""

    def __init__(
        self,
        info: DataInfo,
        z_dim: int,
        width: int,
        n_classes: int,
        shared_dim: int,
        depth: int,
        attention: int,
        wrap: Wrap,
        bn_eps: float,
    ) -> None:
        super().__init__(z_dim, n_classes, shared_dim)
        size = side(info, "biggan-deep")
        c_in = [m * width for m in G_IN[size]]
        c_out = [m * width for m in G_OUT[size]]
        cond_dim = z_dim + self.classes.dim
        self.linear = wrap(nn.Linear(cond_dim, c_in[0] * 16))
        self.stages = nn.ModuleList()
        for i, (a, b) in enumerate(zip(c_in, c_out)):
            stage = [
                DeepGBlock(a, a if j < depth - 1 else b, cond_dim, wrap, bn_eps, j == depth - 1)
                for j in range(depth)
            ]
            if 8 * 2**i == attention:
                stage.append(attention_block(b, wrap, "g_attention"))
            self.stages.append(nn.ModuleList(stage))
        self.out = self.output_layer(c_out[-1], info.channels, wrap)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1]; ``y`` is required for a class-conditional generator."""
        c = join(z, self.classes(y))
        h = self.linear(c).view(len(z), -1, 4, 4)
        for stage in self.stages:
            for block in stage:
                h = block(h, c) if isinstance(block, DeepGBlock) else block(h)
        return self.out(h)


class DeepDBlock(nn.Module):
    """ReLU-1x1 down, ReLU-3x3, ReLU-3x3, ReLU-(pool)-1x1 up; skip (pool) adds channels."""

    def __init__(self, c_in: int, c_out: int, wrap: Wrap, down: bool) -> None:
        super().__init__()
        mid = c_out // RATIO
        self.down = down
        self.conv1 = conv(wrap, c_in, mid, 1)
        self.conv2 = conv(wrap, mid, mid)
        self.conv3 = conv(wrap, mid, mid)
        self.conv4 = conv(wrap, mid, c_out, 1)
        self.extra = conv(wrap, c_in, c_out - c_in, 1) if c_out != c_in else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``c_out`` channels, half the resolution when down-sampling."""
        h = self.conv1(F.relu(x))
        h = F.relu(self.conv3(F.relu(self.conv2(F.relu(h)))))
        if self.down:
            h, x = F.avg_pool2d(h, 2), F.avg_pool2d(x, 2)
        if self.extra is not None:
            x = torch.cat([x, self.extra(x)], 1)
        return self.conv4(h) + x


class DeepDiscriminator(BigGANHead):
    """Stem conv, ``depth`` bottleneck blocks per resolution, sum pooling, projection head."""

    def __init__(
        self, info: DataInfo, width: int, n_classes: int, depth: int, attention: int, wrap: Wrap
    ) -> None:
        size = side(info, "biggan-deep")
        # the reference's deep tables: BigGAN's D without its first block (the stem replaces it)
        c_out = [m * width for m in D_OUT[size][1:]]
        if size == 32:
            c_out = [m * width for m in D_OUT[32][:3]]
        c_in = [c_out[0] if size == 32 else width, *c_out[:-1]]
        super().__init__(c_out[-1], n_classes, wrap)
        self.stem = conv(wrap, info.channels, c_in[0])
        n_down = D_DOWN[size]
        self.stages = nn.ModuleList()
        resolution = size
        for i, (a, b) in enumerate(zip(c_in, c_out)):
            down = i < n_down
            resolution //= 2 if down else 1
            stage: list[nn.Module] = [
                DeepDBlock(a if j == 0 else b, b, wrap, down and j == 0) for j in range(depth)
            ]
            if resolution == attention:
                stage.append(attention_block(b, wrap, "d_attention"))
            self.stages.append(nn.Sequential(*stage))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map."""
        h = self.stem(x)
        for stage in self.stages:
            h = stage(h)
        return h


@MODELS.register("biggan-deep", recipe="gan", data_kind="image", limits=biggan_limits)
def biggan_deep(
    info: DataInfo,
    d_output: DOutput = "score",
    *,
    z_dim: int = 128,
    g_width: int = 128,
    d_width: int = 128,
    g_depth: int = 2,
    d_depth: int = 2,
    conditional: bool = True,
    shared_dim: int = 128,
    g_attention: int = 64,
    d_attention: int = 64,
    g_norm: SpectralChoice = "spectral",
    d_norm: SpectralChoice = "spectral",
    sn_eps: float = 1e-6,
    bn_eps: float = 1e-5,
    init: Init = "ortho",
) -> GANModels:
    """BigGAN-deep: bottleneck blocks, ``g_depth``/``d_depth`` per resolution, no z chunks."""
    check_score(d_output, "biggan-deep")
    n_classes = n_classes_of(info, conditional, "biggan-deep")
    if g_depth < 1 or d_depth < 1:
        raise ConfigError("biggan-deep needs model.g_depth and model.d_depth >= 1")
    g = DeepGenerator(
        info,
        z_dim,
        g_width,
        n_classes,
        shared_dim,
        g_depth,
        g_attention,
        wrapper(g_norm, sn_eps),
        bn_eps,
    )
    d = DeepDiscriminator(info, d_width, n_classes, d_depth, d_attention, wrapper(d_norm, sn_eps))
    return initialise(GANModels(g, d), init)
