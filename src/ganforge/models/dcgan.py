"""DCGAN (Radford et al. 2015) for square or rectangular images, 8 to 256 pixels a side."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import torch
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.base import Discriminator, DOutput, GANModels, Generator
from ganforge.nn.norm import Norm, init_dcgan, maybe_spectral, norm_layer
from ganforge.nn.projection import projection_term
from ganforge.registry import MODELS


def plan(size: tuple[int, int]) -> tuple[int, tuple[int, int]]:
    """Number of 2x stages and the base (h, w): the most halvings leaving both sides >= 4."""
    h, w = size
    if min(h, w) < 8 or max(h, w) > 256:
        raise ConfigError(
            f"dcgan supports image sides from 8 to 256, got {h}x{w}; set data.size, e.g. 64"
        )
    k = 0
    while h % 2 ** (k + 1) == 0 and w % 2 ** (k + 1) == 0 and min(h, w) // 2 ** (k + 1) >= 4:
        k += 1
    if k == 0:
        raise ConfigError(f"dcgan needs even image sides (got {h}x{w}); try data.size=32")
    return k, (h // 2**k, w // 2**k)


class DCGANGenerator(Generator):
    """z (and a class embedding) -> base map -> k 2x up-sampling stages -> tanh image."""

    def __init__(
        self,
        z_dim: int,
        channels: int,
        size: tuple[int, int],
        width: int,
        norm: str,
        upsample: str,
        n_classes: int = 0,
    ) -> None:
        super().__init__()
        self.z_dim, self.n_classes = z_dim, n_classes
        k, base = plan(size)
        ch = width * 2 ** (k - 1)
        self.embed = nn.Embedding(n_classes, z_dim) if n_classes else None
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(z_dim, ch, base, bias=norm == "none"),
            norm_layer(norm, ch),
            nn.ReLU(True),
        ]
        for stage in range(k):
            out = channels if stage == k - 1 else ch // 2
            last = stage == k - 1
            if upsample == "transposed":
                layers.append(nn.ConvTranspose2d(ch, out, 4, 2, 1, bias=last or norm == "none"))
            else:
                layers += [
                    nn.Upsample(scale_factor=2, mode=upsample),
                    nn.Conv2d(ch, out, 3, 1, 1, bias=last or norm == "none"),
                ]
            if not last:
                layers += [norm_layer(norm, out), nn.ReLU(True)]
            ch = out
        layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1]; ``y`` is required for a class-conditional generator."""
        if self.embed is not None:
            if y is None:
                raise ValueError("this generator is class-conditional: pass labels y")
            z = z * self.embed(y)
        return self.net(z[:, :, None, None])


class DCGANEncoder(nn.Module):
    """Strided 4x4 convolutions from the image down to the base map."""

    def __init__(self, channels: int, size: tuple[int, int], width: int, norm: str) -> None:
        super().__init__()
        k, self.base = plan(size)
        layers: list[nn.Module] = []
        ch_in, ch = channels, width
        for stage in range(k):
            conv = nn.Conv2d(ch_in, ch, 4, 2, 1, bias=stage == 0 or norm in ("none", "spectral"))
            layers.append(maybe_spectral(conv, norm))
            if stage > 0:
                layers.append(norm_layer(norm, ch))
            layers.append(nn.LeakyReLU(0.2, True))
            ch_in, ch = ch, ch * 2
        self.out_channels = ch_in
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Feature map at the base resolution."""
        return self.net(x)


class DCGANDiscriminator(Discriminator):
    """Encoder then a base-sized conv to one score (plus a projection term when conditional)."""

    def __init__(
        self, channels: int, size: tuple[int, int], width: int, norm: str, n_classes: int = 0
    ) -> None:
        super().__init__()
        self.batch_statistics = norm == "batch"
        self.encoder = DCGANEncoder(channels, size, width, norm)
        ch = self.encoder.out_channels
        self.head = maybe_spectral(nn.Conv2d(ch, 1, self.encoder.base), norm)
        self.embed = maybe_spectral(nn.Embedding(n_classes, ch), norm) if n_classes else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Unbounded scores of shape (N,)."""
        h = self.encoder(x)
        score = self.head(h).flatten(1).sum(1)
        if self.embed is not None:
            score = score + projection_term(self.embed, y, h.sum((2, 3)))
        return score


class DCGANAutoEncoder(Discriminator):
    """BEGAN's discriminator: encoder to a code, DCGAN-style decoder back to the image."""

    def __init__(
        self, channels: int, size: tuple[int, int], width: int, norm: str, code: int, upsample: str
    ) -> None:
        super().__init__()
        self.batch_statistics = norm == "batch"
        self.encoder = DCGANEncoder(channels, size, width, norm)
        base = self.encoder.base
        self.to_code = nn.Linear(self.encoder.out_channels * base[0] * base[1], code)
        self.decoder = DCGANGenerator(code, channels, size, width, "none", upsample)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Reconstruction of ``x``."""
        return self.decoder(self.to_code(self.encoder(x).flatten(1)))


def dcgan_limits(size: tuple[int, int], params: Mapping[str, Any]) -> None:
    """The image sizes DCGAN builds for (checked before any data is loaded)."""
    plan(size)


@MODELS.register("dcgan", recipe="gan", data_kind="image", limits=dcgan_limits)
def dcgan(
    info: DataInfo,
    d_output: DOutput = "score",
    *,
    z_dim: int = 100,
    g_width: int = 64,
    d_width: int = 64,
    g_norm: Literal["batch", "layer", "none"] = "batch",
    d_norm: Norm = "batch",
    upsample: Literal["transposed", "nearest", "bilinear"] = "transposed",
    conditional: bool = False,
    code: int = 64,
) -> GANModels:
    """DCGAN generator and strided-conv discriminator; any even size 8-256, optional labels."""
    if info.kind != "image":
        raise ConfigError(f"model dcgan needs an image dataset; {info.name!r} holds {info.kind}")
    n_classes = info.n_classes if conditional else 0
    if conditional and not n_classes:
        raise ConfigError(f"model.conditional=true but dataset {info.name!r} has no labels")
    g = DCGANGenerator(z_dim, info.channels, info.size, g_width, g_norm, upsample, n_classes)
    if d_output == "reconstruction":
        d: Discriminator = DCGANAutoEncoder(
            info.channels, info.size, d_width, d_norm, code, upsample
        )
    else:
        d = DCGANDiscriminator(info.channels, info.size, d_width, d_norm, n_classes)
    init_dcgan(g)
    init_dcgan(d)
    return GANModels(g, d, d_output)
