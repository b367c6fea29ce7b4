"""Paired (aligned) image datasets for Pix2Pix: side-by-side A|B images or A/ and B/ folders.

Layouts (as the official repository uses them), under ``path``:
- side-by-side: ``<split>/*.jpg``, each image A on the left half and B on the right;
- folders: ``A/<split>/`` and ``B/<split>/`` holding files with matching names.
Without split sub-folders, the images directly in ``path`` (or ``A/`` and ``B/``) are split 80/20
into ``train`` and ``test`` with a fixed seed. Corrupt files and unmatched names are skipped and
listed in the run log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch

from ganforge.data.base import Split, channels_to, split_indices
from ganforge.data.folder import list_images, scan_and_load
from ganforge.data.folder_scan import skip_summary
from ganforge.data.images import as_size, load_image, resize_center_crop
from ganforge.data.translation import TranslationDataset, random_jitter, to_unit
from ganforge.errors import DataError
from ganforge.registry import DATASETS

Direction = Literal["AtoB", "BtoA"]
HELD_OUT_SPLITS = ("test", "val")
# The shared splits plus the official layout's val/ folder (e.g. the maps dataset has no test/)
PairedSplit = Literal[Split, "val"]


class PairedDataset(TranslationDataset):
    """Aligned pairs: batch ``{"a": source, "b": target}`` with one jitter per pair."""

    kind = "paired"

    def get(self, index: torch.Tensor) -> dict[str, torch.Tensor]:
        """Sources and targets in [-1, 1], jittered together when training."""
        a, b = to_unit(self.a[index]), to_unit(self.b[index])
        if self.jitter:
            a, b = random_jitter([a, b])
        return {"a": a, "b": b}


def _split_dir(base: Path, split: PairedSplit) -> Path | None:
    """``base/split`` if it exists, None when ``base`` has no split folders at all."""
    if (base / split).is_dir():
        return base / split
    if any((base / s).is_dir() for s in ("train", *HELD_OUT_SPLITS)):
        found = sorted(s for s in ("train", *HELD_OUT_SPLITS) if (base / s).is_dir())
        raise DataError(f"{base} has no {split!r} split folder; it has {', '.join(found)}")
    return None


def _held_out(base: Path) -> dict[str, str] | None:
    for split in HELD_OUT_SPLITS:
        if (base / split).is_dir():
            return {"split": split}
    return None


def _match(a_files: list[Path], a_root: Path, b_files: list[Path], b_root: Path) -> tuple:
    """Pairs of files with the same relative name (extension ignored) and the unmatched ones."""
    b_by_name = {f.relative_to(b_root).with_suffix(""): f for f in b_files}
    pairs, unmatched = [], []
    for f in a_files:
        key = f.relative_to(a_root).with_suffix("")
        if key in b_by_name:
            pairs.append((f, b_by_name.pop(key)))
        else:
            unmatched.append(f)
    return pairs, unmatched + sorted(b_by_name.values())


@DATASETS.register("paired", kind="paired")
def paired(
    *,
    path: str,
    split: PairedSplit = "train",
    size: int | tuple[int, int] = 256,
    channels_a: int = 3,
    channels_b: int = 3,
    direction: Direction = "AtoB",
    jitter: bool = True,
    limit: int | None = None,
    progress: bool = True,
) -> PairedDataset:
    """Aligned pairs: A|B images in path/<split>, or matching path/A/<split> and path/B/<split>."""
    base = Path(path).expanduser()
    if not base.is_dir():
        raise DataError(
            f"paired dataset folder {base} does not exist; set data.path to the folder holding "
            "train/ (and test/) or A/ and B/ (see docs/translation.md for the official datasets)"
        )
    if channels_a not in (1, 3) or channels_b not in (1, 3):
        raise DataError("data.channels_a and data.channels_b must be 1 or 3")
    hw = as_size(size)
    unmatched: list[Path] = []
    if (base / "A").is_dir() and (base / "B").is_dir():
        dirs = [_split_dir(base / "A", split), _split_dir(base / "B", split)]
        flat = dirs[0] is None
        a_root, b_root = (base / "A", base / "B") if flat else (dirs[0], dirs[1])
        items, unmatched = _match(list_images(a_root), a_root, list_images(b_root), b_root)
        held = {"split": "test"} if flat else _held_out(base / "A")

        def decode(pair: tuple[Path, Path]) -> np.ndarray:
            a = resize_center_crop(load_image(pair[0], channels_a), hw)
            b = resize_center_crop(load_image(pair[1], channels_b), hw)
            return np.concatenate([a, b], axis=2)

    else:
        folder = _split_dir(base, split)
        flat = folder is None
        items = list_images(base if flat else folder)
        held = {"split": "test"} if flat else _held_out(base)
        load_channels = 3 if 3 in (channels_a, channels_b) else 1

        def decode(path: Path) -> np.ndarray:
            image = load_image(path, load_channels)
            half = image.shape[1] // 2
            if half == 0:
                raise DataError("image too narrow to hold A|B halves")
            a = resize_center_crop(image[:, :half], hw)
            b = resize_center_crop(image[:, half : 2 * half], hw)
            return np.concatenate([a, b], axis=2)

    if flat:
        if split == "val":
            raise DataError(f"{base} has no split folders; use data.split=train, test or all")
        items = [items[i] for i in split_indices(len(items), split)]
    items = items[:limit]
    if not items:
        raise DataError(f"no image pairs found under {base} (split {split!r})")
    images, _, skipped = scan_and_load(items, hw, 0, progress, decode=decode)
    lone = [(path, "without a partner of the same name") for path in unmatched]
    summary = skip_summary(base, len(items) + len(lone), [*lone, *skipped], what="items")
    notes = [summary] if summary else []
    if not images:
        raise DataError(f"none of the {len(items)} image pairs under {base} could be read")
    stacked = np.stack(images).transpose(0, 3, 1, 2)
    if (base / "A").is_dir() and (base / "B").is_dir():
        a, b = stacked[:, :channels_a], stacked[:, channels_a:]
    else:
        c = stacked.shape[1] // 2
        a, b = channels_to(stacked[:, :c], channels_a), channels_to(stacked[:, c:], channels_b)
    return PairedDataset.from_arrays(
        f"paired:{base.name}",
        a,
        b,
        jitter=jitter,
        held_out=held,
        direction=direction,
        notes=notes,
    )
