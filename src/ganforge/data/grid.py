"""Sample grids: tile uint8 images into one PNG, optionally with a caption under each cell."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Map float images in [-1, 1] to uint8 [0, 255] (NCHW), rounding to nearest."""
    return ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu()


def make_grid(
    images: torch.Tensor | np.ndarray,
    nrow: int | None = None,
    padding: int = 2,
    labels: Sequence[str] | None = None,
    pad_value: int = 255,
    scale: int = 1,
) -> Image.Image:
    """Tile uint8 NCHW images (1 or 3 channels) into a PIL image, labels under the cells."""
    array = images.numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if array.dtype != np.uint8:
        raise TypeError(f"make_grid expects uint8 images, got {array.dtype}")
    if array.ndim != 4:
        raise ValueError(f"make_grid expects NCHW images, got shape {array.shape}")
    if scale > 1:
        array = array.repeat(scale, axis=2).repeat(scale, axis=3)
    n, c, h, w = array.shape
    if labels is not None and len(labels) != n:
        raise ValueError(f"{len(labels)} labels for {n} images")
    ncol = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / ncol))
    caption = 12 if labels is not None else 0
    cell_h, cell_w = h + padding + caption, w + padding
    canvas = np.full((rows * cell_h + padding, ncol * cell_w + padding, 3), pad_value, np.uint8)
    for i in range(n):
        r, col = divmod(i, ncol)
        tile = array[i].transpose(1, 2, 0)
        if c == 1:
            tile = np.repeat(tile, 3, axis=2)
        y, x = padding + r * cell_h, padding + col * cell_w
        canvas[y : y + h, x : x + w] = tile
    image = Image.fromarray(canvas)
    if labels is not None:
        draw = ImageDraw.Draw(image)
        font = ImageFont.load_default()
        for i, text in enumerate(labels):
            r, col = divmod(i, ncol)
            y, x = padding + r * cell_h + h, padding + col * cell_w
            draw.text((x + 1, y), str(text)[: max(1, w // 6)], fill=(0, 0, 0), font=font)
    return image


def save_grid(images: torch.Tensor | np.ndarray, path: str | Path, **kwargs: object) -> Path:
    """Write a grid PNG (see make_grid) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    make_grid(images, **kwargs).save(tmp, format="PNG")  # type: ignore[arg-type]
    tmp.replace(path)
    return path
