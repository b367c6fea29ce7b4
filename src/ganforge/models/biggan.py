"""BigGAN (Brock et al. 2018) as in the reference implementation (BigGAN-PyTorch).

Residual generator and discriminator blocks with the reference channel multipliers per
resolution (32, 64, 128, 256; from a 4x4 bottom), class-conditional batch norm fed by a shared
class embedding concatenated with a chunk of z (the hierarchical latent), self-attention at one
resolution, a projection discriminator, spectral norm in both networks and orthogonal
initialisation. At 128x128, 1,000 classes and width 96 the parameter counts are the reference's
70,433,988 (G) and 87,982,370 (D). The truncation trick resamples latent values beyond the
threshold. BigGAN-deep (``models/biggan_deep.py``) shares the tables and the conditioning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError, GanforgeError
from ganforge.models.base import Discriminator, DOutput, GANModels, Generator
from ganforge.models.latent import truncated_normal
from ganforge.nn.attention import SelfAttention
from ganforge.nn.cond_norm import ConditionalBatchNorm2d
from ganforge.nn.norm import raw_weight, refresh_spectral, spectral
from ganforge.nn.projection import ProjectionHead
from ganforge.registry import MODELS

Wrap = Callable[[nn.Module], nn.Module]
Init = Literal["ortho", "N02", "xavier"]
SpectralChoice = Literal["spectral", "none"]

# channel multipliers of the width, per block, from the 4x4 bottom up (G) and from the image down
# (D), by image side: the reference's architecture tables
G_IN = {32: [4, 4, 4], 64: [16, 16, 8, 4], 128: [16, 16, 8, 4, 2], 256: [16, 16, 8, 8, 4, 2]}
G_OUT = {32: [4, 4, 4], 64: [16, 8, 4, 2], 128: [16, 8, 4, 2, 1], 256: [16, 8, 8, 4, 2, 1]}
D_OUT = {32: [4, 4, 4, 4], 64: [1, 2, 4, 8, 16], 128: [1, 2, 4, 8, 16, 16]}
D_OUT[256] = [1, 2, 4, 8, 8, 16, 16]  # a block's input: the previous one's output (or the image)
D_DOWN = {32: 2, 64: 4, 128: 5, 256: 6}  # the first k D blocks halve the resolution
SIZES = tuple(G_IN)


def side(info: DataInfo | tuple[int, int], family: str) -> int:
    """The image side, one of the reference resolutions (square images only)."""
    h, w = info.size if isinstance(info, DataInfo) else info
    if h != w or h not in SIZES:
        raise ConfigError(
            f"{family} builds square images of side {', '.join(map(str, SIZES))}; got {h}x{w}: "
            "set data.size, e.g. 32"
        )
    return h


def wrapper(norm: str, eps: float) -> Wrap:
    """Spectral normalisation with ``eps`` for ``norm == 'spectral'``, else the layer itself."""
    return functools.partial(spectral, eps=eps) if norm == "spectral" else (lambda m: m)


def conv(wrap: Wrap, c_in: int, c_out: int, k: int = 3) -> nn.Module:
    """A (wrapped) k x k convolution with 'same' padding and a bias."""
    return wrap(nn.Conv2d(c_in, c_out, k, padding=k // 2))


def attention_block(channels: int, wrap: Wrap, key: str) -> SelfAttention:
    """A self-attention block; it needs at least 8 channels (its query and key have C/8)."""
    if channels < 8:
        raise ConfigError(
            f"self-attention on {channels} channels needs at least 8: raise the width or set "
            f"model.{key}=0 (no attention)"
        )
    return SelfAttention(channels, wrap)


class ClassConditioning(nn.Module):
    """The class part of what each conditional batch norm reads: the shared class embedding;
    without one, the label itself for per-class batch-norm gains (``per_class``, the reference's
    CIFAR setting: each batch norm holds its own plain embeddings) or else the one-hot label.
    A chunk of z is concatenated to it when the latent is hierarchical."""

    def __init__(self, n_classes: int, shared_dim: int, per_class: bool = False) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.shared = nn.Embedding(n_classes, shared_dim) if n_classes and shared_dim else None
        self.per_class = bool(n_classes and not shared_dim and per_class)
        self.dim = (shared_dim if shared_dim else n_classes) if n_classes else 0

    def forward(self, y: torch.Tensor | None) -> torch.Tensor | None:
        """The class part of the conditioning (None when unconditional)."""
        if not self.n_classes:
            return None
        if y is None:
            raise ValueError("this generator is class-conditional: pass labels y")
        if self.shared is not None:
            return self.shared(y)
        return y if self.per_class else F.one_hot(y, self.n_classes).float()


def join(*parts: torch.Tensor | None) -> torch.Tensor:
    """Concatenate the parts that exist along the feature axis."""
    return torch.cat([p for p in parts if p is not None], 1)


class BigGANBase(Generator):
    """What BigGAN and BigGAN-deep generators share: class conditioning, the output layer
    (batch norm, ReLU, 3x3 conv, tanh) and truncation by resampling z."""

    supports_truncation = True

    def __init__(
        self, z_dim: int, n_classes: int, shared_dim: int, per_class: bool = False
    ) -> None:
        super().__init__()
        self.z_dim, self.n_classes = z_dim, n_classes
        self.classes = ClassConditioning(n_classes, shared_dim, per_class)

    def output_layer(self, width: int, channels: int, wrap: Wrap) -> nn.Module:
        """Affine batch norm, ReLU, 3x3 conv to the image channels, tanh."""
        return nn.Sequential(
            nn.BatchNorm2d(width), nn.ReLU(), conv(wrap, width, channels), nn.Tanh()
        )

    def check_truncation(self, truncation: float | None) -> None:
        """The threshold must be positive (values beyond it are redrawn)."""
        if truncation is not None and truncation <= 0:
            raise GanforgeError(
                f"BigGAN's truncation is a threshold on |z| and must be > 0, got {truncation}"
            )

    def latent(
        self,
        n: int,
        generator: torch.Generator | None = None,
        truncation: float | None = None,
        device: torch.device | str = "cpu",
    ) -> torch.Tensor:
        """Standard normal z; with ``truncation``, every value beyond it is redrawn."""
        if truncation is None:
            return super().latent(n, generator, None, device)
        self.check_truncation(truncation)
        return truncated_normal(n, self.z_dim, truncation, generator).to(device)


class GBlock(nn.Module):
    """Residual up-block: CBN-ReLU-up-conv3x3-CBN-ReLU-conv3x3, plus up-sampled 1x1-conv skip."""

    def __init__(
        self, c_in: int, c_out: int, cond_dim: int, wrap: Wrap, bn_eps: float, per_class: bool
    ) -> None:
        super().__init__()
        self.bn1 = ConditionalBatchNorm2d(c_in, cond_dim, bn_eps, wrap=wrap, per_class=per_class)
        self.conv1 = conv(wrap, c_in, c_out)
        self.bn2 = ConditionalBatchNorm2d(c_out, cond_dim, bn_eps, wrap=wrap, per_class=per_class)
        self.conv2 = conv(wrap, c_out, c_out)
        self.skip = conv(wrap, c_in, c_out, 1)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """Twice the resolution, ``c_out`` channels."""
        h = F.interpolate(F.relu(self.bn1(x, c)), scale_factor=2)
        h = self.conv2(F.relu(self.bn2(self.conv1(h), c)))
        return h + self.skip(F.interpolate(x, scale_factor=2))


class BigGANGenerator(BigGANBase):
    """z chunk -> linear -> 4x4 -> residual up-blocks (attention at one resolution) -> image."""

    def __init__(
        self,
        info: DataInfo,
        z_dim: int,
        width: int,
        n_classes: int,
        shared_dim: int,
        hierarchical: bool,
        attention: int,
        wrap: Wrap,
        bn_eps: float,
    ) -> None:
        super().__init__(z_dim, n_classes, shared_dim, per_class=not hierarchical)
        size = side(info, "biggan")
        c_in = [m * width for m in G_IN[size]]
        c_out = [m * width for m in G_OUT[size]]
        slots = len(c_in) + 1 if hierarchical else 1  # one z chunk for the linear, one per block
        if z_dim % slots:
            raise ConfigError(
                f"a hierarchical biggan at {size}x{size} splits z into {slots} chunks: "
                f"model.z_dim ({z_dim}) must be a multiple of {slots}, e.g. {slots * 20}"
            )
        self.chunk = z_dim // slots if hierarchical else 0
        cond_dim = self.classes.dim + self.chunk
        if not cond_dim:
            raise ConfigError("an unconditional biggan needs model.hierarchical=true")
        self.linear = wrap(nn.Linear(z_dim // slots, c_in[0] * 16))
        self.blocks = nn.ModuleList(
            GBlock(a, b, cond_dim, wrap, bn_eps, self.classes.per_class)
            for a, b in zip(c_in, c_out)
        )
        resolutions = [8 * 2**i for i in range(len(c_in))]
        self.attention_after = resolutions.index(attention) if attention in resolutions else -1
        self.attention = (
            attention_block(c_out[self.attention_after], wrap, "g_attention")
            if attention in resolutions
            else None
        )
        self.out = self.output_layer(c_out[-1], info.channels, wrap)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1]; ``y`` is required for a class-conditional generator."""
        label = self.classes(y)
        if self.chunk:
            z0, *chunks = z.split(self.chunk, 1)
            conds = [join(label, chunk) for chunk in chunks]
        else:
            z0, conds = z, [label] * len(self.blocks)
        h = self.linear(z0).view(len(z), -1, 4, 4)
        for i, (block, c) in enumerate(zip(self.blocks, conds)):
            h = block(h, c)
            if i == self.attention_after and self.attention is not None:
                h = self.attention(h)
        return self.out(h)


