"""Datasets (registry), image I/O, grids and the resumable batch stream."""

from __future__ import annotations

from typing import Any

from ganforge.data import (  # noqa: F401  (registration)
    arrays,
    digit_shapes,
    digits,
    folder,
    mnist,
    paired,
    photo_colour,
    toy,
    unpaired,
)
from ganforge.data.base import DataInfo, Dataset
from ganforge.data.stream import BatchStream
from ganforge.registry import DATASETS


def build_dataset(name: str, params: dict[str, Any]) -> Dataset:
    """Build the dataset registered under ``name`` with validated parameters."""
    return DATASETS.get(name)(**params)


__all__ = ["BatchStream", "DataInfo", "Dataset", "build_dataset"]
