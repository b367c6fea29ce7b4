"""Recipes: what one training step means for each model family.

Every module of this package is imported on first lookup, so a new recipe is one new file.
"""

import importlib
import pkgutil

from ganforge.train.recipes.base import Phase, Preview, Recipe

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["Phase", "Preview", "Recipe"]