class DBlock(nn.Module):
    """Residual down-block: (ReLU)-conv3x3-ReLU-conv3x3-avgpool, plus a 1x1-conv + pool skip."""

    def __init__(self, c_in: int, c_out: int, wrap: Wrap, down: bool, first: bool) -> None:
        super().__init__()
        self.first, self.down = first, down
        self.conv1 = conv(wrap, c_in, c_out)
        self.conv2 = conv(wrap, c_out, c_out)
        self.skip = conv(wrap, c_in, c_out, 1) if c_in != c_out or down else None

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        """The skip path: conv then pool, except in the first block (pool then conv)."""
        if self.first and self.down:
            x = F.avg_pool2d(x, 2)
        if self.skip is not None:
            x = self.skip(x)
        if self.down and not self.first:
            x = F.avg_pool2d(x, 2)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Half the resolution when down-sampling, ``c_out`` channels."""
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        return h + self.shortcut(x)


class BigGANHead(Discriminator):
    """What BigGAN and BigGAN-deep discriminators share: ReLU, sum pooling, projection head."""

    def __init__(self, features: int, n_classes: int, wrap: Wrap) -> None:
        super().__init__()
        self.head = ProjectionHead(features, n_classes)
        self.head.linear = wrap(self.head.linear)
        if self.head.embed is not None:
            self.head.embed = wrap(self.head.embed)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map (N, C, 4, 4)."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Unbounded scores of shape (N,)."""
        return self.head(F.relu(self.features(x)).sum((2, 3)), y)


