"""A directory of images: recursive scan, corrupt files skipped and reported, resize + crop
(or each image at its own size, which must then be the same for all)."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ganforge.data.base import (
    DataInfo,
    Dataset,
    ImageArrayDataset,
    Split,
    image_batch,
    split_indices,
)
from ganforge.data.folder_scan import skip_summary, walk_images
from ganforge.data.images import (
    DEFAULT_MAX_PIXELS,
    IMAGE_EXTENSIONS,
    as_size,
    load_image,
    resize_center_crop,
)
from ganforge.data.zipped import EXPECTED as ZIP_EXPECTED
from ganforge.data.zipped import ZipImages, ZipMember, is_zip
from ganforge.errors import DataError
from ganforge.registry import DATASETS

log = logging.getLogger(__name__)


def list_images(root: Path) -> list[Path]:
    """Image files under ``root`` (recursive, hidden files skipped), in a stable order."""
    return _scan_folder(root)[0]


def _scan_folder(root: Path) -> tuple[list[Path], list[Path]]:
    """Image files under ``root`` and the sub-folders that could not be read."""
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist or is not a directory")
    files, unreadable = walk_images(root)
    if root in unreadable:
        raise DataError(f"image folder {root} cannot be read (permission denied?)")
    return files, unreadable


def class_labels(root: Path, files: list[Path]) -> tuple[list[int], list[str]]:
    """Labels from the first sub-folder under ``root``; files directly in root are an error."""
    names = sorted(
        {f.relative_to(root).parts[0] for f in files if len(f.relative_to(root).parts) > 1}
    )
    loose = [f for f in files if len(f.relative_to(root).parts) == 1]
    if loose:
        raise DataError(
            f"labels=true needs every image inside a class sub-folder of {root}; "
            f"{len(loose)} are directly in it (e.g. {loose[0].name})"
        )
    index = {n: i for i, n in enumerate(names)}
    return [index[f.relative_to(root).parts[0]] for f in files], names


def _decode(
    path: Path | ZipMember,
    size: tuple[int, int] | None,
    channels: int,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> np.ndarray | str:
    try:
        image = load_image(
            path.open() if isinstance(path, ZipMember) else path, channels, max_pixels
        )
        return image if size is None else resize_center_crop(image, size)
    except Exception as exc:  # any decoder failure means a corrupt or unsupported file
        return f"{type(exc).__name__}: {exc}"


def scan_and_load(
    files: Sequence[Any],
    size: tuple[int, int] | None,
    channels: int,
    progress: bool = True,
    decode: Callable[[Any], np.ndarray] | None = None,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> tuple[list[np.ndarray], list[int], list[tuple[Any, str]]]:
    """Decode every file once (threads); return images, kept positions and (path, reason) skips.

    ``size`` None keeps every image at its own size (no resize, no crop).
    ``decode`` replaces the default (load, resize and crop one file) for other layouts, e.g. a
    pair of files or one side-by-side image; any exception it raises marks the item as skipped.
    """
    images, kept, skipped = [], [], []
    workers = min(8, os.cpu_count() or 1)

    def run(item: Any) -> np.ndarray | str:
        if decode is None:
            return _decode(item, size, channels, max_pixels)
        try:
            return decode(item)
        except Exception as exc:  # a corrupt or unsupported file is reported, not fatal
            return f"{type(exc).__name__}: {exc}"

    with ThreadPoolExecutor(workers) as pool:
        results = pool.map(run, files)
        bar = tqdm(
            results,
            total=len(files),
            desc="scanning images",
            disable=not progress,
            unit="img",
            leave=False,
        )
        for i, result in enumerate(bar):
            if isinstance(result, str):
                skipped.append((files[i], result))
            else:
                images.append(result)
                kept.append(i)
    return images, kept, skipped


SIZES_LISTED = 8  # a folder of photos may hold hundreds of sizes: name the commonest few


def _shown(item: Path | ZipMember, root: Path) -> str:
    """A file's name as a user knows it: relative to the folder, or its name in the zip."""
    return item.name if isinstance(item, ZipMember) else str(item.relative_to(root))


def common_size(
    images: Sequence[np.ndarray], files: Sequence[Path | ZipMember], root: Path
) -> tuple[int, int]:
    """The one (height, width) of images kept at their own size; mixed sizes are an error that
    lists them (commonest first, with a file of each)."""
    sizes = [(image.shape[0], image.shape[1]) for image in images]
    counts = Counter(sizes)
    if len(counts) == 1:
        return sizes[0]
    example: dict[tuple[int, int], Path | ZipMember] = {}
    for found, path in zip(sizes, files):
        example.setdefault(found, path)
    listed = [
        f"{h}x{w} ({n} file{'s' if n > 1 else ''}, e.g. {_shown(example[(h, w)], root)})"
        for (h, w), n in counts.most_common(SIZES_LISTED)
    ]
    more = len(counts) - SIZES_LISTED
    tail = f" and {more} more size(s)" if more > 0 else ""
    raise DataError(
        f"images under {root} have {len(counts)} different sizes (height x width): "
        f"{'; '.join(listed)}{tail}. Give a size to resize them all (bicubic, covering it, then "
        f"a centre crop), e.g. --size 64 or folder:path={root}:size=64"
    )


