"""The progressive-growing layers against hand computations and their defining properties."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from ganforge.nn.adain import AdaIN, adaptive_instance_norm
from ganforge.nn.equalized import EqualizedConv2d, EqualizedLinear
from ganforge.nn.minibatch_std import group_size_for, minibatch_std
from ganforge.nn.noise import NoiseInjection
from ganforge.nn.pixel_norm import pixel_norm
from ganforge.nn.resample import blur, blur_downsample, blur_upsample


def test_equalized_linear_stores_unit_normal_weights_and_scales_by_he_at_run_time() -> None:
    torch.manual_seed(0)
    layer = EqualizedLinear(400, 300)
    assert layer.weight.std().item() == pytest.approx(1.0, abs=0.01)
    assert torch.all(layer.bias == 0)
    assert layer.scale == pytest.approx(math.sqrt(2 / 400))
    x = torch.randn(5, 400)
    expected = x @ (layer.weight * math.sqrt(2 / 400)).T
    torch.testing.assert_close(layer(x), expected)


def test_equalized_conv_uses_fan_in_of_the_whole_kernel() -> None:
    torch.manual_seed(0)
    conv = EqualizedConv2d(8, 4, 3, gain=1.0)
    assert conv.scale == pytest.approx(1 / math.sqrt(8 * 9))
    x = torch.randn(2, 8, 5, 5)
    expected = F.conv2d(x, conv.weight / math.sqrt(72), conv.bias, padding=1)
    torch.testing.assert_close(conv(x), expected)


def test_lr_multiplier_keeps_initial_scale_but_slows_adam_steps() -> None:
    torch.manual_seed(0)
    slow = EqualizedLinear(256, 256, lr_mul=0.01)
    # the effective weights start with the He standard deviation whatever lr_mul is
    assert slow.effective_weight().std().item() == pytest.approx(math.sqrt(2 / 256), rel=0.02)
    before = slow.effective_weight().detach().clone()
    opt = torch.optim.Adam(slow.parameters(), lr=0.1, eps=1e-12)
    slow(torch.randn(4, 256)).square().sum().backward()
    opt.step()
    change = (slow.effective_weight().detach() - before).abs()
    # Adam's first step moves every stored weight by lr, so the applied weights move lr * scale
    torch.testing.assert_close(change, torch.full_like(change, 0.1 * slow.scale))


def test_pixel_norm_matches_a_hand_computation() -> None:
    x = torch.tensor([3.0, 4.0]).view(1, 2, 1, 1)
    expected = torch.tensor([3.0, 4.0]) / math.sqrt((9 + 16) / 2 + 1e-8)
    torch.testing.assert_close(pixel_norm(x).flatten(), expected)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 16), st.floats(0.01, 100.0))
def test_pixel_norm_gives_unit_mean_square_feature_vectors(
    n: int, c: int, magnitude: float
) -> None:
    x = torch.randn(n, c, 3, 3, generator=torch.Generator().manual_seed(c)) * magnitude
    ms = x.square().mean(1)
    # mean square ms / (ms + eps): 1 up to the epsilon that guards all-zero pixels
    torch.testing.assert_close(pixel_norm(x).square().mean(1), ms / (ms + 1e-8))


def test_minibatch_std_over_the_whole_batch_matches_a_hand_computation() -> None:
    # two features (1x1 maps) over a batch of four: population stds sqrt(5) and sqrt(0.75)
    x = torch.tensor([[1.0, 0.0], [3.0, 0.0], [5.0, 0.0], [7.0, 2.0]]).view(4, 2, 1, 1)
    out = minibatch_std(x, group_size=None, eps=0.0)
    assert out.shape == (4, 3, 1, 1)
    torch.testing.assert_close(out[:, :2], x)
    expected = (math.sqrt(5.0) + math.sqrt(0.75)) / 2
    torch.testing.assert_close(out[:, 2].flatten(), torch.full((4,), expected))


def test_minibatch_std_groups_take_every_other_sample_as_in_the_reference() -> None:
    x = torch.tensor([0.0, 10.0, 2.0, 10.0]).view(4, 1, 1, 1)
    out = minibatch_std(x, group_size=2, eps=0.0)[:, 1].flatten()
    # groups {0, 2} (std 1) and {1, 3} (std 0)
    torch.testing.assert_close(out, torch.tensor([1.0, 0.0, 1.0, 0.0]))


def test_minibatch_std_map_is_constant_over_pixels() -> None:
    x = torch.randn(6, 3, 4, 4)
    extra = minibatch_std(x, group_size=4)[:, 3]
    assert torch.all(extra == extra[:, :1, :1])


@given(st.integers(1, 64), st.integers(1, 8))
def test_group_size_divides_the_batch(n: int, group: int) -> None:
    g = group_size_for(n, group)
    assert n % g == 0 and 1 <= g <= max(1, min(n, group))


def test_adaptive_instance_norm_matches_a_hand_computation() -> None:
    x = torch.tensor([1.0, 2.0, 3.0, 4.0]).view(1, 1, 2, 2)
    out = adaptive_instance_norm(x, torch.tensor([[2.0]]), torch.tensor([[1.0]]), eps=0.0)
    expected = 2 * (torch.tensor([1.0, 2.0, 3.0, 4.0]) - 2.5) / math.sqrt(1.25) + 1
    torch.testing.assert_close(out.flatten(), expected)


def test_adain_style_comes_from_w_and_a_zero_style_is_instance_norm() -> None:
    torch.manual_seed(0)
    adain = AdaIN(3, 8)
    x = torch.randn(2, 3, 5, 5) * 4 + 2
    torch.testing.assert_close(
        adain(x, torch.zeros(2, 8)), F.instance_norm(x, eps=1e-8), atol=1e-5, rtol=1e-5
    )
    w = torch.randn(2, 8)
    out = adain(x, w)
    scale, bias = adain.style(w).split(3, dim=1)
    torch.testing.assert_close(out.mean((2, 3)), bias, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.std((2, 3), unbiased=False), scale.abs(), atol=1e-4, rtol=1e-4)


def test_noise_injection_adds_one_noise_image_with_per_channel_scales() -> None:
    layer = NoiseInjection(3)
    x = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(layer(x), x)  # scales start at zero
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([0.0, 1.0, -2.0]))
    noise = torch.randn(2, 1, 4, 4)
    out = layer(x, noise)
    for c, s in enumerate([0.0, 1.0, -2.0]):
        torch.testing.assert_close(out[:, c], x[:, c] + s * noise[:, 0])


def test_blurred_upsampling_is_bilinear() -> None:
    x = torch.randn(2, 3, 5, 7)
    expected = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    torch.testing.assert_close(blur_upsample(x), expected)


def test_blur_is_the_binomial_filter_and_preserves_constants() -> None:
    x = torch.zeros(1, 1, 5, 5)
    x[0, 0, 2, 2] = 16.0
    expected = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])
    torch.testing.assert_close(blur(x)[0, 0, 1:4, 1:4], expected)
    flat = torch.full((1, 2, 8, 8), 0.3)
    torch.testing.assert_close(blur_downsample(flat), torch.full((1, 2, 4, 4), 0.3))
