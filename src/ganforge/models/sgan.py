"""Semi-supervised GAN (Salimans et al. 2016; Odena 2016): D as a K+1-way classifier.

D outputs K class logits; the (K+1)-th, "fake", logit is fixed at 0, so the probability that
an image is real is Z / (Z + 1) with Z = sum exp(logits) and D's score is logsumexp(logits)
(``models/trunk.py``). The generator is unconditional. The ``sgan`` recipe trains D on all
images adversarially and on a few labelled ones with cross-entropy, and trains the same
classifier on the labelled images alone as the baseline it reports against.
"""

from __future__ import annotations

from typing import Literal

from ganforge.data.base import DataInfo
from ganforge.models.acgan import trunk_features
from ganforge.models.base import DOutput, GANModels
from ganforge.models.cgan import labelled_classes, score_output
from ganforge.models.dcgan import DCGANGenerator, dcgan_limits
from ganforge.models.trunk import TrunkDiscriminator, linear_head
from ganforge.nn.norm import Norm, init_dcgan
from ganforge.registry import MODELS


def classifier(info: DataInfo, d_width: int, d_norm: str, n_classes: int) -> TrunkDiscriminator:
    """The K-way classifier / discriminator (a fresh one also serves as the baseline)."""
    aux = linear_head(trunk_features(info, d_width), n_classes, d_norm)
    d = TrunkDiscriminator(info, d_width, d_norm, aux, score="logsumexp")
    init_dcgan(d)
    return d


@MODELS.register("sgan", recipe="sgan", data_kind="image", limits=dcgan_limits)
def sgan(
    info: DataInfo,
    d_output: DOutput = "score",
    *,
    z_dim: int = 100,
    g_width: int = 64,
    d_width: int = 64,
    g_norm: Literal["batch", "layer", "none"] = "batch",
    d_norm: Norm = "batch",
    upsample: Literal["transposed", "nearest", "bilinear"] = "transposed",
) -> GANModels:
    """Semi-supervised GAN: unconditional G; D's K logits (fake logit 0) score and classify."""
    n_classes = labelled_classes(info, "sgan")
    score_output(d_output, "sgan")
    g = DCGANGenerator(z_dim, info.channels, info.size, g_width, g_norm, upsample)
    init_dcgan(g)
    return GANModels(g, classifier(info, d_width, d_norm, n_classes), d_output)
