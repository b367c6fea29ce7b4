"""Small MLP generator and critic for the 2-D toy mixtures (with optional PacGAN packing)."""

from __future__ import annotations

import itertools
from typing import Literal

import torch
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.base import Discriminator, DOutput, GANModels, Generator
from ganforge.registry import MODELS


def mlp(
    sizes: list[int], activation: type[nn.Module] = nn.ReLU, batch_norm: bool = False
) -> nn.Sequential:
    """Linear layers with (batch norm and) ``activation`` between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            if batch_norm:
                layers.append(nn.BatchNorm1d(b))
            layers.append(activation())
    return nn.Sequential(*layers)


class Maxout(nn.Module):
    """A linear maxout layer (Goodfellow et al. 2013): the largest of ``pieces`` linear maps."""

    def __init__(self, dim_in: int, dim_out: int, pieces: int) -> None:
        super().__init__()
        self.pieces = pieces
        self.linear = nn.Linear(dim_in, dim_out * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, dim_in) -> (N, dim_out): per unit, the max over its pieces."""
        return self.linear(x).unflatten(1, (-1, self.pieces)).amax(2)


def maxout_mlp(sizes: list[int], pieces: int) -> nn.Sequential:
    """Maxout hidden layers, then a linear output (the PacGAN/VEEGAN toy discriminator)."""
    hidden = [Maxout(a, b, pieces) for a, b in itertools.pairwise(sizes[:-1])]
    return nn.Sequential(*hidden, nn.Linear(sizes[-2], sizes[-1]))


class MLPGenerator(Generator):
    """z -> hidden ReLU layers -> a point (no output squashing: toy data is not in [-1, 1])."""

    def __init__(self, z_dim: int, dim: int, hidden: int, layers: int, norm: str = "none") -> None:
        super().__init__()
        self.z_dim = z_dim
        self.net = mlp([z_dim, *[hidden] * layers, dim], batch_norm=norm == "batch")

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Points of shape (N, dim)."""
        return self.net(z)


class MLPCritic(Discriminator):
    """Points -> hidden layers -> score; with ``pack`` > 1, judges packs of samples jointly.

    Hidden units are leaky ReLU, or maxout units of ``maxout`` pieces when ``maxout`` > 1.
    """

    def __init__(
        self, dim: int, hidden: int, layers: int, pack: int, out: int = 1, maxout: int = 1
    ) -> None:
        super().__init__()
        self.pack = pack
        sizes = [dim * pack, *[hidden] * layers, out]
        self.net = maxout_mlp(sizes, maxout) if maxout > 1 else mlp(sizes, nn.LeakyReLU)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Scores of shape (N / pack,)."""
        if self.pack > 1:
            if len(x) % self.pack:
                raise ValueError(f"batch of {len(x)} is not a multiple of pack={self.pack}")
            x = x.reshape(len(x) // self.pack, -1)
        return self.net(x).squeeze(1)


class MLPAutoEncoder(Discriminator):
    """BEGAN's auto-encoder discriminator for points."""

    def __init__(self, dim: int, hidden: int, layers: int, code: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            mlp([dim, *[hidden] * layers, code], nn.LeakyReLU),
            nn.LeakyReLU(),
            mlp([code, *[hidden] * layers, dim], nn.LeakyReLU),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Reconstruction of ``x``."""
        return self.net(x)


@MODELS.register("mlp", recipe="gan", data_kind="points")
def mlp_gan(
    info: DataInfo,
    d_output: DOutput = "score",
    *,
    z_dim: int = 2,
    g_width: int = 400,
    g_depth: int = 4,
    g_norm: Literal["none", "batch"] = "none",
    d_width: int = 200,
    d_depth: int = 3,
    pack: int = 1,
    d_maxout: int = 1,
    code: int = 16,
) -> GANModels:
    """MLP generator/critic for 2-D points (PacGAN sizes: G 4x400, D 3x200); pack=m for PacGANm.

    ``d_maxout`` = k > 1 gives the critic maxout units of k pieces (PacGAN's released toy code: 5).
    """
    if info.kind != "points":
        raise ConfigError(f"model mlp needs a points dataset (ring, grid); got {info.name!r}")
    if pack < 1:
        raise ConfigError(f"model.pack must be >= 1, got {pack}")
    if d_maxout < 1:
        raise ConfigError(f"model.d_maxout must be >= 1, got {d_maxout}")
    dim = info.shape[0]
    g = MLPGenerator(z_dim, dim, g_width, g_depth, g_norm)
    if d_output == "reconstruction":
        if pack != 1 or d_maxout != 1:
            raise ConfigError(
                "BEGAN's auto-encoder discriminator supports neither packing nor maxout units"
            )
        d: Discriminator = MLPAutoEncoder(dim, d_width, d_depth, code)
    else:
        d = MLPCritic(dim, d_width, d_depth, pack, maxout=d_maxout)
    return GANModels(g, d, d_output)