class BigGANDiscriminator(BigGANHead):
    """Residual down-blocks (attention after one of them), sum pooling, projection head."""

    def __init__(
        self, info: DataInfo, width: int, n_classes: int, attention: int, wrap: Wrap
    ) -> None:
        size = side(info, "biggan")
        c_out = [m * width for m in D_OUT[size]]
        super().__init__(c_out[-1], n_classes, wrap)
        c_in = [info.channels, *c_out[:-1]]
        n_down = D_DOWN[size]
        self.blocks = nn.ModuleList(
            DBlock(a, b, wrap, i < n_down, i == 0) for i, (a, b) in enumerate(zip(c_in, c_out))
        )
        resolutions = [size // 2 ** min(i + 1, n_down) for i in range(len(c_out))]
        where = [i for i, r in enumerate(resolutions) if r == attention]
        self.attention_after = where[0] if where else -1
        self.attention = attention_block(c_out[where[0]], wrap, "d_attention") if where else None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The 4x4 feature map of the last block."""
        h = x
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i == self.attention_after and self.attention is not None:
                h = self.attention(h)
        return h


def biggan_limits(size: tuple[int, int], params: Mapping[str, Any]) -> None:
    """The image sizes BigGAN builds for (checked before any data is loaded)."""
    side(size, "biggan")


def n_classes_of(info: DataInfo, conditional: bool, family: str) -> int:
    """The number of classes to condition on (0 for an unconditional model)."""
    if info.kind != "image":
        raise ConfigError(f"model {family} needs an image dataset; {info.name!r} holds {info.kind}")
    if conditional and not info.n_classes:
        raise ConfigError(f"model.conditional=true but dataset {info.name!r} has no labels")
    return info.n_classes if conditional else 0


def initialise(models: GANModels, init: str) -> GANModels:
    """The reference code's initialisations of every conv, linear and embedding weight (the
    weight under spectral norm): orthogonal (``ortho``, its 128x128 setting), N(0, 0.02)
    (``N02``, its CIFAR setting) or Glorot/Xavier uniform (``xavier``, its SAGAN setting);
    biases keep PyTorch's default initialisation and batch-norm gains their ones, as there."""
    draw = INITS[init]
    for module in (models.g, models.d):
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)):
                draw(raw_weight(m))
        refresh_spectral(module)
    return models


