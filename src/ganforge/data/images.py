"""Image I/O without torchvision: decoding any PIL mode to uint8 L/RGB, resizing, cropping."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps

IMAGE_EXTENSIONS = {
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".gif",
    ".tif",
    ".tiff",
    ".webp",
    ".ppm",
    ".pgm",
    ".pbm",
}

# Transparent pixels are composited onto this colour, so "RGBA" never leaks hidden colours.
BACKGROUND = (255, 255, 255)

# Images above this many pixels are refused before they are decoded: 8192 x 8192, four times
# the largest data.size. A small PNG can decode to hundreds of megapixels (a "decompression
# bomb"); this limit replaces Pillow's warning (above 89 M pixels), which would only print.
DEFAULT_MAX_PIXELS = 8192 * 8192
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class ImageTooLarge(ValueError):
    """An image whose decoded size is over the pixel limit."""


def _high_bit_depth_to_uint8(image: Image.Image) -> Image.Image:
    """Scale 16/32-bit integer and float images to 8 bits instead of clipping them."""
    array = np.asarray(image)
    if image.mode == "F":
        hi = 1.0 if float(np.nanmax(array, initial=0.0)) <= 1.0 else 255.0
        scaled = np.clip(np.nan_to_num(array) / hi * 255.0, 0, 255)
    else:  # I;16*, I: PNG 16-bit grayscale decodes to these modes
        scaled = np.clip(array.astype(np.float64) / 257.0, 0, 255)
    return Image.fromarray(np.round(scaled).astype(np.uint8), mode="L")


def to_mode(image: Image.Image, channels: int) -> Image.Image:
    """Convert any PIL image to 'L' (channels=1) or 'RGB' (channels=3) correctly."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = _high_bit_depth_to_uint8(image)
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
        image = Image.alpha_composite(canvas, rgba).convert("RGB")
    if image.mode == "CMYK":
        image = image.convert("RGB")
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    target = "L" if channels == 1 else "RGB"
    return image if image.mode == target else image.convert(target)


def load_image(
    path: str | Path | BinaryIO, channels: int = 3, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> np.ndarray:
    """Decode an image file fully (raising on truncation) into uint8 HWC with 1 or 3 channels.

    An image over ``max_pixels`` (None: no limit) raises ImageTooLarge before it is decoded."""
    with Image.open(path) as image:
        width, height = image.size
        if max_pixels is not None and width * height > max_pixels:
            raise ImageTooLarge(
                f"{width}x{height} is {width * height / 1e6:.0f} M pixels, over the limit of "
                f"{max_pixels / 1e6:.0f} M (raise data.max_pixels to use it)"
            )
        image.load()  # full decode: truncated files raise here, not later
        image = ImageOps.exif_transpose(image)
        converted = to_mode(image, channels)
    array = np.asarray(converted, dtype=np.uint8)
    return array[:, :, None] if array.ndim == 2 else array


def resize_center_crop(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize uint8 HWC so it covers ``size`` (h, w) keeping aspect, then centre-crop."""
    height, width = array.shape[:2]
    th, tw = size
    if (height, width) == (th, tw):
        return array
    scale = max(th / height, tw / width)
    new_h, new_w = max(th, round(height * scale)), max(tw, round(width * scale))
    squeeze = array.shape[2] == 1
    image = Image.fromarray(array[:, :, 0] if squeeze else array)
    image = image.resize((new_w, new_h), Image.Resampling.BICUBIC)
    top, left = (new_h - th) // 2, (new_w - tw) // 2
    image = image.crop((left, top, left + tw, top + th))
    out = np.asarray(image, dtype=np.uint8)
    return out[:, :, None] if out.ndim == 2 else out


def resize_stretch(
    array: np.ndarray,
    size: tuple[int, int],
    resample: Image.Resampling = Image.Resampling.BICUBIC,
) -> np.ndarray:
    """Resize uint8 HWC to exactly ``size`` (h, w) (bicubic unless ``resample`` says otherwise),
    without keeping the aspect ratio."""
    if array.shape[:2] == tuple(size):
        return array
    squeeze = array.shape[2] == 1
    image = Image.fromarray(array[:, :, 0] if squeeze else array)
    out = np.asarray(image.resize((size[1], size[0]), resample), dtype=np.uint8)
    return out[:, :, None] if out.ndim == 2 else out


def resize_batch(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a uint8 NCHW batch to ``size`` with resize_center_crop."""
    if images.shape[2:] == tuple(size):
        return images
    hwc = images.transpose(0, 2, 3, 1)
    out = np.stack([resize_center_crop(im, size) for im in hwc])
    return out.transpose(0, 3, 1, 2).copy()


def as_size(size: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    """Normalise an int or (h, w) pair to (h, w)."""
    if isinstance(size, int):
        return (size, size)
    h, w = size
    return (int(h), int(w))
