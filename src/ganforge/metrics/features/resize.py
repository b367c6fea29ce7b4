"""The two resize protocols used in front of the FID network.

- ``tf1-bilinear``: TensorFlow 1's ``resize_bilinear`` (align_corners=False, no half-pixel
  centres): output pixel ``i`` samples the input at ``i * in / out``. This is what the original
  FID/IS/KID code did inside the graph, so published numbers assume it.
- ``pil-bicubic``: the "clean" protocol: each channel is resized as a float image with Pillow's
  antialiased bicubic filter and clipped to [0, 255], with no rounding back to uint8.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import torch
from PIL import Image

ResizeMode = Literal["tf1-bilinear", "pil-bicubic"]
RESIZE_MODES: tuple[str, ...] = get_args(ResizeMode)


def _tf1_axis(x: torch.Tensor, dim: int, out_size: int) -> torch.Tensor:
    """Linear interpolation along one axis with TF1's corner-aligned sampling grid."""
    in_size = x.shape[dim]
    if in_size == out_size:
        return x
    source = torch.arange(out_size, dtype=torch.float64, device=x.device) * (in_size / out_size)
    lower = source.floor().long()
    upper = (lower + 1).clamp(max=in_size - 1)
    shape = [1] * x.ndim
    shape[dim] = out_size
    weight = (source - lower).to(x.dtype).reshape(shape)
    low, high = x.index_select(dim, lower), x.index_select(dim, upper)
    return low + (high - low) * weight


def tf1_bilinear(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize a float NCHW batch to ``size`` (h, w) exactly as TensorFlow 1 ``resize_bilinear``."""
    return _tf1_axis(_tf1_axis(x, 2, size[0]), 3, size[1])


def pil_bicubic(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize uint8 NCHW per channel as float images with Pillow's bicubic, clipped to [0, 255]."""
    array = images.cpu().numpy().astype(np.float32)
    height, width = size
    out = np.empty((*array.shape[:2], height, width), dtype=np.float32)
    for n, image in enumerate(array):
        for c, channel in enumerate(image):
            resized = Image.fromarray(channel).resize((width, height), Image.Resampling.BICUBIC)
            out[n, c] = np.asarray(resized)
    return torch.from_numpy(np.clip(out, 0.0, 255.0))


def resize_uint8(images: torch.Tensor, size: tuple[int, int], mode: ResizeMode) -> torch.Tensor:
    """uint8 NCHW -> float32 NCHW of ``size`` with pixel values in [0, 255], by ``mode``."""
    if mode == "pil-bicubic":
        return pil_bicubic(images, size).to(images.device)
    return tf1_bilinear(images.float(), size)
