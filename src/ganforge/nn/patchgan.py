"""PatchGAN discriminators (Isola et al. 2017) and the receptive field of a conv stack.

A PatchGAN classifies every N x N patch of its input as real or fake and outputs a map of
scores. With ``n_layers`` stride-2 convolutions (C64-C128-C256 for the default 3), then a C512
stride-1 convolution and a 1-channel stride-1 convolution (all 4 x 4), each output sees a 70 x 70
patch. ``n_layers=0`` is the PixelGAN (1 x 1 convolutions); enough layers to cover the whole
image give the ImageGAN.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ganforge.nn.norm import norm_layer


def receptive_field_progression(layers: Sequence[tuple[int, int]]) -> list[int]:
    """Receptive fields from the output back: rf = (rf - 1) * stride + kernel per layer.

    ``layers`` are (kernel, stride) pairs from input to output; the list starts at 1 (one output
    unit) and ends with the receptive field of the whole stack.
    """
    fields = [1]
    for kernel, stride in reversed(list(layers)):
        fields.append((fields[-1] - 1) * stride + kernel)
    return fields


def receptive_field(layers: Sequence[tuple[int, int]]) -> int:
    """The receptive field (pixels a side) of one output unit of a stack of convolutions."""
    return receptive_field_progression(layers)[-1]


def conv_layers(module: nn.Module) -> list[tuple[int, int]]:
    """(kernel, stride) of every Conv2d in ``module``, in definition order."""
    return [
        (int(m.kernel_size[0]), int(m.stride[0]))
        for m in module.modules()
        if isinstance(m, nn.Conv2d)
    ]


def patch_output_side(side: int, n_layers: int, same_padding: bool = False) -> int:
    """Side of the score map for an input side (0 when the input is too small for the stack)."""
    if n_layers == 0:
        return side
    for _ in range(n_layers):  # 4x4, stride 2, padding 1
        side = (side - 2) // 2 + 1 if side >= 2 else 0
    for _ in range(2):  # 4x4, stride 1, padding 1 (or 'same')
        side = side if same_padding else (side - 1 if side >= 2 else 0)
    return max(side, 0)


def _stride1_conv(c_in: int, c_out: int, bias: bool, same: bool) -> list[nn.Module]:
    """A 4 x 4 stride-1 conv padded by 1 (official) or TensorFlow-'same' (1 before, 2 after)."""
    if same:
        return [nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(c_in, c_out, 4, 1, 0, bias=bias)]
    return [nn.Conv2d(c_in, c_out, 4, 1, 1, bias=bias)]


class PatchDiscriminator(nn.Module):
    """Conv stack that scores overlapping patches: (N, C, H, W) -> (N, 1, H', W') logits.

    ``bias=None`` follows the official code (no conv bias before batch norm; first and last convs
    always have one); ``bias=True`` puts a bias on every conv (the Keras tutorials).
    ``same_padding`` keeps the size through the stride-1 convs (TensorFlow ``'same'``: a 16 x 16
    output at 256 with 4 stride-2 layers) instead of the official padding of 1.
    """

    def __init__(
        self,
        in_channels: int,
        width: int = 64,
        n_layers: int = 3,
        norm: str = "batch",
        bias: bool | None = None,
        same_padding: bool = False,
    ) -> None:
        super().__init__()
        if n_layers < 0:
            raise ValueError(f"n_layers must be >= 0, got {n_layers}")
        use_bias = norm != "batch" if bias is None else bias
        if n_layers == 0:  # PixelGAN: 1 x 1 convolutions, each output sees one pixel
            layers: list[nn.Module] = [
                nn.Conv2d(in_channels, width, 1),
                nn.LeakyReLU(0.2, True),
                nn.Conv2d(width, width * 2, 1, bias=use_bias),
                norm_layer(norm, width * 2),
                nn.LeakyReLU(0.2, True),
                nn.Conv2d(width * 2, 1, 1, bias=use_bias),
            ]
            self.net = nn.Sequential(*layers)
            return
        layers = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        ch = width
        for n in range(1, n_layers):
            out = width * min(2**n, 8)
            layers += [
                nn.Conv2d(ch, out, 4, 2, 1, bias=use_bias),
                norm_layer(norm, out),
                nn.LeakyReLU(0.2, True),
            ]
            ch = out
        out = width * min(2**n_layers, 8)
        layers += [
            *_stride1_conv(ch, out, use_bias, same_padding),
            norm_layer(norm, out),
            nn.LeakyReLU(0.2, True),
            *_stride1_conv(out, 1, True, same_padding),
        ]
        self.net = nn.Sequential(*layers)

    def receptive_field(self) -> int:
        """Pixels a side that one output score sees."""
        return receptive_field(conv_layers(self))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Patch logits of shape (N, 1, H', W')."""
        return self.net(x)