INITS: dict[str, Callable[[torch.Tensor], Any]] = {
    "ortho": nn.init.orthogonal_,
    "N02": lambda w: nn.init.normal_(w, 0.0, 0.02),
    "xavier": nn.init.xavier_uniform_,
}


def check_score(d_output: DOutput, family: str) -> None:
    """BigGAN's discriminators score samples; auto-encoder losses (BEGAN) do not fit."""
    if d_output != "score":
        raise ConfigError(f"model {family} has a scoring discriminator; pick a scoring loss")


@MODELS.register("biggan", recipe="gan", data_kind="image", limits=biggan_limits)
def biggan(
    info: DataInfo,
    d_output: DOutput = "score",
    *,
    z_dim: int = 120,
    g_width: int = 96,
    d_width: int = 96,
    conditional: bool = True,
    shared_dim: int = 128,
    hierarchical: bool = True,
    g_attention: int = 64,
    d_attention: int = 64,
    g_norm: SpectralChoice = "spectral",
    d_norm: SpectralChoice = "spectral",
    sn_eps: float = 1e-6,
    bn_eps: float = 1e-5,
    init: Init = "ortho",
) -> GANModels:
    """BigGAN: residual G/D, shared embedding + hierarchical z, self-attention, projection D."""
    check_score(d_output, "biggan")
    n_classes = n_classes_of(info, conditional, "biggan")
    if hierarchical and n_classes and not shared_dim:
        raise ConfigError("a hierarchical biggan needs model.shared_dim > 0")
    g = BigGANGenerator(
        info,
        z_dim,
        g_width,
        n_classes,
        shared_dim,
        hierarchical,
        g_attention,
        wrapper(g_norm, sn_eps),
        bn_eps,
    )
    d = BigGANDiscriminator(info, d_width, n_classes, d_attention, wrapper(d_norm, sn_eps))
    return initialise(GANModels(g, d), init)
