"""Recipes: what one training step means for each model family."""

from ganforge.train.recipes import gan, progressive  # noqa: F401  (registration)
from ganforge.train.recipes.base import Phase, Preview, Recipe

__all__ = ["Phase", "Preview", "Recipe"]
