"""Pix2Pix and CycleGAN architectures: the published parameter counts, shapes, receptive fields."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError, GanforgeError
from ganforge.models.cyclegan import ResidualBlock, cyclegan, down, up
from ganforge.models.pix2pix import UNetGenerator, pix2pix, unet_depth
from ganforge.nn.dropout import SeededDropout, drawing_from
from ganforge.nn.patchgan import (
    PatchDiscriminator,
    conv_layers,
    patch_output_side,
    receptive_field,
    receptive_field_progression,
)


def info(kind: str, size: int, ca: int = 3, cb: int = 3) -> DataInfo:
    return DataInfo("t", kind, (cb, size, size), 1, extra={"channels_a": ca})  # type: ignore[arg-type]


def trainable(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def with_bn_statistics(module: nn.Module) -> int:
    """Keras-style count: batch-norm moving mean and variance count as (frozen) parameters."""
    stats = sum(b.numel() for n, b in module.named_buffers() if n.endswith(("mean", "var")))
    return trainable(module) + stats


def test_pix2pix_official_counts_and_patch_output() -> None:
    models = pix2pix(info("paired", 256))
    assert trainable(models.g) == 54_413_955
    assert trainable(models.d) == 2_768_705
    assert models.d(torch.zeros(1, 6, 256, 256)).shape == (1, 1, 30, 30)
    assert models.d.receptive_field() == 70


def test_pix2pix_tutorial_variant_by_configuration() -> None:
    models = pix2pix(
        info("paired", 256), g_bias=True, patch_layers=4, d_bias=True, d_same_padding=True
    )
    assert with_bn_statistics(models.g) == 54_429_315
    assert with_bn_statistics(models.d) == 6_968_257
    assert models.d(torch.zeros(1, 6, 256, 256)).shape == (1, 1, 16, 16)
    assert models.d.receptive_field() == 142


def test_cyclegan_official_and_tutorial_counts() -> None:
    models = cyclegan(info("unpaired", 256))
    assert trainable(models.g_ab) == 11_378_179
    assert trainable(models.d_b) == 2_764_737
    tutorial = cyclegan(info("unpaired", 256), patch_layers=4, d_norm="instance-affine")
    assert trainable(tutorial.d_a) == 6_962_369


TUTORIAL_CYCLEGAN_G = {
    "g_residual": "concat",
    "g_same_padding": True,
    "g_out_norm": True,
    "g_norm": "instance-affine",
}


def test_cyclegan_tutorial_generator_count() -> None:
    """The Keras CycleGAN tutorial's generator (9 concatenating blocks, 3 -> 3 channels).

    By hand, every conv with a bias and every instance norm with a scale and a shift (2C):
    c7s1-64: 7*7*3*64 + 64 + 128 = 9,600; d128: 3*3*64*128 + 128 + 256 = 74,112;
    d256: 3*3*128*256 + 256 + 512 = 295,680. Block k (k = 1..9) takes 256k channels (each
    block's output is its 256 plus its input): 3*3*256k*256 + 256 + 512 (first conv, norm)
    + 3*3*256*256 + 256 + 512 (second) = 589,824k + 591,360; over k = 1..9:
    589,824 * 45 + 591,360 * 9 = 31,864,320. u128 from 2,560 channels:
    3*3*2560*128 + 128 + 256 = 2,949,504; u64: 3*3*128*64 + 64 + 128 = 73,920;
    c7s1-3 with its norm: 7*7*64*3 + 3 + 6 = 9,417. Sum: 35,276,553, the total the
    tutorial's Keras model summary prints.
    """
    g = cyclegan(info("unpaired", 256), **TUTORIAL_CYCLEGAN_G).g_ab  # type: ignore[arg-type]
    assert trainable(g) == with_bn_statistics(g) == 35_276_553
    blocks = [m for m in g.modules() if isinstance(m, ResidualBlock)]
    assert [b.out_channels for b in blocks] == [256 * (k + 1) for k in range(1, 10)]
    assert g(torch.zeros(1, 3, 64, 64)).shape == (1, 3, 64, 64)
    assert not any(isinstance(m, nn.ReflectionPad2d) for m in g.modules())
    assert isinstance(list(g.net)[-2], nn.InstanceNorm2d)  # normalised before the tanh
    official = cyclegan(info("unpaired", 32), g_width=8).g_ab
    assert not isinstance(list(official.net)[-2], nn.InstanceNorm2d)


def test_tensorflow_same_padding_alignment_by_hand() -> None:
    """'same' stride-2 convs pad only after (TensorFlow), PyTorch's padding=1 on both sides."""
    x = torch.arange(36.0).reshape(1, 1, 6, 6)
    for same, first, last in (
        (True, x[..., :3, :3], x[..., 4:, 4:]),
        (False, x[..., :2, :2], None),
    ):
        conv = nn.Sequential(*down(1, 1, False, same))
        nn.init.ones_(conv[-1].weight)
        with torch.no_grad():
            y = conv(x)
        assert y.shape == (1, 1, 3, 3) and y[0, 0, 0, 0] == first.sum()
        if last is not None:
            assert y[0, 0, -1, -1] == last.sum()  # the padded row and column add nothing
    spike = torch.zeros(1, 1, 3, 3)
    spike[0, 0, 0, 0] = 1.0
    kernel = torch.arange(9.0).reshape(1, 1, 3, 3)
    for same, seen in ((True, kernel[..., :, :]), (False, kernel[..., 1:, 1:])):
        deconv = up(1, 1, False, same)
        with torch.no_grad():
            deconv.weight.copy_(kernel)
            y = deconv(spike)
        assert y.shape == (1, 1, 6, 6)
        side = seen.shape[-1]
        torch.testing.assert_close(y[..., :side, :side], seen)


KERAS_CHECK = """
import os; os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, torch, tensorflow as tf
from ganforge.models.cyclegan import conv, down, up
x = np.random.default_rng(0).normal(size=(2, 8, 8, 5)).astype(np.float32)
t = torch.from_numpy(x).permute(0, 3, 1, 2)
pairs = [
    (conv(5, 4, 7, True, True)[0], tf.keras.layers.Conv2D(4, 7, padding="same")),
    (down(5, 4, True, True), tf.keras.layers.Conv2D(4, 3, strides=2, padding="same")),
    (up(5, 4, True, True), tf.keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same")),
]
for ours, keras in pairs:
    ours = torch.nn.Sequential(*ours) if isinstance(ours, list) else ours
    layer = [m for m in ours.modules() if hasattr(m, "weight")][-1]
    keras.build(x.shape)  # both kernels' Keras layout is (kh, kw, out or in, in or out)
    kernel = layer.weight.detach().numpy().transpose(2, 3, 1, 0)
    keras.set_weights([kernel, layer.bias.detach().numpy()])
    mine = ours(t).permute(0, 2, 3, 1).detach().numpy()
    print(float(np.abs(mine - keras(x).numpy()).max()))
"""


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow")
def test_same_padding_layers_equal_keras() -> None:
    """The tutorial variant's 7x7, stride-2 and transposed convs equal Keras' 'same' layers."""
    done = subprocess.run(  # TensorFlow stays out of the test process
        [sys.executable, "-c", KERAS_CHECK], capture_output=True, text=True, check=True
    )
    errors = [float(v) for v in done.stdout.split()]
    assert len(errors) == 3 and max(errors) < 1e-5, done.stdout


@pytest.mark.parametrize(("size", "blocks"), [(256, 9), (128, 6), (32, 6)])
def test_resnet_blocks_follow_image_size(size: int, blocks: int) -> None:
    g = cyclegan(info("unpaired", size), g_width=8, d_width=8).g_ab
    assert sum(isinstance(m, ResidualBlock) for m in g.modules()) == blocks


def test_receptive_field_progression_of_the_70x70_patchgan() -> None:
    layers = conv_layers(PatchDiscriminator(6))
    progression = receptive_field_progression(layers)
    print("receptive field, output back to input:", ", ".join(map(str, progression)))
    assert progression == [1, 4, 7, 16, 34, 70]
    assert receptive_field(layers) == 70


@pytest.mark.parametrize(("n_layers", "field"), [(0, 1), (1, 16), (2, 34), (3, 70), (5, 286)])
def test_pixelgan_to_imagegan(n_layers: int, field: int) -> None:
    """0: PixelGAN (1x1); 3: 70x70; 5: ImageGAN (286 covers a 256 image)."""
    assert PatchDiscriminator(6, 8, n_layers).receptive_field() == field


def test_unet_depth_follows_size() -> None:
    assert unet_depth((256, 256)) == 8
    assert unet_depth((128, 128)) == 7
    assert unet_depth((32, 64)) == 5
    with pytest.raises(ConfigError, match="divisible by 32"):
        unet_depth((48, 48))


@settings(max_examples=8, deadline=None)
@given(
    log_size=st.integers(3, 6),
    ca=st.sampled_from([1, 3]),
    cb=st.sampled_from([1, 3]),
    n=st.integers(1, 3),
)
def test_unet_maps_any_power_of_two_size_to_itself(log_size: int, ca: int, cb: int, n: int) -> None:
    size = 2**log_size
    g = UNetGenerator(ca, cb, (size, size), width=4, norm="instance")
    out = g(torch.randn(n, ca, size, size))
    assert out.shape == (n, cb, size, size)
    assert out.abs().max() <= 1


def test_weights_are_drawn_from_n0_002() -> None:
    g = pix2pix(info("paired", 32), g_width=32).g
    weights = torch.cat([m.weight.flatten() for m in g.modules() if isinstance(m, nn.Conv2d)])
    assert abs(weights.std().item() - 0.02) < 0.002
    assert abs(weights.mean().item()) < 0.002


def test_test_mode_train_keeps_dropout_at_inference() -> None:
    x = torch.randn(2, 3, 32, 32)
    paper = pix2pix(info("paired", 32), g_width=8).g.eval()
    assert not torch.equal(paper(x), paper(x))  # dropout on, as in the paper
    fixed = pix2pix(info("paired", 32), g_width=8, test_mode="eval").g.eval()
    assert torch.equal(fixed(x), fixed(x))


def test_translate_draws_dropout_from_its_generator_only() -> None:
    x = torch.randint(0, 256, (5, 3, 16, 16), dtype=torch.uint8)
    g = UNetGenerator(3, 3, (16, 16), width=4).eval()  # test_mode=train: dropout on
    torch.manual_seed(1)
    first = g.translate(x, 2, torch.Generator().manual_seed(7))
    after = torch.get_rng_state()
    torch.manual_seed(2)  # another global state: same translations for the same seed
    assert torch.equal(first, g.translate(x, 2, torch.Generator().manual_seed(7)))
    assert not torch.equal(first, g.translate(x, 2, torch.Generator().manual_seed(8)))
    torch.manual_seed(1)
    g.translate(x, 2, torch.Generator().manual_seed(7))
    assert torch.equal(torch.get_rng_state(), after)  # the global generator was not drawn from


@given(p=st.sampled_from([0.0, 0.3, 0.5, 1.0]), seed=st.integers(0, 2**31))
@settings(max_examples=20, deadline=None)
def test_seeded_dropout_is_nn_dropout_without_a_generator(p: float, seed: int) -> None:
    x = torch.randn(4, 6, 5)
    layer, plain = SeededDropout(p), nn.Dropout(p)
    torch.manual_seed(seed)
    expected = plain(x)
    torch.manual_seed(seed)
    assert torch.equal(layer(x), expected)  # training draws as before: resume stays exact
    with drawing_from(layer, torch.Generator().manual_seed(seed)):
        masked = layer(x)
    kept = masked != 0  # x is Gaussian: no element is zero before the mask
    assert torch.allclose(masked[kept], x[kept] / (1 - p)) if p < 1 else not kept.any()
    if p == 0:
        assert kept.all()
    assert layer.generator is None
    with drawing_from(layer, torch.Generator().manual_seed(seed)):
        assert torch.equal(layer(x), masked)
        assert torch.equal(layer.eval()(x), x)


def test_translators_have_no_latent_space() -> None:
    g = pix2pix(info("paired", 32), g_width=8).g
    with pytest.raises(GanforgeError, match="ganforge translate"):
        g.latent(4)


def test_families_check_the_dataset_kind() -> None:
    with pytest.raises(ConfigError, match="needs a paired dataset"):
        pix2pix(info("image", 32))
    with pytest.raises(ConfigError, match="needs a unpaired dataset"):
        cyclegan(info("paired", 32))


@settings(max_examples=25, deadline=None)
@given(side=st.integers(4, 80), n_layers=st.integers(0, 4), same=st.booleans())
def test_patch_output_side_matches_the_network(side: int, n_layers: int, same: bool) -> None:
    d = PatchDiscriminator(1, 2, n_layers, "none", None, same)
    expected = patch_output_side(side, n_layers, same)
    if expected == 0:
        with pytest.raises(RuntimeError):
            d(torch.zeros(1, 1, side, side))
    else:
        assert d(torch.zeros(1, 1, side, side)).shape[-1] == expected


def test_too_small_images_name_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"lower model\.patch_layers"):
        pix2pix(info("paired", 16), g_width=4, d_width=4)
    assert pix2pix(info("paired", 16), g_width=4, d_width=4, patch_layers=2).d is not None
