"""scikit-learn's bundled 8x8 handwritten digits, upsampled to the configured size."""

from __future__ import annotations

import functools

import numpy as np

from ganforge.data.base import DataInfo, ImageArrayDataset, Split, channels_to, split_indices
from ganforge.data.images import as_size, resize_batch
from ganforge.registry import DATASETS


@functools.cache
def digits_uint8() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 digits as uint8 (N, 1, 8, 8) in [0, 255] with their labels (read once)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)[:, None]
    return images, bunch.target.astype(np.int64)


@DATASETS.register("digits", kind="image")
def digits(
    *,
    size: int | tuple[int, int] = 32,
    channels: int = 1,
    split: Split = "all",
    limit: int | None = None,
    flip: bool = False,
) -> ImageArrayDataset:
    """scikit-learn's 1,797 bundled 8x8 digits (10 classes), upsampled; works offline."""
    images, labels = (a.copy() for a in digits_uint8())
    keep = split_indices(len(images), split)[:limit]
    images = channels_to(resize_batch(images[keep], as_size(size)), channels)
    info = DataInfo(
        "digits",
        "image",
        tuple(images.shape[1:]),
        len(images),
        n_classes=10,
        class_names=[str(i) for i in range(10)],
    )
    return ImageArrayDataset(images, labels[keep], info, flip=flip)
