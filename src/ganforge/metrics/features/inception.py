"""The ``inception-v3-fid`` extractor: the reference FID/IS/KID network and its preprocessing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

import ganforge.metrics.features.inception_weights as weights_mod
from ganforge.data.download import file_hash
from ganforge.device import resolve_device
from ganforge.errors import GanforgeError
from ganforge.metrics.features.base import Extractor
from ganforge.metrics.features.inception_net import BLOCK_FEATURES, FIDInceptionV3
from ganforge.metrics.features.resize import RESIZE_MODES, ResizeMode, resize_uint8

INPUT_SIZE = (299, 299)


def as_rgb_uint8(images: torch.Tensor, who: str) -> torch.Tensor:
    """Check uint8 NCHW and replicate gray images to three channels."""
    if images.dtype != torch.uint8 or images.ndim != 4:
        raise GanforgeError(
            f"{who} expects uint8 NCHW images, got {images.dtype} {tuple(images.shape)}"
        )
    if images.shape[1] == 1:
        return images.expand(-1, 3, -1, -1)
    if images.shape[1] != 3:
        raise GanforgeError(f"{who} expects 1 or 3 channels, got {images.shape[1]}")
    return images


class InceptionExtractor(Extractor):
    """Inception-v3 (TF 2015-12-05): pool3 ``features`` (2048), ``logits`` (1008) and blocks."""

    name = "inception-v3-fid"
    outputs = ("features", "logits", "logits_unbiased", *BLOCK_FEATURES)

    def __init__(
        self,
        weights: str | Path | None = None,
        resize: ResizeMode = "tf1-bilinear",
        batch_size: int = 50,
        device: str = "cpu",
    ) -> None:
        if resize not in RESIZE_MODES:
            raise GanforgeError(
                f"unknown resize mode {resize!r}; use one of {', '.join(RESIZE_MODES)}"
            )
        self.resize = resize
        self.batch_size = batch_size
        self.device = resolve_device(device)
        self.weights_path = weights_mod.locate(weights)
        self.weights_sha256 = file_hash(self.weights_path)
        self.net = FIDInceptionV3()
        layout = {k: tuple(v.shape) for k, v in self.net.state_dict().items()}
        self.net.load_state_dict(weights_mod.load_state(self.weights_path, layout))
        # channels-last runs the convolutions about 1.6x faster on CPU, same numbers
        self.net.eval().requires_grad_(False).to(self.device, memory_format=torch.channels_last)

    def _batch(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        images = as_rgb_uint8(images, self.name).to(self.device)
        x = resize_uint8(images, INPUT_SIZE, self.resize)
        x = ((x - 128.0) / 128.0).contiguous(memory_format=torch.channels_last)
        return self.net(x)

    def provenance(self) -> dict[str, Any]:
        """Network, weights file and hash, resize protocol."""
        return {
            "extractor": self.name,
            "weights": str(self.weights_path),
            "weights_sha256": self.weights_sha256,
            "official_weights": self.weights_sha256 == weights_mod.SHA256,
            "resize": self.resize,
            "input_size": list(INPUT_SIZE),
        }
