"""Datasets held in memory: uint8 images (NCHW) or float points, with optional labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch

from ganforge.errors import DataError

Split = Literal["train", "test", "all"]
HELD_OUT_FRACTION = 0.2


@dataclass
class DataInfo:
    """What a model and a metric need to know about a dataset."""

    name: str
    kind: Literal["image", "points", "paired", "unpaired"]
    shape: tuple[int, ...]  # one sample: (C, H, W) for images, (D,) for points
    count: int
    n_classes: int = 0
    class_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. skipped files, for the run log
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. toy mixture means and std

    @property
    def channels(self) -> int:
        """Image channels (or the point dimension)."""
        return self.shape[0]

    @property
    def size(self) -> tuple[int, int]:
        """Image (height, width)."""
        if len(self.shape) != 3:
            raise DataError(f"dataset {self.name!r} holds {self.kind}, not images")
        return (self.shape[1], self.shape[2])


class Dataset:
    """Base class: ``get(indices)`` returns a batch dict of tensors."""

    info: DataInfo

    def __len__(self) -> int:
        return self.info.count

    def get(self, index: torch.Tensor) -> dict[str, torch.Tensor]:
        """The samples at ``index`` as a batch dict (``x`` in [-1, 1], ``y`` labels if any)."""
        raise NotImplementedError

    def real_uint8(self, index: torch.Tensor) -> torch.Tensor:
        """Images at ``index`` as uint8 NCHW, for metrics."""
        raise DataError(f"dataset {self.info.name!r} has no images")


def image_batch(
    images: torch.Tensor, labels: torch.Tensor | None, index: torch.Tensor, flip: bool
) -> dict[str, torch.Tensor]:
    """A batch dict from uint8 images: ``x`` in [-1, 1] (randomly mirrored), ``y`` if labelled."""
    x = images.float().div_(127.5).sub_(1.0)
    if flip:
        mirror = torch.rand(len(x)) < 0.5
        x[mirror] = x[mirror].flip(-1)
    batch = {"x": x}
    if labels is not None:
        batch["y"] = labels[index]
    return batch


class ImageArrayDataset(Dataset):
    """uint8 NCHW images in memory with optional int64 labels and optional horizontal flips."""

    def __init__(
        self,
        images: np.ndarray | torch.Tensor,
        labels: np.ndarray | torch.Tensor | None,
        info: DataInfo,
        flip: bool = False,
    ) -> None:
        images = torch.as_tensor(images)
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise DataError(f"{info.name}: expected uint8 NCHW images, got {images.dtype}")
        if len(images) == 0:
            raise DataError(f"{info.name}: the dataset is empty")
        self.images = images.contiguous()
        self.labels = None if labels is None else torch.as_tensor(labels, dtype=torch.int64)
        if self.labels is not None and len(self.labels) != len(self.images):
            raise DataError(f"{info.name}: {len(self.labels)} labels for {len(images)} images")
        self.info = info
        self.info.count = len(images)
        self.flip = flip

    def real_uint8(self, index: torch.Tensor) -> torch.Tensor:
        """Images at ``index`` as uint8 NCHW."""
        return self.images[index]

    def get(self, index: torch.Tensor) -> dict[str, torch.Tensor]:
        """Images scaled to [-1, 1] (randomly mirrored when ``flip``) and labels."""
        return image_batch(self.images[index], self.labels, index, self.flip)


class PointDataset(Dataset):
    """Float points (N, D) in memory, for the 2-D toy benchmarks."""

    def __init__(self, points: np.ndarray | torch.Tensor, info: DataInfo) -> None:
        self.points = torch.as_tensor(points, dtype=torch.float32).contiguous()
        self.info = info
        self.info.count = len(self.points)

    def get(self, index: torch.Tensor) -> dict[str, torch.Tensor]:
        """The points at ``index``."""
        return {"x": self.points[index]}


def split_indices(n: int, split: Split, seed: int = 1234) -> np.ndarray:
    """A fixed held-out split for datasets without an official one (20% test)."""
    if split == "all":
        return np.arange(n)
    order = np.random.default_rng(seed).permutation(n)
    n_test = round(n * HELD_OUT_FRACTION)
    chosen = order[:n_test] if split == "test" else order[n_test:]
    return np.sort(chosen)


def channels_to(images: np.ndarray, channels: int) -> np.ndarray:
    """Convert uint8 NCHW between 1 and 3 channels (ITU-R 601 luma for RGB to gray)."""
    c = images.shape[1]
    if c == channels:
        return images
    if c == 1 and channels == 3:
        return np.repeat(images, 3, axis=1)
    if c == 3 and channels == 1:
        weights = np.array([0.299, 0.587, 0.114]).reshape(1, 3, 1, 1)
        return np.round((images * weights).sum(1, keepdims=True)).astype(np.uint8)
    raise DataError(f"cannot convert {c}-channel images to {channels} channels")
