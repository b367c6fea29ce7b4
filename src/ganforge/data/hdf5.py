"""BigGAN-PyTorch's HDF5 layout (``imgs``: uint8 N x 3 x H x W, ``labels``: N), read per batch.

An ImageNet-128 file is about 60 GB, so only the labels are read up front; each batch reads its
images from the file (indices sorted, as h5py needs). Each process opens the file itself, so
DataLoader workers never share an HDF5 handle. Needs h5py: ``pip install 'ganforge[hdf5]'``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.data.base import DataInfo, Dataset, Split, channels_to, image_batch, split_indices
from ganforge.data.images import as_size, resize_batch
from ganforge.errors import DataError
from ganforge.registry import DATASETS

INSTALL_H5PY = "reading HDF5 files needs h5py: pip install 'ganforge[hdf5]'"
EXPECTED = "BigGAN-PyTorch's layout: 'imgs' (uint8, N x C x H x W) and optional 'labels' (N,)"


def _h5py() -> Any:
    try:
        import h5py
    except ImportError:
        raise DataError(INSTALL_H5PY) from None
    return h5py


def _open(path: Path) -> Any:
    """The file opened read-only, or a DataError saying it is not HDF5."""
    h5py = _h5py()
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise DataError(
            f"{path} is not a readable HDF5 file ({exc}); expected {EXPECTED}"
        ) from None


class HDF5Dataset(Dataset):
    """Images read from an HDF5 dataset batch by batch; labels held in memory."""

    def __init__(
        self,
        path: Path,
        images_key: str,
        rows: np.ndarray,
        labels: np.ndarray | None,
        size: tuple[int, int] | None,
        channels: int | None,
        info: DataInfo,
        flip: bool,
    ) -> None:
        self.path, self.images_key, self.rows = path, images_key, rows
        self.labels = None if labels is None else torch.as_tensor(labels, dtype=torch.int64)
        self.size, self.channels, self.info, self.flip = size, channels, info, flip
        self._file: Any = None
        self._pid = -1

    def _images(self) -> Any:
        if self._file is None or self._pid != os.getpid():
            self._file = _open(self.path)
            self._pid = os.getpid()
        return self._file[self.images_key]

    def real_uint8(self, index: torch.Tensor) -> torch.Tensor:
        """The images at ``index`` as uint8 NCHW, read from the file."""
        wanted = self.rows[np.asarray(index, dtype=np.int64).reshape(-1)]
        unique, inverse = np.unique(wanted, return_inverse=True)
        images = np.asarray(self._images()[unique.tolist()])[inverse]
        if images.shape[-1] in (1, 3) and images.shape[1] not in (1, 3):
            images = images.transpose(0, 3, 1, 2)
        if self.size is not None:
            images = resize_batch(images, self.size)
        if self.channels is not None:
            images = channels_to(images, self.channels)
        return torch.from_numpy(np.ascontiguousarray(images))

    def get(self, index: torch.Tensor) -> dict[str, torch.Tensor]:
        """Images in [-1, 1] (randomly mirrored when ``flip``) and labels."""
        return image_batch(self.real_uint8(index), self.labels, index, self.flip)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_file": None, "_pid": -1}


def _image_shape(path: Path, images: Any) -> tuple[int, int, int]:
    """(C, H, W) of an HDF5 image dataset: uint8, NCHW (BigGAN-PyTorch) or NHWC."""
    shape = tuple(images.shape)
    if images.dtype != np.uint8 or len(shape) != 4 or shape[0] == 0:
        raise DataError(
            f"{path}: {images.name!r} holds {images.dtype} of shape {shape}; expected {EXPECTED}"
        )
    if shape[1] in (1, 3):
        return shape[1], shape[2], shape[3]
    if shape[3] in (1, 3):
        return shape[3], shape[1], shape[2]
    raise DataError(f"{path}: {images.name!r} has shape {shape}; images need 1 or 3 channels")


@DATASETS.register("hdf5", kind="image")
def hdf5(
    *,
    path: str,
    images_key: str = "imgs",
    labels_key: str | None = "labels",
    size: int | tuple[int, int] | None = None,
    channels: int | None = None,
    split: Split = "all",
    flip: bool = False,
    limit: int | None = None,
) -> HDF5Dataset:
    """BigGAN-PyTorch's HDF5 file (imgs uint8 NCHW, labels), read lazily per batch (needs h5py)."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(
            f"HDF5 file {file} does not exist (BigGAN-PyTorch's make_hdf5.py writes one; "
            f"{EXPECTED})"
        )
    if channels not in (None, 1, 3):
        raise DataError(f"data.channels must be 1 or 3, got {channels}")
    with _open(file) as handle:
        if images_key not in handle or not hasattr(handle[images_key], "shape"):
            raise DataError(
                f"{file}: no dataset {images_key!r}; it has {sorted(handle.keys())}. Expected "
                f"{EXPECTED} (or set data.images_key / data.labels_key)"
            )
        shape = _image_shape(file, handle[images_key])
        count = handle[images_key].shape[0]
        labels = None
        if labels_key and labels_key in handle:
            labels = np.asarray(handle[labels_key][:]).reshape(-1)
            if labels.dtype.kind not in "iu" or len(labels) != count:
                raise DataError(
                    f"{file}: {labels_key!r} must hold one integer class per image "
                    f"({count} images; got {labels.dtype} of length {len(labels)})"
                )
    rows = split_indices(count, split)[:limit]
    kept = None if labels is None else labels[rows].astype(np.int64)
    hw = None if size is None else as_size(size)
    out_shape = (channels or shape[0], *(hw or shape[1:]))
    n_classes = int(labels.max()) + 1 if labels is not None else 0
    info = DataInfo(f"hdf5:{file.stem}", "image", out_shape, len(rows), n_classes)
    info.extra["native_size"] = size is None  # metrics record whether images were resized
    if not len(rows):
        raise DataError(f"{file}: the {split} split is empty")
    return HDF5Dataset(file, images_key, rows, kept, hw, channels, info, flip)
