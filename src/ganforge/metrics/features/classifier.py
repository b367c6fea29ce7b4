"""Domain-classifier extractors: small CNNs the project trains itself (digits, MNIST).

``features`` is the penultimate layer and ``logits`` the pre-softmax class scores. Images of
another size or channel count are converted the way the datasets convert them (luma for RGB to
gray, Pillow bicubic resize with centre crop) to the size the classifier was trained at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.data.base import channels_to, split_indices
from ganforge.data.images import resize_batch
from ganforge.device import resolve_device
from ganforge.errors import DataError, GanforgeError
from ganforge.metrics.features.base import Extractor
from ganforge.metrics.features.classifier_net import ClassifierArch, SmallCNN
from ganforge.metrics.features.classifier_train import (
    LabelledImages,
    TrainSettings,
    to_float,
    trained_classifier,
)
from ganforge.registry import DATASETS


class ClassifierExtractor(Extractor):
    """A trained SmallCNN: penultimate ``features`` and class ``logits``."""

    outputs = ("features", "logits")
    batch_size = 500

    def __init__(
        self, name: str, net: SmallCNN, arch: ClassifierArch, record: dict[str, Any], device: str
    ) -> None:
        self.name = name
        self.arch = arch
        self.record = record
        self.device = resolve_device(device)
        self.net = net.eval().requires_grad_(False).to(self.device)

    @property
    def accuracy(self) -> float:
        """Held-out accuracy measured right after training."""
        return float(self.record["accuracy"])

    def _batch(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise GanforgeError(f"{self.name} expects uint8 NCHW images, got {images.dtype}")
        array = channels_to(images.cpu().numpy(), self.arch.channels)
        array = resize_batch(array, (self.arch.size, self.arch.size))
        features, logits = self.net(to_float(array).to(self.device))
        return {"features": features, "logits": logits}

    def provenance(self) -> dict[str, Any]:
        """Classifier identity (content hash), its data, held-out accuracy and input size."""
        keys = ("key", "accuracy", "n_train", "n_test", "data", "arch", "settings", "cache")
        return {"extractor": self.name, **{k: self.record[k] for k in keys}}


def build(
    name: str, data: LabelledImages, size: int, settings: TrainSettings, device: str
) -> ClassifierExtractor:
    """Train (or load from the cache) a classifier on ``data`` and wrap it as an extractor."""
    classes = int(max(data.train_y.max(), data.test_y.max())) + 1
    arch = ClassifierArch(channels=data.train_x.shape[1], size=size, n_classes=classes)
    net, record = trained_classifier(name, data, arch, settings)
    return ClassifierExtractor(name, net, arch, record, device)


def subset(images: np.ndarray, labels: np.ndarray, limit: int | None) -> tuple[np.ndarray, ...]:
    """The first ``limit`` samples (all when None)."""
    return images[:limit], labels[:limit]


def digits_data(size: int, train_limit: int | None = None) -> LabelledImages:
    """The bundled digits at ``size``: the dataset's fixed 80/20 train/held-out split."""
    train = DATASETS.get("digits")(size=size, split="train")
    test = DATASETS.get("digits")(size=size, split="test")
    train_x, train_y = subset(train.images.numpy(), train.labels.numpy(), train_limit)
    return LabelledImages(
        train_x,
        train_y,
        test.images.numpy(),
        test.labels.numpy(),
        f"digits {size}x{size}: {len(train_x)} train / {len(test)} held-out (fixed 80/20 split)",
    )


def mnist_data(root: str | None, size: int, train_limit: int | None = None) -> LabelledImages:
    """MNIST train/test; without the train files, an 80/20 split of the 10,000 test images."""
    load = DATASETS.get("mnist")
    try:
        train, test = (
            load(path=root, split="train", size=size),
            load(path=root, split="test", size=size),
        )
        train_x, train_y = train.images.numpy(), train.labels.numpy()
        test_x, test_y = test.images.numpy(), test.labels.numpy()
        how = "official train/test"
    except DataError:
        pool = load(path=root, split="test", size=size)  # raises a DataError saying what to do
        images, labels = pool.images.numpy(), pool.labels.numpy()
        fit_idx, held_idx = split_indices(len(images), "train"), split_indices(len(images), "test")
        train_x, train_y = images[fit_idx], labels[fit_idx]
        test_x, test_y = images[held_idx], labels[held_idx]
        how = "80/20 split of the test set (no train files found)"
    train_x, train_y = subset(train_x, train_y, train_limit)
    source = f"mnist {size}x{size}, {how}: {len(train_x)} train / {len(test_x)} held-out"
    return LabelledImages(train_x, train_y, test_x, test_y, source)


def digits_classifier(
    *,
    size: int = 32,
    epochs: int = 6,
    seed: int = 0,
    train_limit: int | None = None,
    device: str = "auto",
) -> Extractor:
    """Small CNN trained on the bundled digits: penultimate features (128), class logits."""
    settings = TrainSettings(epochs=epochs, seed=seed)
    return build("digits-classifier", digits_data(size, train_limit), size, settings, device)


def mnist_classifier(
    *,
    root: str | None = None,
    size: int = 28,
    epochs: int = 4,
    seed: int = 0,
    train_limit: int | None = None,
    device: str = "auto",
) -> Extractor:
    """Small CNN trained on MNIST (IDX files in root): penultimate features (128), logits."""
    settings = TrainSettings(epochs=epochs, seed=seed)
    data = mnist_data(str(Path(root).expanduser()) if root else None, size, train_limit)
    return build("mnist-classifier", data, size, settings, device)
