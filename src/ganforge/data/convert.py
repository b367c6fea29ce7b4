"""``ganforge dataset convert``: write a stylegan2-ada dataset zip from the formats ganforge reads.

Sources: a folder tree of images (class sub-folders as labels with ``labels``), a dataset zip,
CIFAR-10 python batches, MNIST IDX files or an .npz of images, read by the dataset readers. The
zip holds uncompressed PNGs named ``00000/img00000000.png`` ... and ``dataset.json`` with
``{"labels": [[name, class], ...]}`` or ``null``, as stylegan2-ada's dataset_tool.py writes it,
so the file also trains there. The transforms are dataset_tool's (Lanczos resampling):

- ``none``: each image stretched to the size when one is given, else kept as it is;
- ``center-crop``: the largest centred square, resized to the size;
- ``center-crop-wide``: the full width, the height cropped to the size's aspect ratio, resized,
  then centred on a black square canvas (images narrower than the size are dropped).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from ganforge.data.arrays import find_cifar_folder
from ganforge.data.base import channels_to
from ganforge.data.folder import class_labels
from ganforge.data.folder_scan import skip_summary, walk_images
from ganforge.data.images import IMAGE_EXTENSIONS, load_image, resize_stretch
from ganforge.data.zipped import LABELS_FILE, ZipImages, ZipMember, is_zip
from ganforge.errors import DataError
from ganforge.registry import DATASETS

Transform = Literal["center-crop", "center-crop-wide", "none"]
TRANSFORMS: tuple[str, ...] = ("center-crop", "center-crop-wide", "none")
LANCZOS = Image.Resampling.LANCZOS
SOURCES = (
    "a folder of images (class sub-folders as labels with --labels), a dataset .zip, CIFAR-10 "
    "python batches (a folder with data_batch_1..5 / test_batch), MNIST IDX files (a folder with "
    "train-images-idx3-ubyte[.gz] / t10k-images-idx3-ubyte[.gz]) or an .npz with 'images' "
    "(and 'labels')"
)
# (name, a function decoding the image to HWC uint8, its class or None)
Item = tuple[str, Callable[[], np.ndarray], "int | None"]


@dataclass
class ConvertReport:
    """What convert_dataset wrote and what it left out."""

    out: Path
    source: str  # the kind of source read
    written: int = 0
    size: tuple[int, int] = (0, 0)  # (height, width) of the written images
    channels: int = 0
    n_classes: int = 0  # 0: no labels written
    dropped: int = 0  # images center-crop-wide dropped (narrower than the target)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # unreadable (name, reason)
    notes: list[str] = field(default_factory=list)


def parse_size(text: str | int | None) -> tuple[int, int] | None:
    """``"256"`` -> (256, 256), ``"512x384"`` (width x height) -> (384, 512) as (h, w)."""
    if text is None:
        return None
    width, _, height = str(text).lower().partition("x")
    try:
        w, h = int(width), int(height or width)
    except ValueError:
        raise DataError(
            f"--size: expected S or WIDTHxHEIGHT (e.g. 256 or 512x384), got {text!r}"
        ) from None
    if min(w, h) < 1:
        raise DataError(f"--size must be positive, got {text!r}")
    return h, w


def _resize(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return resize_stretch(array, size, LANCZOS)


def transform_image(
    image: np.ndarray, transform: Transform, size: tuple[int, int] | None
) -> np.ndarray | None:
    """dataset_tool's crop/resize of one HWC uint8 image to ``size`` (h, w); None: dropped."""
    if transform == "none":
        return image if size is None else _resize(image, size)
    if size is None:
        raise DataError(f"--transform {transform} needs --size")
    height, width = image.shape[:2]
    th, tw = size
    if transform == "center-crop":
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        return _resize(image[top : top + side, left : left + side], size)
    crop_h = round(tw * height / width)
    if width < tw or crop_h < th:
        return None
    top = (height - crop_h) // 2
    wide = _resize(image[top : top + crop_h], size)
    canvas = np.zeros((tw, tw, image.shape[2]), dtype=np.uint8)
    canvas[(tw - th) // 2 : (tw - th) // 2 + th] = wide
    return canvas


def _array_items(dataset: Any, labels: bool, channels: int | None, what: str) -> list[Item]:
    images = dataset.images.numpy()
    if channels is not None:
        images = channels_to(images, channels)
    targets = dataset.labels
    if labels and targets is None:
        raise DataError(f"--labels: {what} has no labels")
    found = targets.tolist() if labels and targets is not None else [None] * len(images)
    return [
        (f"#{i}", lambda i=i: images[i].transpose(1, 2, 0), found[i]) for i in range(len(images))
    ]


def _file_items(
    files: list[Path] | list[ZipMember], root: Path, found: list[int] | None, channels: int
) -> list[Item]:
    def reader(item: Path | ZipMember) -> Callable[[], np.ndarray]:
        source = item.open if isinstance(item, ZipMember) else (lambda: item)
        return lambda: load_image(source(), channels)  # type: ignore[operator]

    names = [f.name if isinstance(f, ZipMember) else str(f.relative_to(root)) for f in files]
    targets: list[int | None] = list(found) if found is not None else [None] * len(files)
    return [(n, reader(f), t) for n, f, t in zip(names, files, targets)]


def _mnist_split(folder: Path) -> str | None:
    def has(prefix: str) -> bool:
        stem = folder / f"{prefix}-images-idx3-ubyte"
        return stem.is_file() or stem.with_name(stem.name + ".gz").is_file()

    train, test = has("train"), has("t10k")
    return "all" if train and test else "train" if train else "test" if test else None


def open_source(
    src: Path, labels: bool, channels: int | None
) -> tuple[str, list[Item], list[Path]]:
    """(kind, items, unreadable sub-folders) for any source ganforge's readers understand."""
    if not src.exists():
        raise DataError(f"{src} does not exist; expected {SOURCES}")
    cifar = find_cifar_folder(src) if src.is_dir() else None
    if cifar is not None:
        train = all((cifar / f"data_batch_{i}").is_file() for i in range(1, 6))
        test = (cifar / "test_batch").is_file()
        split = "all" if train and test else "train" if train else "test"
        data = DATASETS.get("cifar10")(path=str(src), split=split)
        return "CIFAR-10 batches", _array_items(data, labels, channels, "CIFAR-10"), []
    mnist_dir = src if src.is_dir() else src.parent
    if (src.is_dir() or src.name.startswith(("train-images-idx", "t10k-images-idx"))) and (
        split := _mnist_split(mnist_dir)
    ):
        if src.is_file():
            split = "train" if src.name.startswith("train") else "test"
        data = DATASETS.get("mnist")(path=str(mnist_dir), split=split)
        return "MNIST IDX files", _array_items(data, labels, channels, "MNIST"), []
    if src.is_file() and src.suffix.lower() == ".npz":
        data = DATASETS.get("npz")(path=str(src))
        return ".npz", _array_items(data, labels, channels, str(src)), []
    if src.is_file() and is_zip(src):
        archive = ZipImages(src)
        found = archive.labels() if labels else None
        if labels and found is None:
            raise DataError(f"--labels: {src} has no labels in its {LABELS_FILE}")
        members = [ZipMember(archive, n) for n in archive.names]
        return "dataset zip", _file_items(members, src, found, channels or 3), []
    if src.is_dir():
        files, unreadable = walk_images(src)
        if files:
            found = class_labels(src, files)[0] if labels else None
            kind = "image folder with class sub-folders" if labels else "image folder"
            return kind, _file_items(files, src, found, channels or 3), unreadable
        raise DataError(f"no images ({', '.join(sorted(IMAGE_EXTENSIONS))}) under {src}")
    raise DataError(f"{src}: not a dataset this converter reads; expected {SOURCES}")


def _png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image).save(
        buffer, format="png", compress_level=0, optimize=False
    )
    return buffer.getvalue()


