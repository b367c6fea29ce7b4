"""Nearest-neighbour distances in feature space, computed block by block (bounded memory).

Each function centres its inputs once (``kernels.centred``) so that distances keep their
precision far from the origin.
"""

from __future__ import annotations

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.kernels import block_rows, centred, squared_distances


def distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Euclidean distances between all rows of ``x`` and ``y``."""
    return _distances(*centred(x, y))


def _distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Distances between rows already centred together (one block of a larger computation)."""
    return np.sqrt(squared_distances(x, y))


def kth_neighbour_distances(x: np.ndarray, k: int) -> np.ndarray:
    """For each row, the distance to its k-th nearest other row (the row itself excluded)."""
    if not 1 <= k < len(x):
        raise GanforgeError(f"k={k} nearest neighbours needs more than {k} samples (got {len(x)})")
    (x,) = centred(x)
    out = np.empty(len(x))
    rows_per = block_rows(len(x))
    for start in range(0, len(x), rows_per):
        block = _distances(x[start : start + rows_per], x)
        rows = np.arange(len(block))
        block[rows, start + rows] = np.inf
        out[start : start + len(block)] = np.partition(block, k - 1, axis=1)[:, k - 1]
    return out


def nearest(x: np.ndarray, y: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(distances, indices), each (len(x), k) and closest first, of the k nearest rows of y."""
    k = min(k, len(y))
    x, y = centred(x, y)
    dist = np.empty((len(x), k))
    index = np.empty((len(x), k), dtype=np.int64)
    rows_per = block_rows(len(y))
    for start in range(0, len(x), rows_per):
        block = _distances(x[start : start + rows_per], y)
        part = np.argpartition(block, k - 1, axis=1)[:, :k] if k < len(y) else np.argsort(block, 1)
        part_d = np.take_along_axis(block, part, axis=1)
        order = np.argsort(part_d, axis=1)
        dist[start : start + len(block)] = np.take_along_axis(part_d, order, axis=1)
        index[start : start + len(block)] = np.take_along_axis(part, order, axis=1)
    return dist, index


def ball_counts(
    points: np.ndarray, centres: np.ndarray, radii: np.ndarray, strict: bool = False
) -> np.ndarray:
    """For each point, how many balls B(centre_j, radius_j) contain it (closed unless strict)."""
    points, centres = centred(points, centres)
    counts = np.empty(len(points), dtype=np.int64)
    rows_per = block_rows(len(centres))
    for start in range(0, len(points), rows_per):
        block = _distances(points[start : start + rows_per], centres)
        inside = block < radii[None, :] if strict else block <= radii[None, :]
        counts[start : start + len(block)] = inside.sum(axis=1)
    return counts
