"""Array datasets: ``.npz`` files and the CIFAR-10 python batches."""

from __future__ import annotations

import pickle
import tarfile
import zipfile
from pathlib import Path

import numpy as np

from ganforge.data.base import DataInfo, ImageArrayDataset, Split, channels_to, split_indices
from ganforge.data.download import cache_dir, download
from ganforge.data.images import as_size, resize_batch
from ganforge.errors import DataError
from ganforge.registry import DATASETS


def images_to_nchw_uint8(array: np.ndarray, where: str) -> np.ndarray:
    """Accept NHW, NHWC or NCHW, uint8 or float in [0, 1] / [-1, 1]; return uint8 NCHW."""
    array = np.asarray(array)
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4:
        raise DataError(f"{where}: expected images of shape N,H,W[,C], got {array.shape}")
    if array.shape[1] not in (1, 3) and array.shape[-1] in (1, 3, 4):
        array = array.transpose(0, 3, 1, 2)
    if array.shape[1] == 4:
        array = array[:, :3]
    if array.shape[1] not in (1, 3):
        raise DataError(f"{where}: images need 1 or 3 channels, got shape {array.shape}")
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if np.issubdtype(array.dtype, np.floating):
        lo, hi = float(array.min()), float(array.max())
        if lo >= -1.0 - 1e-6 and hi <= 1.0 + 1e-6:
            scaled = (array + 1) * 127.5 if lo < 0 else array * 255.0
        else:
            scaled = array
        return np.clip(np.round(scaled), 0, 255).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        if array.max() > 255 or array.min() < 0:
            raise DataError(f"{where}: integer images must lie in [0, 255]")
        return array.astype(np.uint8)
    raise DataError(f"{where}: unsupported image dtype {array.dtype}")


def read_npz(
    file: Path, images_key: str = "images", labels_key: str | None = "labels"
) -> tuple[np.ndarray, np.ndarray | None]:
    """uint8 NCHW images and optional int64 labels from an .npz; anything else is a one-line
    DataError naming what was expected."""
    try:
        with np.load(file, allow_pickle=False) as data:
            if not hasattr(data, "files"):
                raise ValueError("a single .npy array, not an .npz archive")
            if images_key not in data:
                raise DataError(
                    f"{file}: no array {images_key!r}; it has {sorted(data.files)} (set "
                    "data.images_key / data.labels_key to the names of the images and labels)"
                )
            images = images_to_nchw_uint8(data[images_key], str(file))
            has_labels = bool(labels_key) and labels_key in data
            labels = np.asarray(data[labels_key]).reshape(-1) if has_labels else None
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        hint = " (an HDF5 file? use data.name=hdf5)" if _is_hdf5(file) else ""
        raise DataError(
            f"{file} is not a readable .npz of images{hint}: expected numpy.savez arrays "
            f"{images_key!r} (N,H,W[,C] or NCHW) and optional {labels_key!r} ({exc})"
        ) from None
    if labels is not None:
        whole = labels.dtype.kind in "iu" or (
            labels.dtype.kind == "f" and bool(np.all(np.mod(labels, 1) == 0))
        )
        if not whole or len(labels) != len(images):
            raise DataError(
                f"{file}: {labels_key!r} must hold one integer class per image "
                f"({len(images)} images; got {labels.dtype} of length {len(labels)})"
            )
        labels = labels.astype(np.int64)
    return images, labels


def _is_hdf5(file: Path) -> bool:
    with open(file, "rb") as handle:
        return handle.read(8) == b"\x89HDF\r\n\x1a\n"


