"""2x resampling: nearest / average pooling (ProGAN) and [1, 2, 1] binomial-filtered (StyleGAN).

Nearest-neighbour upsampling followed by the separable [1, 2, 1] / 4 blur is exactly bilinear
upsampling (half-pixel centres); blurring before 2x2 average pooling is the [1, 3, 3, 1] / 8
filter, the bilinear-style low-pass downsampler. Borders are replicated so edges do not darken.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def binomial_kernel(taps: tuple[float, ...] = (1.0, 2.0, 1.0)) -> torch.Tensor:
    """The normalised 2-D outer product of a 1-D binomial filter."""
    k = torch.tensor(taps)
    k2 = torch.outer(k, k)
    return k2 / k2.sum()


def blur(x: torch.Tensor, kernel: torch.Tensor | None = None) -> torch.Tensor:
    """Depthwise [1, 2, 1] low-pass filter with replicated borders (same size out)."""
    k = binomial_kernel() if kernel is None else kernel
    c = x.shape[1]
    pad = k.shape[-1] // 2
    weight = k.to(x)[None, None].expand(c, 1, *k.shape)
    return F.conv2d(F.pad(x, (pad, pad, pad, pad), mode="replicate"), weight, groups=c)


def upsample_nearest(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Nearest-neighbour upsampling by an integer factor."""
    return x if factor == 1 else x.repeat_interleave(factor, -2).repeat_interleave(factor, -1)


def downsample_avg(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Average pooling by an integer factor."""
    return x if factor == 1 else F.avg_pool2d(x, factor)


def blur_upsample(x: torch.Tensor) -> torch.Tensor:
    """2x nearest upsampling then the binomial blur (= bilinear)."""
    return blur(upsample_nearest(x))


def blur_downsample(x: torch.Tensor) -> torch.Tensor:
    """The binomial blur then 2x2 average pooling."""
    return downsample_avg(blur(x))


class Blur(nn.Module):
    """Module form of blur (a fixed filter buffer, not trained)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("kernel", binomial_kernel(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Blurred x."""
        return blur(x, self.kernel)
