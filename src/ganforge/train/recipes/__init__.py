"""Recipes: what one training step means for each model family."""

from ganforge.train.recipes import (  # noqa: F401  (registration)
    cyclegan,
    gan,
    pix2pix,
    progressive,
)
from ganforge.train.recipes.base import Phase, Preview, Recipe

__all__ = ["Phase", "Preview", "Recipe"]
