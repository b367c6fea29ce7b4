"""Differentiable augmentation of the discriminator's images: DiffAugment and ADA.

Pure tensor code with its own constants; it knows nothing of the training loop. A recipe builds
an ``Augment`` from ``train.augment`` (parsed by ``parse_augment``, which the config also calls
to validate the string) and calls it on every image its discriminator judges.
"""

from ganforge.augment.pipeline import Augment
from ganforge.augment.spec import AugmentSpec, parse_augment

__all__ = ["Augment", "AugmentSpec", "parse_augment"]
