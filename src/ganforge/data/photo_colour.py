"""Grayscale -> colour patches cut from scikit-learn's two bundled photos (works offline).

The photos (a temple in China and a dahlia, 427 x 640) are downscaled by ``scale`` and tiled
into ``size`` x ``size`` squares; a fixed 20% of the tiles is held out (the test split) and the
training split is ``n_train`` random crops that do not touch a held-out tile. Domain A is the
ITU-R 601 luma of a patch, domain B the patch itself.
"""

from __future__ import annotations

import numpy as np

from ganforge.data.base import Split, channels_to, split_indices
from ganforge.data.images import resize_batch
from ganforge.data.paired import PairedDataset
from ganforge.errors import DataError
from ganforge.registry import DATASETS


def sample_photos(scale: float) -> list[np.ndarray]:
    """scikit-learn's sample photos as uint8 (3, H, W), resized by ``scale``."""
    from sklearn.datasets import load_sample_images

    out = []
    for image in load_sample_images().images:
        h, w = image.shape[:2]
        size = (max(1, round(h * scale)), max(1, round(w * scale)))
        out.append(resize_batch(image.transpose(2, 0, 1)[None], size)[0])
    return out


def _patches(photos: list[np.ndarray], size: int, split: str, n_train: int, seed: int):
    tiles = [(p, r, c) for p, im in enumerate(photos) for r in range(im.shape[1] // size)
             for c in range(im.shape[2] // size)]  # fmt: skip
    held = {tiles[i] for i in split_indices(len(tiles), "test")}
    if split == "test":
        return np.stack([photos[p][:, r * size : (r + 1) * size, c * size : (c + 1) * size]
                         for p, r, c in sorted(held)])  # fmt: skip
    rng = np.random.default_rng(seed)
    crops: list[np.ndarray] = []
    while len(crops) < n_train:
        p = int(rng.integers(len(photos)))
        _, h, w = photos[p].shape
        top, left = (
            int(rng.integers(h // size * size - size + 1)),
            int(rng.integers(w // size * size - size + 1)),
        )
        rows = {top // size, (top + size - 1) // size}
        cols = {left // size, (left + size - 1) // size}
        if any((p, r, c) in held for r in rows for c in cols):
            continue
        crops.append(photos[p][:, top : top + size, left : left + size])
    return np.stack(crops)


@DATASETS.register("photo-colour", kind="paired")
def photo_colour(
    *,
    size: int = 32,
    scale: float = 0.5,
    split: Split = "train",
    n_train: int = 1000,
    jitter: bool = True,
    seed: int = 0,
) -> PairedDataset:
    """Grayscale -> colour patches of scikit-learn's two sample photos (offline; 20% held out)."""
    if size < 8 or scale <= 0:
        raise DataError("data.size must be >= 8 and data.scale positive")
    photos = sample_photos(scale)
    if min(min(p.shape[1:]) for p in photos) < 2 * size:
        raise DataError(f"data.size={size} is too large for photos scaled by {scale}")
    if split == "all":
        colour = np.concatenate(
            [_patches(photos, size, s, n_train, seed) for s in ("train", "test")]
        )
    else:
        colour = _patches(photos, size, split, n_train, seed)
    gray = channels_to(colour, 1)
    held = None if split == "test" else {"split": "test"}
    return PairedDataset.from_arrays("photo-colour", gray, colour, jitter=jitter, held_out=held)