def archive_name(index: int) -> str:
    """dataset_tool's member name of the index-th image: ``00000/img00000000.png``."""
    text = f"{index:08d}"
    return f"{text[:5]}/img{text}.png"


def _write(
    items: list[Item],
    out: zipfile.ZipFile,
    transform: Transform,
    size: tuple[int, int] | None,
    report: ConvertReport,
    progress: bool,
) -> list[list[Any]]:
    labels: list[list[Any]] = []
    for name, read, label in tqdm(items, desc="converting", unit="img", disable=not progress):
        try:
            image = read()
        except DataError:
            raise
        except Exception as exc:  # a corrupt or unsupported file is counted, not fatal
            report.skipped.append((name, f"{type(exc).__name__}: {exc}"))
            continue
        image = transform_image(image, transform, size)
        if image is None:
            report.dropped += 1
            continue
        shape = (image.shape[0], image.shape[1])
        if report.written == 0:
            report.size, report.channels = shape, image.shape[2]
        elif shape != report.size:
            raise DataError(
                f"{name} is {shape[0]}x{shape[1]} (height x width) but the first image was "
                f"{report.size[0]}x{report.size[1]}: give --size (and --transform) to make "
                "them one size"
            )
        member = archive_name(report.written)
        out.writestr(member, _png(image))
        labels.append([member, label])
        report.written += 1
    return labels


def convert_dataset(
    src: str | Path,
    out: str | Path,
    size: str | int | None = None,
    labels: bool = False,
    transform: Transform | None = None,
    channels: int | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> ConvertReport:
    """Write a stylegan2-ada dataset zip (PNGs + dataset.json) from any source ganforge reads.

    ``size``: S or WIDTHxHEIGHT; ``transform`` defaults to center-crop with a size, else none.
    ``channels`` 1 or 3 (default: 3 for image files, the source's own for arrays).
    """
    source, target = Path(src).expanduser(), Path(out).expanduser()
    hw = parse_size(size)
    chosen: Transform = transform or ("center-crop" if hw else "none")
    if chosen not in TRANSFORMS:
        raise DataError(f"--transform must be one of {', '.join(TRANSFORMS)}, got {chosen!r}")
    if channels not in (None, 1, 3):
        raise DataError(f"--channels must be 1 or 3, got {channels}")
    if target.suffix.lower() != ".zip":
        raise DataError(f"the output must be a .zip file, got {target}")
    if target.resolve() == source.resolve():
        raise DataError("the output zip must not be the source")
    kind, items, unreadable = open_source(source, labels, channels)
    items = items[:limit]
    if chosen != "none" and hw is None:
        raise DataError(f"--transform {chosen} needs --size")
    report = ConvertReport(target, kind)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
            written = _write(items, archive, chosen, hw, report, progress)
            if not report.written:
                raise DataError(f"no image of {source} could be converted; nothing written")
            table = written if labels else None
            archive.writestr(LABELS_FILE, json.dumps({"labels": table}))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    if labels:
        report.n_classes = max(int(label) for _, label in written) + 1
    summary = skip_summary(source, len(items), report.skipped, unreadable)
    if summary:
        report.notes.append(summary)
    h, w = report.size
    if h != w or h & (h - 1):
        report.notes.append(
            f"the images are {h}x{w}: stylegan2-ada trains only on square power-of-two sizes "
            "(ganforge reads any size)"
        )
    return report
