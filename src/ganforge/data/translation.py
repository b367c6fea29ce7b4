"""What paired and unpaired (translation) datasets share: the training jitter and held-out data.

Jitter as in Pix2Pix/CycleGAN: resize up by 286/256 (286 for 256 inputs, 36 for 32), crop back
to the training size at a random position, mirror with probability 0.5. Paired images get the
same crop and mirror as their partner.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn.functional as F

from ganforge.data.base import DataInfo, Dataset
from ganforge.errors import DataError
from ganforge.registry import DATASETS

JITTER_RATIO = 286 / 256
T = TypeVar("T", bound="TranslationDataset")


def jitter_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size images are resized to before the random crop: 286 for 256, scaled otherwise."""
    return (round(size[0] * JITTER_RATIO), round(size[1] * JITTER_RATIO))


def random_jitter(batches: Sequence[torch.Tensor], flip: bool = True) -> list[torch.Tensor]:
    """Resize up, random-crop back and mirror float NCHW batches; aligned batches move together."""
    n, _, h, w = batches[0].shape
    big = jitter_size((h, w))
    grown = [
        F.interpolate(x, size=big, mode="bicubic", align_corners=False).clamp_(-1, 1)
        for x in batches
    ]
    tops = torch.randint(0, big[0] - h + 1, (n,)).tolist()
    lefts = torch.randint(0, big[1] - w + 1, (n,)).tolist()
    mirror = (torch.rand(n) < 0.5).tolist() if flip else [False] * n
    out = [torch.empty_like(x) for x in batches]
    for i in range(n):
        for src, dst in zip(grown, out):
            crop = src[i, :, tops[i] : tops[i] + h, lefts[i] : lefts[i] + w]
            dst[i] = crop.flip(-1) if mirror[i] else crop
    return out


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 images to float in [-1, 1]."""
    return images.float().div(127.5).sub(1.0)


def translation_info(
    name: str,
    kind: str,
    a: torch.Tensor,
    b: torch.Tensor,
    count: int,
    held_out: dict[str, Any] | None,
    notes: list[str] | None = None,
) -> DataInfo:
    """DataInfo of a translation dataset: shape is domain B's; extra has A's channels."""
    extra = {
        "channels_a": int(a.shape[1]),
        "count_a": len(a),
        "count_b": len(b),
        "held_out": held_out,
    }
    return DataInfo(name, kind, tuple(b.shape[1:]), count, notes=list(notes or []), extra=extra)  # type: ignore[arg-type]


class TranslationDataset(Dataset):
    """Two uint8 NCHW image sets of the same size: domain A (sources) and domain B (targets)."""

    kind = ""

    def __init__(self, a: torch.Tensor, b: torch.Tensor, info: DataInfo, jitter: bool) -> None:
        self.a, self.b, self.info, self.jitter = a.contiguous(), b.contiguous(), info, jitter

    @classmethod
    def from_arrays(
        cls: type[T],
        name: str,
        a: np.ndarray,
        b: np.ndarray,
        *,
        jitter: bool,
        held_out: dict[str, Any] | None,
        direction: str = "AtoB",
        notes: list[str] | None = None,
    ) -> T:
        """A dataset of uint8 NCHW arrays (domains swapped when ``direction`` is BtoA)."""
        if len(a) == 0 or len(b) == 0:
            raise DataError(f"{name}: both domains need at least one image")
        if a.shape[2:] != b.shape[2:]:
            raise DataError(f"{name}: A and B images differ in size ({a.shape} vs {b.shape})")
        if cls.kind == "paired" and len(a) != len(b):
            raise DataError(f"{name}: {len(a)} A images but {len(b)} B images")
        if direction == "BtoA":
            a, b = b, a
        ta, tb = (torch.from_numpy(np.ascontiguousarray(x)) for x in (a, b))
        count = max(len(ta), len(tb))
        return cls(ta, tb, translation_info(name, cls.kind, ta, tb, count, held_out, notes), jitter)

    def real_uint8(self, index: torch.Tensor) -> torch.Tensor:
        """Domain-B (target) images, for metrics against the training data."""
        return self.b[index % len(self.b)]


def held_out_dataset(name: str, params: dict[str, Any], info: DataInfo) -> TranslationDataset:
    """The dataset's held-out split without jitter (its training images when it has none)."""
    overrides = {"jitter": False, **(info.extra.get("held_out") or {})}
    return DATASETS.get(name)(**{**params, **overrides})
