"""Auxiliary classifier GAN (Odena et al. 2017): a class-conditional generator and a
discriminator with a class head beside its score; the ``acgan`` recipe adds the class
cross-entropy on real and generated images to both objectives."""

from __future__ import annotations

from typing import Literal

from ganforge.data.base import DataInfo
from ganforge.models.base import DOutput, GANModels
from ganforge.models.cgan import LabelledGenerator, labelled_classes, score_output
from ganforge.models.dcgan import dcgan_limits, plan
from ganforge.models.trunk import TrunkDiscriminator, linear_head
from ganforge.nn.norm import Norm, init_dcgan
from ganforge.registry import MODELS


def trunk_features(info: DataInfo, d_width: int) -> int:
    """Size of the flattened DCGAN encoder output for ``info``'s images."""
    k, base = plan(info.size)
    return d_width * 2 ** (k - 1) * base[0] * base[1]


@MODELS.register("acgan", recipe="acgan", data_kind="image", limits=dcgan_limits)
def acgan(
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
) -> GANModels:
    """ACGAN: G(z, y); D(x) -> (real/fake score, class logits) from one trunk."""
    n_classes = labelled_classes(info, "acgan")
    score_output(d_output, "acgan")
    g = LabelledGenerator(z_dim, n_classes, class_dim, info, g_width, g_norm, upsample)
    aux = linear_head(trunk_features(info, d_width), n_classes, d_norm)
    d = TrunkDiscriminator(info, d_width, d_norm, aux)
    init_dcgan(g)
    init_dcgan(d)
    return GANModels(g, d, d_output)
