"""Datasets (registry), image I/O, grids and the resumable batch stream."""

from __future__ import annotations

import logging
from typing import Any

from ganforge.data import (  # noqa: F401  (registration)
    arrays,
    digit_shapes,
    digits,
    folder,
    hdf5,
    mnist,
    paired,
    photo_colour,
    toy,
    unpaired,
)
from ganforge.data.base import DataInfo, Dataset
from ganforge.data.stream import BatchStream
from ganforge.registry import DATASETS

log = logging.getLogger(__name__)


def build_dataset(name: str, params: dict[str, Any]) -> Dataset:
    """Build the dataset registered under ``name`` with validated parameters; its notes (what
    was skipped, in one line each) are logged as warnings, so every command shows them."""
    dataset = DATASETS.get(name)(**params)
    for note in dataset.info.notes:
        log.warning("data: %s", note)
    return dataset


__all__ = ["BatchStream", "DataInfo", "Dataset", "build_dataset"]
