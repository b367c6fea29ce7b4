"""Qualitative check for memorisation: each generated image beside its closest real images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganforge.data.grid import save_grid


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
