"""CycleGAN (Zhu et al. 2017): two ResNet generators and two PatchGAN discriminators.

Generator: c7s1-64, d128, d256, R256 x 9 (256 inputs) or x 6 (smaller), u128, u64, c7s1-C with
instance normalisation, reflection padding, residual additions and a tanh output.
Discriminators: the 70 x 70 PatchGAN with instance normalisation. Weights from N(0, 0.02).

The Keras CycleGAN tutorial's generator is selected by configuration (``g_residual=concat``,
``g_same_padding``, ``g_out_norm``, ``g_norm=instance-affine``): its "residual" blocks concatenate
their input to their output, so each widens the features by 256 channels (2,560 after nine);
it pads with zeros the TensorFlow 'same' way and normalises before the tanh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.base import DOutput, Translator, check_patch_fits, translation_channels
from ganforge.nn.dropout import SeededDropout
from ganforge.nn.norm import ImageNorm, init_dcgan, norm_layer
from ganforge.nn.patchgan import PatchDiscriminator
from ganforge.registry import MODELS

Residual = Literal["add", "concat"]


class SameConvTranspose2d(nn.ConvTranspose2d):
    """TensorFlow's 'same' transposed conv (stride 2): the first 2n rows and columns of the full
    output, where PyTorch's ``padding=1, output_padding=1`` takes rows 1 to 2n."""

    def forward(self, x: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        """The full transposed convolution, cropped at the bottom and right."""
        h, w = x.shape[-2:]
        return super().forward(x)[..., : 2 * h, : 2 * w]


def conv(c_in: int, c_out: int, kernel: int, bias: bool, same: bool) -> list[nn.Module]:
    """A stride-1 conv that keeps the size: reflection padding, or zeros ('same')."""
    if same:
        return [nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=bias)]
    return [nn.ReflectionPad2d(kernel // 2), nn.Conv2d(c_in, c_out, kernel, bias=bias)]


def down(c_in: int, c_out: int, bias: bool, same: bool) -> list[nn.Module]:
    """3x3 stride-2 conv halving an even size: padded 1 each side, or 'same' (0 before, 1 after)."""
    if same:
        return [nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(c_in, c_out, 3, 2, bias=bias)]
    return [nn.Conv2d(c_in, c_out, 3, 2, 1, bias=bias)]


def up(c_in: int, c_out: int, bias: bool, same: bool) -> nn.Module:
    """3x3 stride-2 transposed conv doubling the size (PyTorch's alignment or TensorFlow's)."""
    if same:
        return SameConvTranspose2d(c_in, c_out, 3, 2, bias=bias)
    return nn.ConvTranspose2d(c_in, c_out, 3, 2, 1, output_padding=1, bias=bias)


class ResidualBlock(nn.Module):
    """f = (3x3 conv, norm, ReLU, [dropout], 3x3 conv, norm), joined with the input x.

    ``join='add'``: x + f(x) (the paper). ``join='concat'``: cat(f(x), x), the Keras tutorial's
    block, whose output has ``in_channels + channels`` channels.
    """

    def __init__(
        self,
        channels: int,
        norm: str,
        bias: bool,
        dropout: float,
        *,
        in_channels: int | None = None,
        join: Residual = "add",
        same_padding: bool = False,
    ) -> None:
        super().__init__()
        self.join = join
        c_in = channels if in_channels is None else in_channels
        layers: list[nn.Module] = [
            *conv(c_in, channels, 3, bias, same_padding),
            norm_layer(norm, channels),
            nn.ReLU(True),
        ]
        if dropout > 0:
            layers.append(SeededDropout(dropout))
        layers += [*conv(channels, channels, 3, bias, same_padding), norm_layer(norm, channels)]
        self.block = nn.Sequential(*layers)
        self.out_channels = channels + c_in if join == "concat" else channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The residual sum, or the block's output and its input side by side."""
        if self.join == "concat":
            return torch.cat([self.block(x), x], 1)
        return x + self.block(x)


class ResnetGenerator(Translator):
    """Two stride-2 downsamplings, residual blocks, two transposed-conv upsamplings.

    ``residual``, ``same_padding`` and ``out_norm`` select the Keras tutorial's variant
    (concatenating blocks, zero 'same' padding, a norm before the tanh); the defaults are the
    official code's.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        width: int = 64,
        n_blocks: int = 9,
        norm: str = "instance",
        dropout: float = 0.0,
        residual: Residual = "add",
        same_padding: bool = False,
        out_norm: bool = False,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        bias = norm != "batch"
        layers: list[nn.Module] = [
            *conv(in_channels, width, 7, bias, same_padding),
            norm_layer(norm, width),
            nn.ReLU(True),
        ]
        ch = width
        for _ in range(2):
            layers += [
                *down(ch, ch * 2, bias, same_padding),
                norm_layer(norm, ch * 2),
                nn.ReLU(True),
            ]
            ch *= 2
        c_in = ch
        for _ in range(n_blocks):
            block = ResidualBlock(
                ch, norm, bias, dropout, in_channels=c_in, join=residual, same_padding=same_padding
            )
            layers.append(block)
            c_in = block.out_channels
        for _ in range(2):
            layers += [
                up(c_in, ch // 2, bias, same_padding),
                norm_layer(norm, ch // 2),
                nn.ReLU(True),
            ]
            ch //= 2
            c_in = ch
        layers += conv(ch, out_channels, 7, True, same_padding)
        if out_norm:
            layers.append(norm_layer(norm, out_channels))
        layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Translated images in [-1, 1]."""
        return self.net(x)


@dataclass
class CycleGANModels:
    """G_AB: A -> B, G_BA: B -> A; D_B judges domain B, D_A judges domain A."""

    g_ab: ResnetGenerator
    g_ba: ResnetGenerator
    d_a: PatchDiscriminator
    d_b: PatchDiscriminator

    def generators(self) -> dict[str, nn.Module]:
        """The two translators by checkpoint name."""
        return {"g_ab": self.g_ab, "g_ba": self.g_ba}


def cyclegan_limits(size: tuple[int, int], params: Mapping[str, Any]) -> None:
    """Sides divisible by 4 (two stride-2 stages) and a PatchGAN that fits."""
    h, w = size
    if h % 4 or w % 4:
        raise ConfigError(f"cyclegan needs image sides divisible by 4, got {h}x{w} (data.size)")
    check_patch_fits(size, params["patch_layers"], params["d_same_padding"])


@MODELS.register("cyclegan", recipe="cyclegan", data_kind="unpaired", limits=cyclegan_limits)
def cyclegan(
    info: DataInfo,
    d_output: DOutput = "score",
    *,
    g_width: int = 64,
    d_width: int = 64,
    g_depth: int | None = None,
    patch_layers: int = 3,
    g_norm: ImageNorm = "instance",
    d_norm: ImageNorm = "instance",
    d_bias: bool | None = None,
    d_same_padding: bool = False,
    dropout: float = 0.0,
    g_residual: Residual = "add",
    g_same_padding: bool = False,
    g_out_norm: bool = False,
) -> CycleGANModels:
    """ResNet generators (g_depth: 9 blocks at 256, else 6) + 70x70 PatchGANs, instance norm.

    The Keras tutorial's generator: ``g_residual=concat g_same_padding=true g_out_norm=true
    g_norm=instance-affine``.
    """
    if d_output != "score":
        raise ConfigError("cyclegan trains scoring PatchGANs; use loss.name=cyclegan")
    ca, cb = translation_channels(info, "unpaired", "cyclegan")
    cyclegan_limits(info.size, {"patch_layers": patch_layers, "d_same_padding": d_same_padding})
    h, w = info.size
    blocks = g_depth if g_depth is not None else (9 if min(h, w) >= 256 else 6)
    variant = (g_residual, g_same_padding, g_out_norm)
    models = CycleGANModels(
        ResnetGenerator(ca, cb, g_width, blocks, g_norm, dropout, *variant),
        ResnetGenerator(cb, ca, g_width, blocks, g_norm, dropout, *variant),
        PatchDiscriminator(ca, d_width, patch_layers, d_norm, d_bias, d_same_padding),
        PatchDiscriminator(cb, d_width, patch_layers, d_norm, d_bias, d_same_padding),
    )
    for module in (models.g_ab, models.g_ba, models.d_a, models.d_b):
        init_dcgan(module)
    return models
