"""Unpaired image collections for CycleGAN: path/trainA, trainB, testA, testB (official layout).

A batch pairs the i-th A image (cycling) with a random B image, so the domains may differ in
size; an epoch is max(|A|, |B|) images. Corrupt files are skipped and listed in the run log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch

from ganforge.data.folder import list_images, scan_and_load
from ganforge.data.folder_scan import skip_summary
from ganforge.data.images import as_size
from ganforge.data.translation import TranslationDataset, random_jitter, to_unit
from ganforge.errors import DataError
from ganforge.registry import DATASETS

Direction = Literal["AtoB", "BtoA"]


class UnpairedDataset(TranslationDataset):
    """Two collections: batch ``{"a": A[i mod |A|], "b": random B}``, each jittered alone."""

    kind = "unpaired"

    def get(self, index: torch.Tensor) -> dict[str, torch.Tensor]:
        """A images at ``index`` (cycling) and as many random B images, in [-1, 1]."""
        a = to_unit(self.a[index % len(self.a)])
        b = to_unit(self.b[torch.randint(len(self.b), (len(index),))])
        if self.jitter:
            (a,), (b,) = random_jitter([a]), random_jitter([b])
        return {"a": a, "b": b}


def _load_domain(
    folder: Path, size: tuple[int, int], channels: int, limit: int | None, progress: bool
) -> tuple[np.ndarray, list[str]]:
    files = list_images(folder)[:limit]
    if not files:
        raise DataError(f"no images found in {folder}")
    images, _, skipped = scan_and_load(files, size, channels, progress)
    summary = skip_summary(folder, len(files), skipped)
    notes = [summary] if summary else []
    if not images:
        raise DataError(f"none of the {len(files)} images in {folder} could be read")
    return np.stack(images).transpose(0, 3, 1, 2), notes


@DATASETS.register("unpaired", kind="unpaired")
def unpaired(
    *,
    path: str,
    split: Literal["train", "test"] = "train",
    size: int | tuple[int, int] = 256,
    channels_a: int = 3,
    channels_b: int = 3,
    direction: Direction = "AtoB",
    jitter: bool = True,
    limit: int | None = None,
    progress: bool = True,
) -> UnpairedDataset:
    """Two unpaired image folders: path/trainA and path/trainB (testA/testB held out)."""
    base = Path(path).expanduser()
    folders = [base / f"{split}A", base / f"{split}B"]
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        raise DataError(
            f"unpaired dataset: missing {', '.join(missing)}; expected the official layout "
            "path/trainA, path/trainB (and testA, testB for held-out evaluation); set data.path "
            "to the folder holding them"
        )
    hw = as_size(size)
    a, notes_a = _load_domain(folders[0], hw, channels_a, limit, progress)
    b, notes_b = _load_domain(folders[1], hw, channels_b, limit, progress)
    held = {"split": "test"} if (base / "testA").is_dir() and (base / "testB").is_dir() else None
    return UnpairedDataset.from_arrays(
        f"unpaired:{base.name}",
        a,
        b,
        jitter=jitter,
        held_out=held,
        direction=direction,
        notes=notes_a + notes_b,
    )
