"""The small CNN behind the domain-classifier extractors (digits, MNIST)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

# Digits carry little detail above this resolution; computing there keeps training to seconds.
WORK_SIDE = 16


@dataclass(frozen=True)
class ClassifierArch:
    """Everything that fixes the network's shape (part of the cache key)."""

    channels: int = 1
    size: int = 32  # the input side the classifier is trained at; other sizes are resized to it
    n_classes: int = 10
    width: int = 16  # channels of the first convolution; the next ones have 2x and 4x
    feature_dim: int = 128  # the penultimate layer: the extractor's ``features``

    def to_dict(self) -> dict[str, Any]:
        """Plain values for hashing and for the cache record."""
        return {"net": "small-cnn-v2", **asdict(self)}


def conv_bn_relu(cin: int, cout: int) -> list[nn.Module]:
    """3x3 same-size convolution, batch norm, ReLU."""
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class SmallCNN(nn.Module):
    """Average-pool stem to about 16 px, three conv layers, two max pools, hidden layer, logits."""

    def __init__(self, arch: ClassifierArch) -> None:
        super().__init__()
        w = arch.width
        stem = max(1, round(arch.size / WORK_SIDE))
        self.trunk = nn.Sequential(
            nn.AvgPool2d(stem) if stem > 1 else nn.Identity(),
            *conv_bn_relu(arch.channels, w),
            *conv_bn_relu(w, 2 * w),
            nn.MaxPool2d(2),
            *conv_bn_relu(2 * w, 4 * w),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(4),  # the same layout whatever the input size
        )
        self.hidden = nn.Linear(4 * w * 16, arch.feature_dim)
        self.head = nn.Linear(arch.feature_dim, arch.n_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(penultimate features, class logits) of float input in [-1, 1]."""
        features = F.relu(self.hidden(self.trunk(x).flatten(1)))
        return features, self.head(features)
