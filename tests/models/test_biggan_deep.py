"""BigGAN-deep at the reference resolutions 64, 128 and 256 (tiny widths): the stages, blocks per
resolution, bottlenecks, output shapes, the reference parameter counts at 128 and the CLI count."""

from __future__ import annotations

import math

import pytest
import torch

import ganforge.models.biggan as biggan_mod
from ganforge.data.base import DataInfo
from ganforge.models.base import count_parameters
from ganforge.models.biggan import G_OUT
from ganforge.models.biggan_deep import DeepDBlock, DeepGBlock, biggan_deep

from ..conftest import run_cli

TINY = dict(z_dim=16, g_width=8, d_width=8, shared_dim=8, g_attention=32, d_attention=32)


def info(size: int, classes: int = 3) -> DataInfo:
    """A 3-channel labelled image dataset of side ``size``."""
    return DataInfo(f"{size}", "image", (3, size, size), 1, n_classes=classes)


@pytest.mark.parametrize("size", [64, 128, 256])
def test_biggan_deep_generator_has_two_bottleneck_blocks_per_resolution(size: int) -> None:
    torch.manual_seed(0)
    g = biggan_deep(info(size), **TINY).g
    resolutions = [8 * 2**i for i in range(int(math.log2(size // 4)))]  # 8 .. size
    assert len(g.stages) == len(resolutions)
    shapes: list[tuple[int, ...]] = []
    for stage, resolution in zip(g.stages, resolutions):
        blocks = [m for m in stage if isinstance(m, DeepGBlock)]
        assert len(blocks) == 2  # two per resolution
        assert len(stage) == 2 + (resolution == 32)  # attention after the 32x32 pair
        first, second = blocks
        assert not first.up and second.up  # the second block of a pair up-samples
        for block in blocks:  # bottleneck: the 3x3 convs work on a quarter of the channels
            c_in = block.conv1.in_channels
            assert block.conv2.in_channels == block.conv2.out_channels == c_in // 4
        assert first.conv4.out_channels == first.conv1.in_channels  # keeps its channels
        second.register_forward_hook(lambda m, args, out: shapes.append(tuple(out.shape[1:])))
    x = g(torch.randn(2, 16), torch.tensor([0, 2]))
    assert x.shape == (2, 3, size, size) and x.abs().max() <= 1
    assert shapes == [(8 * m, r, r) for m, r in zip(G_OUT[size], resolutions)]


@pytest.mark.parametrize("size", [64, 128, 256])
def test_biggan_deep_discriminator_halves_the_resolution_once_per_pair(size: int) -> None:
    torch.manual_seed(0)
    d = biggan_deep(info(size), **TINY).d
    n = int(math.log2(size // 4))  # pairs down to 4x4
    assert len(d.stages) == n
    shapes: list[int] = []
    for i, stage in enumerate(d.stages):
        blocks = [m for m in stage if isinstance(m, DeepDBlock)]
        assert len(blocks) == 2 and blocks[0].down and not blocks[1].down
        assert len(stage) == 2 + (size // 2 ** (i + 1) == 32)  # attention at 32x32
        for block in blocks:
            assert block.conv2.in_channels == block.conv4.out_channels // 4
        blocks[1].register_forward_hook(lambda m, args, out: shapes.append(out.shape[-1]))
    scores = d(torch.randn(2, 3, size, size), torch.tensor([1, 2]))
    assert scores.shape == (2,)
    assert shapes == [size // 2 ** (i + 1) for i in range(n)]


@pytest.mark.parametrize("size", [64, 128, 256])
def test_models_count_prints_biggan_deep_counts_at_each_resolution(
    size: int, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [f"--set=model.{k}={v}" for k, v in TINY.items()]
    code, out, err = run_cli(
        capsys, "models", "biggan-deep", "--count", "--size", str(size), "--classes", "3", *keys
    )
    assert code == 0, err
    models = biggan_deep(info(size), **TINY)
    assert f"biggan-deep at {size}x{size}, 3 channels, 3 classes" in out
    assert f"g: {count_parameters(models.g, trainable_only=False):,} parameters" in out
    assert f"d: {count_parameters(models.d, trainable_only=False):,} parameters" in out


def test_biggan_deep_parameter_counts_at_128_with_1000_classes_and_width_128(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(biggan_mod.INITS, "ortho", lambda weight: None)  # counts only
    models = biggan_deep(info(128, 1000))
    g = count_parameters(models.g, trainable_only=False)
    d = count_parameters(models.d, trainable_only=False)
    assert (g, d) == (50_244_484, 34_590_210)
    # BigGAN-PyTorch's counts; the paper's 50.4M / 34.6M are the TF-Hub module's, whose last
    # conv has 128 outputs (it keeps 3): (128 - 3) x (3 x 3 x 128 + 1) more weights than ours
    assert round((g + 125 * (9 * 128 + 1)) / 1e5) == 504 and round(d / 1e5) == 346