@DATASETS.register("npz", kind="image")
def npz(
    *,
    path: str,
    images_key: str = "images",
    labels_key: str | None = "labels",
    size: int | tuple[int, int] | None = None,
    channels: int | None = None,
    split: Split = "all",
    flip: bool = False,
    limit: int | None = None,
) -> ImageArrayDataset:
    """Images (N,H,W[,C] or NCHW; uint8 or float) and optional labels from a .npz file."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(
            f"npz file {file} does not exist (create one from photos with "
            "`ganforge prepare faces DIR --out FILE.npz`, or save images with numpy.savez)"
        )
    images, labels = read_npz(file, images_key, labels_key)
    keep = split_indices(len(images), split)[:limit]
    images = images[keep]
    labels = None if labels is None else labels[keep]
    if size is not None:
        images = resize_batch(images, as_size(size))
    if channels is not None:
        images = channels_to(images, channels)
    n_classes = int(labels.max()) + 1 if labels is not None and len(labels) else 0
    info = DataInfo(f"npz:{file.stem}", "image", tuple(images.shape[1:]), len(images), n_classes)
    info.extra["native_size"] = size is None  # metrics record whether images were resized
    return ImageArrayDataset(images, labels, info, flip=flip)


CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR_CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles the CIFAR batch format (dicts, lists, NumPy arrays) and refuses anything else,
    so a tampered batch file cannot run code."""

    ALLOWED = frozenset(
        {
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            # protocol-2 pickles written by Python 3 spell bytes as _codecs.encode(text, "latin1")
            ("_codecs", "encode"),
        }
    )

    def find_class(self, module: str, name: str) -> type:
        """Only NumPy's array reconstruction is allowed."""
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise DataError(f"CIFAR-10 batch refers to {module}.{name}: not a CIFAR-10 batch file")


CIFAR_EXPECTED = "a CIFAR-10 python batch (a pickled dict with b'data' and b'labels')"


def read_cifar_batch(file: Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch: uint8 images (N, 3, 32, 32) and int64 labels (N,)."""
    try:
        with open(file, "rb") as handle:
            batch = _ArrayUnpickler(handle, encoding="bytes").load()
        images = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(batch[b"labels"], dtype=np.int64).reshape(-1)
    except DataError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise DataError(f"{file} is not {CIFAR_EXPECTED} ({type(exc).__name__})") from None
    if len(images) != len(labels):
        raise DataError(f"{file}: {len(images)} images but {len(labels)} labels")
    return images, labels


def find_cifar_folder(root: Path) -> Path | None:
    """The folder holding CIFAR-10's python batches: ``root`` or its cifar-10-batches-py."""
    for candidate in (root, root / "cifar-10-batches-py"):
        if (candidate / "data_batch_1").is_file() or (candidate / "test_batch").is_file():
            return candidate
    return None


def _cifar_folder(root: Path, fetch: bool) -> Path:
    found = find_cifar_folder(root)
    if found is not None:
        return found
    if fetch:
        archive = download(CIFAR_URL, root / "cifar-10-python.tar.gz", md5=CIFAR_MD5)
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(root, filter="data")
            else:  # Python without extraction filters: refuse unsafe member paths ourselves
                for member in tar.getmembers():
                    if member.name.startswith(("/", "..")) or ".." in Path(member.name).parts:
                        raise DataError(f"unsafe path {member.name!r} in {archive}")
                tar.extractall(root)
        return root / "cifar-10-batches-py"
    raise DataError(
        f"CIFAR-10 python batches not found in {root}. Put the extracted cifar-10-batches-py "
        "folder there, point data.path at it, or set data.download=true (needs a network)."
    )


@DATASETS.register("cifar10", kind="image")
def cifar10(
    *,
    path: str | None = None,
    split: Split = "train",
    size: int | tuple[int, int] = 32,
    download: bool = False,
    flip: bool = False,
    limit: int | None = None,
) -> ImageArrayDataset:
    """CIFAR-10 (10 classes, 32x32 RGB) from the python batch files; download=true fetches them."""
    base = _cifar_folder(
        Path(path).expanduser() if path else cache_dir("datasets", "cifar10"), download
    )
    names = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
    names["all"] = names["train"] + names["test"]
    images, labels = [], []
    for name in names[split]:
        file = base / name
        if not file.is_file():
            raise DataError(f"CIFAR-10 batch {file} is missing")
        x, y = read_cifar_batch(file)
        images.append(x)
        labels.append(y)
    x, y = np.concatenate(images)[:limit], np.concatenate(labels)[:limit]
    x = resize_batch(x, as_size(size))
    info = DataInfo("cifar10", "image", tuple(x.shape[1:]), len(x), 10, list(CIFAR_CLASSES))
    return ImageArrayDataset(x, y, info, flip=flip)
