"""Nearest-neighbour figures, both ways: each generated image beside its closest real images
(copies of training images show up at once), and each real image beside its closest generated
images (real images with no close generated one show what the model dropped).

The figures search in pixel space by default (Euclidean distance between the uint8 images, the
real ones brought to the generated images' channels and size) or in the extractor's feature
space.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch

from ganforge.data.grid import save_grid
from ganforge.data.images import resize_batch
from ganforge.errors import GanforgeError
from ganforge.metrics.measures.kernels import BLOCK_ENTRIES
from ganforge.metrics.measures.neighbours import nearest

Space = Literal["pixels", "features"]


def neighbour_grid(
    fake_images: torch.Tensor,
    real_images: torch.Tensor,
    neighbours: np.ndarray,
    path: str | Path,
    scale: int = 1,
    query_label: str = "gen",
) -> Path:
    """One row per fake image: the image, then its nearest real images (``neighbours[i]``).

    The images may be the other way round (a real image and its nearest generated ones, for
    image retrieval): ``query_label`` names the first column."""
    k = neighbours.shape[1]
    rows = []
    for i in range(len(neighbours)):
        rows.append(fake_images[i : i + 1])
        rows.append(real_images[torch.as_tensor(neighbours[i])])
    cells = torch.cat(rows)
    labels = [(query_label if j % (k + 1) == 0 else f"nn{j % (k + 1)}") for j in range(len(cells))]
    return save_grid(cells, path, nrow=k + 1, labels=labels, scale=scale)


def like(images: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """uint8 NCHW images in another (C, H, W): grey repeated to RGB or RGB averaged to grey,
    then resized (aspect kept, centre-cropped) when the size differs."""
    channels, size = shape[0], tuple(shape[1:])
    if images.shape[1] != channels:
        if channels == 3:
            images = images.expand(-1, 3, -1, -1)
        else:
            images = images.float().mean(1, keepdim=True).round().to(torch.uint8)
    if tuple(images.shape[2:]) != size:
        images = torch.from_numpy(resize_batch(images.numpy(), size))  # type: ignore[arg-type]
    return images.contiguous()


def nearest_pixels(
    queries: torch.Tensor, pool: torch.Tensor, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(distances, indices), each (len(queries), k), closest first: the ``k`` pool images
    nearest to each query in pixel space (pool brought to the queries' shape, block by block)."""
    shape = tuple(queries.shape[1:])
    q = queries.reshape(len(queries), -1).numpy().astype(np.float64)
    step = max(1, BLOCK_ENTRIES // max(1, q.shape[1]))
    best_d = np.empty((len(q), 0))
    best_i = np.empty((len(q), 0), dtype=np.int64)
    for start in range(0, len(pool), step):
        block = like(pool[start : start + step], shape)
        d, i = nearest(q, block.reshape(len(block), -1).numpy().astype(np.float64), k)
        best_d, best_i = np.hstack([best_d, d]), np.hstack([best_i, i + start])
        order = np.argsort(best_d, axis=1, kind="stable")[:, :k]
        best_d = np.take_along_axis(best_d, order, axis=1)
        best_i = np.take_along_axis(best_i, order, axis=1)
    return best_d, best_i


def neighbour_figures(
    fake_images: torch.Tensor,
    real_images: torch.Tensor,
    fake_features: np.ndarray,
    real_features: np.ndarray,
    stem: Path,
    *,
    k: int = 5,
    rows: int = 8,
    space: Space = "pixels",
    seed: int = 0,
) -> dict[str, Path]:
    """Both figures for uint8 NCHW images: ``<stem>-nearest.png`` (the first ``rows`` generated
    images, each with its ``k`` nearest real ones) and ``<stem>-nearest-generated.png`` (``rows``
    real images drawn with ``seed``, each with its ``k`` nearest generated ones); in feature
    space the names end in ``-features.png``."""
    if space not in ("pixels", "features"):
        raise GanforgeError(f"nn: space must be pixels or features, got {space!r}")
    shape = tuple(fake_images.shape[1:])
    scale = max(1, 48 // max(fake_images.shape[2:]))
    fakes = np.arange(min(rows, len(fake_images)))
    reals = np.random.default_rng(seed).choice(len(real_images), min(rows, len(real_images)), False)
    reals.sort()
    if space == "pixels":
        _, to_real = nearest_pixels(fake_images[fakes], real_images, k)
        real_rows = like(real_images[torch.as_tensor(reals)], shape)
        _, to_fake = nearest_pixels(real_rows, fake_images, k)
    else:
        _, to_real = nearest(fake_features[fakes], real_features, k)
        _, to_fake = nearest(real_features[reals], fake_features, k)
        real_rows = like(real_images[torch.as_tensor(reals)], shape)
    used = np.unique(to_real)  # only the real images shown are brought to the fakes' shape
    shown, to_shown = (
        like(real_images[torch.as_tensor(used)], shape),
        np.searchsorted(used, to_real),
    )
    end = ".png" if space == "pixels" else "-features.png"
    return {
        "generated_to_real": neighbour_grid(
            fake_images[fakes], shown, to_shown, f"{stem}-nearest{end}", scale, "gen"
        ),
        "real_to_generated": neighbour_grid(
            real_rows, fake_images, to_fake, f"{stem}-nearest-generated{end}", scale, "real"
        ),
    }
