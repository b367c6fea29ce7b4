"""Training the domain classifiers once, deterministically, and caching them by content hash.

The cache key hashes the training and held-out images and labels, the architecture and the
training settings, so a change to any of them trains a new classifier and an unchanged one is
loaded in milliseconds. The held-out accuracy is stored with the weights.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ganforge.checkpoints import atomic_save
from ganforge.data.download import cache_dir
from ganforge.device import single_thread
from ganforge.metrics.features.classifier_net import ClassifierArch, SmallCNN

log = logging.getLogger("ganforge.metrics")

CACHE_FORMAT = 1


@dataclass(frozen=True)
class TrainSettings:
    """How a classifier is trained (part of the cache key)."""

    epochs: int = 6
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    shift: int = 2  # random translation of up to this many pixels (augmentation)
    seed: int = 0


@dataclass
class LabelledImages:
    """uint8 NCHW train and held-out images with int labels, and where they came from."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    source: str


def to_float(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 images to float in [-1, 1], the range the classifiers see."""
    return torch.as_tensor(images).float().div(127.5).sub(1.0)


def cache_key(data: LabelledImages, arch: ClassifierArch, settings: TrainSettings) -> str:
    """SHA-256 of the data, the architecture and the training settings."""
    digest = hashlib.sha256()
    for array in (data.train_x, data.train_y, data.test_x, data.test_y):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    meta = {"format": CACHE_FORMAT, "arch": arch.to_dict(), "settings": asdict(settings)}
    digest.update(json.dumps(meta, sort_keys=True).encode())
    return digest.hexdigest()


def _shift(x: torch.Tensor, limit: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by a random offset in [-limit, limit] pixels, padding with -1."""
    if limit <= 0:
        return x
    n, _, h, w = x.shape
    padded = F.pad(x, (limit, limit, limit, limit), value=-1.0)
    dy, dx = torch.randint(0, 2 * limit + 1, (2, n), generator=generator).tolist()
    return torch.stack([padded[i, :, dy[i] : dy[i] + h, dx[i] : dx[i] + w] for i in range(n)])


def fit(
    data: LabelledImages, arch: ClassifierArch, settings: TrainSettings
) -> tuple[SmallCNN, float]:
    """Train a SmallCNN with AdamW and a cosine schedule on CPU; returns it and the seconds taken.

    One thread: the layers are too small to gain from more, a busy machine stalls multi-threaded
    small ops badly, and the float sums (hence the weights) stay the same on every machine setup.
    """
    with single_thread():
        return _fit(data, arch, settings)


def _fit(
    data: LabelledImages, arch: ClassifierArch, settings: TrainSettings
) -> tuple[SmallCNN, float]:
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(settings.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        net = SmallCNN(arch)
    x, y = to_float(data.train_x), torch.as_tensor(data.train_y, dtype=torch.int64)
    steps_per_epoch = -(-len(x) // settings.batch_size)
    total = settings.epochs * steps_per_epoch
    optim = torch.optim.AdamW(net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))
    )
    net.train()
    for _ in range(settings.epochs):
        order = torch.randperm(len(x), generator=generator)
        for batch in order.split(settings.batch_size):
            inputs = _shift(x[batch], settings.shift, generator)
            _, logits = net(inputs)
            loss = F.cross_entropy(logits, y[batch])
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
            schedule.step()
    return net.eval(), time.perf_counter() - start


@torch.no_grad()
def accuracy(net: SmallCNN, images: np.ndarray, labels: np.ndarray, batch: int = 500) -> float:
    """Fraction of ``images`` whose arg-max class equals the label."""
    net.eval()
    x = to_float(images)
    predicted = torch.cat([net(part)[1].argmax(1) for part in x.split(batch)])
    return float((predicted == torch.as_tensor(labels)).double().mean())


def _load(path: Path, arch: ClassifierArch) -> tuple[SmallCNN, dict[str, Any]] | None:
    """A cached classifier, or None when the file is unreadable (it is then retrained)."""
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
        net = SmallCNN(arch)
        net.load_state_dict(record.pop("state_dict"))
    except Exception as exc:  # a truncated or foreign file: train again rather than fail
        log.warning("ignoring unreadable classifier cache %s (%s)", path, exc)
        return None
    record["cache"] = str(path)
    return net.eval(), record


def trained_classifier(
    name: str, data: LabelledImages, arch: ClassifierArch, settings: TrainSettings
) -> tuple[SmallCNN, dict[str, Any]]:
    """The classifier for this data, architecture and settings: from the cache, or trained now."""
    key = cache_key(data, arch, settings)
    path = cache_dir("classifiers") / f"{name}-{key[:16]}.pt"
    if path.is_file() and (cached := _load(path, arch)) is not None:
        return cached
    log.info(
        "training the %s on %d images (first use; cached in %s)", name, len(data.train_x), path
    )
    net, seconds = fit(data, arch, settings)
    record: dict[str, Any] = {
        "format": CACHE_FORMAT,
        "name": name,
        "key": key,
        "accuracy": accuracy(net, data.test_x, data.test_y),
        "n_train": len(data.train_x),
        "n_test": len(data.test_x),
        "data": data.source,
        "arch": arch.to_dict(),
        "settings": asdict(settings),
        "train_seconds": round(seconds, 2),
        "torch": str(torch.__version__),
        "cache": str(path),
    }
    atomic_save({**record, "state_dict": net.state_dict()}, path)
    log.info("%s: held-out accuracy %.4f", name, record["accuracy"])
    return net, record
