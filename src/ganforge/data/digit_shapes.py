"""Translation tasks made from scikit-learn's bundled digits (work offline).

Each 8 x 8 digit is upsampled (bicubic) and given a soft threshold to a shape with clean edges:
- ``digit-edges`` (paired): the shape's outline (dilation minus erosion) -> the upsampled digit;
- ``digit-strokes`` (unpaired): the shape eroded by a radius-1 disk (domain A, thin strokes) and
  dilated by a radius-2 disk (domain B, thick strokes). The training split gives A and B disjoint
  halves of the training digits, so no image has its partner in the other domain; the test split
  holds both versions of the held-out digits.
Splits are the fixed 80/20 split of the 1,797 digits.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import ndimage

from ganforge.data.base import Split, split_indices
from ganforge.data.digits import digits_uint8
from ganforge.data.images import as_size, resize_batch
from ganforge.data.paired import PairedDataset
from ganforge.data.unpaired import UnpairedDataset
from ganforge.registry import DATASETS


def disk(radius: int) -> np.ndarray:
    """A boolean disk footprint of the given radius."""
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return (xx**2 + yy**2) <= radius * radius + 0.5


def _uint8(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, 0, 1) * 255).astype(np.uint8)[:, None]


@functools.lru_cache(maxsize=8)
def _digit_shapes(split: Split, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    digits, _ = digits_uint8()
    smooth = resize_batch(digits[split_indices(len(digits), split)], size)
    shape = np.clip((smooth[:, 0].astype(np.float32) / 255.0 - 0.5) / 0.1 + 0.5, 0.0, 1.0)
    return smooth, shape


def digit_shapes(split: Split, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, int]:
    """(upsampled uint8 digits (N, 1, H, W), soft shapes in [0, 1] (N, H, W), stroke radius).

    Cached per split and size (a training run builds its splits more than once).
    """
    smooth, shape = _digit_shapes(split, tuple(size))  # type: ignore[arg-type]
    return smooth.copy(), shape.copy(), max(1, round(size[0] / 32))


def _morph(op: object, shapes: np.ndarray, radius: int) -> np.ndarray:
    """Grey erosion or dilation of each (H, W) image of an (N, H, W) stack by a disk."""
    return op(shapes, footprint=disk(radius)[None])  # type: ignore[operator]


@DATASETS.register("digit-edges", kind="paired")
def digit_edges(
    *, size: int | tuple[int, int] = 32, split: Split = "train", jitter: bool = True
) -> PairedDataset:
    """Digit outlines (A) -> the digits (B), paired; the edges2shoes idea on bundled digits."""
    smooth, shape, r = digit_shapes(split, as_size(size))
    edges = _morph(ndimage.grey_dilation, shape, r) - _morph(ndimage.grey_erosion, shape, r)
    held = None if split == "test" else {"split": "test"}
    return PairedDataset.from_arrays(
        "digit-edges", _uint8(edges), smooth, jitter=jitter, held_out=held
    )


@DATASETS.register("digit-strokes", kind="unpaired")
def digit_strokes(
    *, size: int | tuple[int, int] = 32, split: Split = "train", jitter: bool = True
) -> UnpairedDataset:
    """Thin-stroke digits (A) vs thick-stroke digits (B), unpaired halves (offline)."""
    _, shape, r = digit_shapes(split, as_size(size))
    thin = _uint8(_morph(ndimage.grey_erosion, shape, r))
    thick = _uint8(_morph(ndimage.grey_dilation, shape, 2 * r))
    if split == "test":
        a, b = thin, thick
    else:  # disjoint halves: a digit appears in one domain only
        a, b = thin[0::2], thick[1::2]
    held = None if split == "test" else {"split": "test"}
    return UnpairedDataset.from_arrays("digit-strokes", a, b, jitter=jitter, held_out=held)
