"""MNIST from its IDX files in a local directory; optional checksummed download."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from ganforge.data.base import DataInfo, ImageArrayDataset, Split, channels_to
from ganforge.data.download import cache_dir, download
from ganforge.data.images import as_size, resize_batch
from ganforge.errors import DataError
from ganforge.registry import DATASETS

MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
FILES = {  # name -> md5 of the .gz file
    "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
}
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Parse an IDX file (optionally gzipped) into an array, validating its header."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path} is not a readable IDX file ({exc})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number)")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    dtype = np.dtype(_DTYPES[data[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    body = data[4 + 4 * ndim :]
    if len(body) != expected:
        raise DataError(f"{path}: truncated IDX file ({len(body)} of {expected} bytes)")
    return np.frombuffer(body, dtype=dtype).reshape(dims)


def default_root() -> Path:
    """Where MNIST is looked for when no root is given."""
    return cache_dir("datasets", "mnist")


def _find(root: Path, stem: str, fetch: bool) -> Path:
    for candidate in (root / stem, root / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    if fetch:
        return download(MIRROR + f"{stem}.gz", root / f"{stem}.gz", md5=FILES[stem])
    raise DataError(
        f"MNIST file {stem}(.gz) not found in {root}. Put the IDX files there, point "
        f"data.path at the folder that holds them, or set data.download=true to fetch them "
        f"(needs a network; md5-checked)."
    )


@DATASETS.register("mnist", kind="image")
def mnist(
    *,
    path: str | None = None,
    size: int | tuple[int, int] = 28,
    channels: int = 1,
    split: Split = "train",
    download: bool = False,
    limit: int | None = None,
) -> ImageArrayDataset:
    """MNIST handwritten digits (10 classes) from local IDX files; download=true fetches them."""
    folder = Path(path).expanduser() if path else default_root()
    prefixes = {"train": ["train"], "test": ["t10k"], "all": ["train", "t10k"]}[split]
    images, labels = [], []
    for prefix in prefixes:
        images.append(read_idx(_find(folder, f"{prefix}-images-idx3-ubyte", download)))
        labels.append(read_idx(_find(folder, f"{prefix}-labels-idx1-ubyte", download)))
    x = np.concatenate(images)[:limit, None].astype(np.uint8)
    y = np.concatenate(labels)[:limit].astype(np.int64)
    if len(x) != len(y):
        raise DataError(f"MNIST in {folder}: {len(x)} images but {len(y)} labels")
    x = channels_to(resize_batch(x, as_size(size)), channels)
    info = DataInfo(
        "mnist",
        "image",
        tuple(x.shape[1:]),
        len(x),
        n_classes=10,
        class_names=[str(i) for i in range(10)],
    )
    return ImageArrayDataset(x, y, info)
