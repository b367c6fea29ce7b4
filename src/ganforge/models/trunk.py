"""A discriminator whose trunk feeds an adversarial score and an auxiliary head at once.

ACGAN's class head, InfoGAN's Q head and the semi-supervised GAN's K-way classifier all share
the DCGAN encoder with the score: ``heads(x)`` runs the trunk once and returns (score, aux);
``forward(x, y)`` returns the score alone, so every adversarial loss and penalty sees an
ordinary discriminator (the labels are ignored: these discriminators are not conditioned on y).

With ``score="logsumexp"`` there is no score head: the K class logits are those of a K+1-way
classifier whose fake logit is fixed at 0 (Salimans et al. 2016), so D(x) = Z / (Z + 1) with
Z = sum exp(logits), i.e. the score (the logit of D) is ``logsumexp(logits)``.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.models.base import Discriminator
from ganforge.models.dcgan import DCGANEncoder
from ganforge.nn.norm import maybe_spectral


class TrunkDiscriminator(Discriminator):
    """DCGAN encoder -> (score, auxiliary outputs); ``aux`` maps the flattened features."""

    def __init__(
        self,
        info: DataInfo,
        width: int,
        norm: str,
        aux: nn.Module,
        score: Literal["head", "logsumexp"] = "head",
    ) -> None:
        super().__init__()
        self.batch_statistics = norm == "batch"
        self.encoder = DCGANEncoder(info.channels, info.size, width, norm)
        base = self.encoder.base
        self.features = self.encoder.out_channels * base[0] * base[1]
        conv = nn.Conv2d(self.encoder.out_channels, 1, base)
        self.head = maybe_spectral(conv, norm) if score == "head" else None
        self.aux = aux

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        """The shared feature map at the base resolution."""
        return self.encoder(x)

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(scores of shape (N,), auxiliary outputs of shape (N, A)) from one trunk pass."""
        h = self.encoder(x)
        aux = self.aux(h.flatten(1))
        score = aux.logsumexp(1) if self.head is None else self.head(h).flatten(1).sum(1)
        return score, aux

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Unbounded scores of shape (N,) (``y`` is ignored)."""
        return self.heads(x)[0]


def linear_head(features: int, outputs: int, norm: str) -> nn.Module:
    """A linear auxiliary head (ACGAN's classifier, the semi-supervised GAN's K logits)."""
    return maybe_spectral(nn.Linear(features, outputs), norm)
