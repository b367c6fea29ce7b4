"""Model families: each module registers a builder ``(info, d_output, **params) -> models``."""

from ganforge.models import dcgan, progan, stylegan, toy  # noqa: F401  (registration)
from ganforge.models.base import GANModels, Generator, count_parameters

__all__ = ["GANModels", "Generator", "count_parameters"]