class LazyFolderDataset(Dataset):
    """Decodes files on demand (for folders too large to hold in memory)."""

    def __init__(
        self,
        files: list[Path] | list[ZipMember],
        labels: list[int] | None,
        size: tuple[int, int],
        channels: int,
        info: DataInfo,
        flip: bool,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
    ) -> None:
        self.files, self.size, self.channels, self.info, self.flip = (
            files,
            size,
            channels,
            info,
            flip,
        )
        self.max_pixels = max_pixels
        self.labels = None if labels is None else torch.tensor(labels, dtype=torch.int64)

    def real_uint8(self, index: torch.Tensor) -> torch.Tensor:
        """Decode the images at ``index`` (a file that went bad since the scan is replaced)."""
        out = []
        for i in index.tolist():
            result = _decode(self.files[i], self.size, self.channels, self.max_pixels)
            if isinstance(result, str):
                log.warning("skipping %s during training: %s", self.files[i], result)
                other = self.files[(i + 1) % len(self.files)]
                result = _decode(other, self.size, self.channels, self.max_pixels)
            out.append(torch.from_numpy(np.array(result.transpose(2, 0, 1))))
        return torch.stack(out)

    def get(self, index: torch.Tensor) -> dict[str, torch.Tensor]:
        """Decoded images in [-1, 1] (optionally mirrored) and labels."""
        return image_batch(self.real_uint8(index), self.labels, index, self.flip)


def _zip_items(base: Path, labels: bool) -> tuple[list[ZipMember], list[int], list[str]]:
    """The images of a stylegan2-ada zip, and with ``labels`` its dataset.json classes."""
    archive = ZipImages(base)
    files = [ZipMember(archive, name) for name in archive.names]
    if not files:
        raise DataError(
            f"no images in {base} (extensions: {sorted(IMAGE_EXTENSIONS)}); expected {ZIP_EXPECTED}"
        )
    if not labels:
        return files, [], []
    found = archive.labels()
    if found is None:
        raise DataError(
            f"labels=true needs class labels in {base}'s dataset.json "
            '({"labels": [["00000/img00000000.png", 6], ...]}); this zip has none'
        )
    return files, found, [str(i) for i in range(max(found) + 1)]


def _folder_items(base: Path, labels: bool) -> tuple[list[Path], list[int], list[str], list[Path]]:
    """The images under a folder, their class labels (with ``labels``), unreadable sub-folders."""
    files, unreadable = _scan_folder(base)
    if not files:
        unread = f"; {len(unreadable)} sub-folder(s) could not be read" if unreadable else ""
        raise DataError(
            f"no images found under {base} (extensions: {sorted(IMAGE_EXTENSIONS)}){unread}"
        )
    target, names = class_labels(base, files) if labels else ([], [])
    return files, target, names, unreadable


@DATASETS.register("folder", kind="image")
def folder(
    *,
    path: str,
    size: int | tuple[int, int] | None = 64,
    channels: int = 3,
    labels: bool = False,
    split: Split = "all",
    flip: bool = False,
    in_memory: bool = True,
    limit: int | None = None,
    progress: bool = True,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> Dataset:
    """A folder of images or a stylegan2-ada dataset zip; labels: sub-folders or dataset.json.

    With ``labels``, a folder's first-level sub-folders are the classes; a zip's classes are
    those of its dataset.json. Corrupt files, and images over ``max_pixels`` (8192 x 8192 by
    default; null: no limit), are skipped and counted.

    ``size``: resize each image to cover it and centre-crop; None keeps each image at its own
    size (what metrics use), which must then be the same for all images.
    """
    if channels not in (1, 3):
        raise DataError(f"data.channels must be 1 or 3, got {channels}")
    base = Path(path).expanduser()
    unreadable: list[Path] = []
    if base.is_file():
        if not is_zip(base):
            raise DataError(
                f"{base} is a file, not a folder of images or a .zip; expected a directory "
                f"or {ZIP_EXPECTED}"
            )
        files, target, names = _zip_items(base, labels)
    else:
        files, target, names, unreadable = _folder_items(base, labels)
    keep = split_indices(len(files), split)[:limit]
    files = [files[i] for i in keep]
    target = [target[i] for i in keep] if labels else []
    hw = None if size is None else as_size(size)
    if in_memory:
        images, kept, skipped = scan_and_load(files, hw, channels, progress, max_pixels=max_pixels)
    else:
        checks = [_decode(f, hw, channels, max_pixels) for f in files]  # pre-scan, nothing kept
        kept = [i for i, r in enumerate(checks) if not isinstance(r, str)]
        skipped = [(files[i], r) for i, r in enumerate(checks) if isinstance(r, str)]
        images = [checks[i] for i in kept] if hw is None else []
    summary = skip_summary(base, len(files), skipped, unreadable)
    notes = [summary] if summary else []
    if not kept:
        raise DataError(f"none of the {len(files)} images under {base} could be read")
    if hw is None:
        hw = common_size(images, [files[i] for i in kept], base)
    shape = (channels, *hw)
    kept_labels = [target[i] for i in kept] if labels else None
    info = DataInfo(f"folder:{base.name}", "image", shape, len(kept), len(names), names, notes)
    info.extra["skipped"] = [str(p) for p, _ in skipped]
    info.extra["native_size"] = size is None  # metrics record whether images were resized
    if in_memory:
        array = np.stack(images).transpose(0, 3, 1, 2).copy()
        return ImageArrayDataset(array, kept_labels, info, flip=flip)
    kept_files = [files[i] for i in kept]
    return LazyFolderDataset(kept_files, kept_labels, hw, channels, info, flip, max_pixels)
