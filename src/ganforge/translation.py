"""Translating folders of images with a Pix2Pix or CycleGAN run (``ganforge translate``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganforge.data.folder import list_images, scan_and_load
from ganforge.data.grid import to_uint8
from ganforge.device import resolve_device
from ganforge.errors import GanforgeError
from ganforge.runs import load

TRANSLATE_CHUNK = 32  # images decoded and translated at a time, so large folders fit in memory


@dataclass
class Translated:
    """What ``translate`` wrote: output files and the inputs it skipped (path, reason)."""

    written: list[Path]
    skipped: list[tuple[Path, str]]


def translate(
    path: str | Path,
    input_dir: str | Path,
    out_dir: str | Path,
    direction: str = "AtoB",
    seed: int = 0,
    use_ema: bool = True,
    batch_size: int = 16,
) -> Translated:
    """Translate every image under ``input_dir`` (resized and centre-cropped to the training
    size) and write ``<name>.png`` files, keeping sub-folders, under ``out_dir``.

    Images are read and translated ``TRANSLATE_CHUNK`` at a time; ``seed`` drives test-time
    dropout through a local generator (torch's global one is left alone)."""
    model = load(path, device=resolve_device("auto"), use_ema=use_ema)
    g = model.translator(direction)
    source = Path(input_dir).expanduser()
    files = list_images(source)
    if not files:
        raise GanforgeError(f"no images found under {source}")
    generator = torch.Generator().manual_seed(seed)  # test-time dropout, reproducible per seed
    chunk = max(TRANSLATE_CHUNK, batch_size)
    written: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for start in range(0, len(files), chunk):
        part = files[start : start + chunk]
        images, kept, bad = scan_and_load(part, model.info.size, g.in_channels, progress=False)
        skipped += bad
        if not images:
            continue
        batch = torch.from_numpy(np.stack(images).transpose(0, 3, 1, 2).copy())
        outputs = to_uint8(g.translate(batch, batch_size, generator)).numpy().transpose(0, 2, 3, 1)
        for i, array in zip(kept, outputs):
            dest = Path(out_dir) / part[i].relative_to(source).with_suffix(".png")
            dest.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array).save(dest)
            written.append(dest)
    if not written:
        raise GanforgeError(f"none of the {len(files)} images under {source} could be read")
    return Translated(written, skipped)
