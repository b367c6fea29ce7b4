"""Model families: each module registers a builder ``(info, d_output, **params) -> models``.

Every module of this package is imported on first lookup, so a new family is one new file.
"""

import importlib
import pkgutil

from ganforge.models.base import GANModels, Generator, count_parameters

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["GANModels", "Generator", "count_parameters"]
