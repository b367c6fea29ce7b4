"""InfoGAN (Chen et al. 2016): latent codes the generator must keep recoverable.

The generator's input is noise (``z_dim``), ``continuous`` codes uniform on [-1, 1] (drawn by
``latent``, after the noise) and one categorical code of ``categories`` values, passed as the
label ``y``: so ``sample(n, labels=...)`` fixes the categorical code and ``n_classes`` is the
number of categories (unsupervised: a category is not a dataset class; the ``class-accuracy``
measure matches categories to classes). The discriminator's trunk also feeds Q, a small head
that predicts the categorical code (logits) and the continuous codes (means of a factored
Gaussian with unit variance, or means then log-variances with ``code_std="learned"``); the
``infogan`` recipe adds the mutual-information bound.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.acgan import trunk_features
from ganforge.models.base import DOutput, GANModels
from ganforge.models.cgan import LabelledGenerator, score_output
from ganforge.models.dcgan import dcgan_limits
from ganforge.models.trunk import TrunkDiscriminator
from ganforge.nn.norm import Norm, init_dcgan, maybe_spectral
from ganforge.registry import MODELS

Q_WIDTH = 128  # hidden units of Q (the paper's MNIST Q: FC 128, batch norm, leaky ReLU)


class InfoGenerator(LabelledGenerator):
    """The labelled generator whose latent is [noise, continuous codes in [-1, 1]]."""

    unsupervised_labels = True  # its "classes" are learned categories, not the data's classes

    def __init__(self, noise: int, continuous: int, categories: int, *args: object) -> None:
        super().__init__(noise + continuous, categories, *args)  # type: ignore[arg-type]
        self.noise, self.continuous = noise, continuous

    def latent(
        self,
        n: int,
        generator: torch.Generator | None = None,
        truncation: float | None = None,
        device: torch.device | str = "cpu",
    ) -> torch.Tensor:
        """Standard normal noise, then the continuous codes uniform on [-1, 1] (on the CPU)."""
        self.check_truncation(truncation)
        noise = torch.randn(n, self.noise, generator=generator)
        codes = torch.rand(n, self.continuous, generator=generator) * 2 - 1
        return torch.cat([noise, codes], 1).to(device)


def q_head(features: int, outputs: int, norm: str) -> nn.Module:
    """Q: linear -> batch norm (unless D is spectral/none) -> leaky ReLU -> linear."""
    layers: list[nn.Module] = [maybe_spectral(nn.Linear(features, Q_WIDTH), norm)]
    if norm == "batch":
        layers.append(nn.BatchNorm1d(Q_WIDTH))
    layers += [nn.LeakyReLU(0.2, True), maybe_spectral(nn.Linear(Q_WIDTH, outputs), norm)]
    return nn.Sequential(*layers)


@MODELS.register("infogan", recipe="infogan", data_kind="image", limits=dcgan_limits)
def infogan(
    info: DataInfo,
    d_output: DOutput = "score",
    *,
    z_dim: int = 62,
    categories: int = 10,
    continuous: int = 2,
    class_dim: int = 10,
    g_width: int = 64,
    d_width: int = 64,
    g_norm: Literal["batch", "layer", "none"] = "batch",
    d_norm: Norm = "batch",
    upsample: Literal["transposed", "nearest", "bilinear"] = "transposed",
    code_std: Literal["fixed", "learned"] = "fixed",
) -> GANModels:
    """InfoGAN: G(noise, continuous codes; categorical code y); D's trunk -> score and Q;
    ``code_std``: the continuous codes' Gaussian has unit variance or Q predicts its
    log-variance too."""
    if info.kind != "image":
        raise ConfigError(f"model infogan needs an image dataset; {info.name!r} holds {info.kind}")
    if categories < 2:
        raise ConfigError(f"model.categories must be at least 2, got {categories}")
    score_output(d_output, "infogan")
    g = InfoGenerator(z_dim, continuous, categories, class_dim, info, g_width, g_norm, upsample)
    outputs = categories + continuous * (2 if code_std == "learned" else 1)
    q = q_head(trunk_features(info, d_width), outputs, d_norm)
    d = TrunkDiscriminator(info, d_width, d_norm, q)
    init_dcgan(g)
    init_dcgan(d)
    return GANModels(g, d, d_output)
