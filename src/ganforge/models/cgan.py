"""Conditional GAN (Mirza & Osindero 2014) with a concatenating or a projection discriminator.

The generator concatenates a learned class embedding to z and feeds the DCGAN body. The
discriminator either concatenates the class embedding, tiled over the image, to its input
channels (the paper's form) or scores ``conv(h) + <embed(y), sum_pool(h)>``: DCGAN's score
convolution over the whole final feature map plus the class term of the projection
discriminator (Miyato & Koyama 2018, ``nn/projection.py``) on the pooled features.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.base import Discriminator, DOutput, GANModels, Generator
from ganforge.models.dcgan import DCGANDiscriminator, DCGANEncoder, DCGANGenerator, dcgan_limits
from ganforge.nn.norm import Norm, init_dcgan, maybe_spectral
from ganforge.registry import MODELS


class LabelledGenerator(Generator):
    """``[z, embed(y)]`` -> the DCGAN generator body (``n_classes`` labels, ``class_dim`` wide)."""

    def __init__(
        self,
        z_dim: int,
        n_classes: int,
        class_dim: int,
        info: DataInfo,
        width: int,
        norm: str,
        upsample: str,
    ) -> None:
        super().__init__()
        self.z_dim, self.n_classes = z_dim, n_classes
        self.embed = nn.Embedding(n_classes, class_dim)
        self.body = DCGANGenerator(
            z_dim + class_dim, info.channels, info.size, width, norm, upsample
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1] of classes ``y``."""
        if y is None:
            raise ValueError("this generator is class-conditional: pass labels y")
        return self.body(torch.cat([z, self.embed(y).to(z.dtype)], 1))


class ConcatDiscriminator(Discriminator):
    """The class embedding tiled over the image as extra input channels, then DCGAN's encoder
    and a base-sized convolution to one score."""

    def __init__(self, info: DataInfo, n_classes: int, class_dim: int, width: int, norm: str):
        super().__init__()
        self.batch_statistics = norm == "batch"
        self.embed = nn.Embedding(n_classes, class_dim)
        self.encoder = DCGANEncoder(info.channels + class_dim, info.size, width, norm)
        self.head = maybe_spectral(nn.Conv2d(self.encoder.out_channels, 1, self.encoder.base), norm)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Unbounded scores of shape (N,)."""
        if y is None:
            raise ValueError("this discriminator is class-conditional: pass labels y")
        planes = self.embed(y).to(x.dtype)[:, :, None, None].expand(-1, -1, *x.shape[2:])
        return self.head(self.encoder(torch.cat([x, planes], 1))).flatten(1).sum(1)


def labelled_classes(info: DataInfo, family: str) -> int:
    """The dataset's class count, or an error naming a labelled dataset."""
    if info.kind != "image":
        raise ConfigError(f"model {family} needs an image dataset; {info.name!r} holds {info.kind}")
    if not info.n_classes:
        raise ConfigError(
            f"model {family} is class-conditional but dataset {info.name!r} has no labels; "
            "use a labelled dataset such as digits or mnist"
        )
    return info.n_classes


def score_output(d_output: DOutput, family: str) -> None:
    """Refuse an auto-encoder discriminator (BEGAN) for a family whose D scores."""
    if d_output != "score":
        raise ConfigError(
            f"model {family} needs a loss whose discriminator outputs a score; "
            "began's auto-encoder discriminator does not fit it"
        )


@MODELS.register("cgan", recipe="gan", data_kind="image", limits=dcgan_limits)
def cgan(
    info: DataInfo,
    d_output: DOutput = "score",
    *,
    z_dim: int = 100,
    class_dim: int = 10,
    g_width: int = 64,
    d_width: int = 64,
    g_norm: Literal["batch", "layer", "none"] = "batch",
    d_norm: Norm = "batch",
    upsample: Literal["transposed", "nearest", "bilinear"] = "transposed",
    d_condition: Literal["concat", "projection"] = "concat",
) -> GANModels:
    """Conditional GAN: class embedding concatenated to z; D concatenates it or projects."""
    n_classes = labelled_classes(info, "cgan")
    score_output(d_output, "cgan")
    g = LabelledGenerator(z_dim, n_classes, class_dim, info, g_width, g_norm, upsample)
    if d_condition == "concat":
        d: Discriminator = ConcatDiscriminator(info, n_classes, class_dim, d_width, d_norm)
    else:
        d = DCGANDiscriminator(info.channels, info.size, d_width, d_norm, n_classes)
    init_dcgan(g)
    init_dcgan(d)
    return GANModels(g, d, d_output)
