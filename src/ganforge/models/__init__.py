"""Model families: each module registers a builder ``(info, d_output, **params) -> models``."""

from ganforge.models import (  # noqa: F401  (registration)
    cyclegan,
    dcgan,
    pix2pix,
    progan,
    stylegan,
    toy,
)
from ganforge.models.base import GANModels, Generator, count_parameters

__all__ = ["GANModels", "Generator", "count_parameters"]
