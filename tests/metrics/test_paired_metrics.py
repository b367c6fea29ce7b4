"""SSIM, PSNR, L1 and sharpness difference: hand values and known properties."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganforge.metrics.measures.paired import gaussian_window, l1, psnr, sharpness_difference, ssim

images = st.integers(0, 2**31 - 1).map(
    lambda seed: torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(seed))
)


@settings(max_examples=20, deadline=None)
@given(x=images)
def test_ssim_of_an_image_with_itself_is_one(x: torch.Tensor) -> None:
    assert torch.allclose(ssim(x, x), torch.ones(2, dtype=torch.float64))


@settings(max_examples=20, deadline=None)
@given(x=images, y=images)
def test_ssim_is_symmetric_and_at_most_one(x: torch.Tensor, y: torch.Tensor) -> None:
    s = ssim(x, y)
    assert torch.allclose(s, ssim(y, x))
    assert (s <= 1 + 1e-12).all() and (s >= -1 - 1e-12).all()


def test_ssim_of_constant_images_is_the_luminance_term() -> None:
    """Without variance SSIM = (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1), C1 = (0.01 L)^2."""
    x, y = torch.full((1, 1, 16, 16), 0.5), torch.full((1, 1, 16, 16), 0.25)
    c1 = 0.01**2
    expected = (2 * 0.5 * 0.25 + c1) / (0.5**2 + 0.25**2 + c1)
    assert ssim(x, y).item() == pytest.approx(expected, rel=1e-9)
    assert ssim(x * 255, y * 255, data_range=255).item() == pytest.approx(expected, rel=1e-9)


def test_ssim_falls_as_noise_grows() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(1, 1, 32, 32, generator=gen)
    noise = torch.randn(1, 1, 32, 32, generator=gen)
    scores = [ssim(x, (x + s * noise).clamp(0, 1)).item() for s in (0.01, 0.05, 0.2, 0.5)]
    assert scores == sorted(scores, reverse=True)


def test_gaussian_window_is_normalised_and_symmetric() -> None:
    w = gaussian_window(11, 1.5)
    assert w.sum().item() == pytest.approx(1.0)
    assert torch.allclose(w, w.T) and torch.allclose(w, w.flip(0))
    assert w.argmax().item() == 5 * 11 + 5


def test_psnr_of_a_known_mse() -> None:
    x = torch.zeros(3, 1, 8, 8)
    y = torch.full((3, 1, 8, 8), 0.1)  # MSE 0.01 -> 10 log10(1 / 0.01) = 20 dB
    assert torch.allclose(psnr(x, y), torch.full((3,), 20.0, dtype=torch.float64))
    assert psnr(x * 255, y * 255, data_range=255)[0].item() == pytest.approx(20.0)
    assert math.isinf(psnr(x, x)[0].item())


def test_l1_hand_value() -> None:
    x = torch.zeros(1, 1, 2, 2)
    y = torch.tensor([[[[0.0, 0.2], [0.4, 0.6]]]])
    assert l1(x, y).item() == pytest.approx(0.3)


def test_sharpness_difference_of_one_vertical_edge() -> None:
    """A step edge against a flat image: one unit gradient per interior row, so the mean
    gradient difference over the (H-1) x (W-1) interior is 1 / (W-1): 10 log10(W-1) dB."""
    flat = torch.zeros(1, 1, 11, 11)
    step = flat.clone()
    step[..., 6:] = 1.0
    assert sharpness_difference(flat, step).item() == pytest.approx(10 * math.log10(10))
    assert math.isinf(sharpness_difference(step, step).item())
    assert math.isinf(sharpness_difference(step, step + 0.25).item())  # shifts keep gradients


def test_shapes_must_match() -> None:
    with pytest.raises(ValueError, match="one shape"):
        ssim(torch.zeros(1, 1, 16, 16), torch.zeros(1, 3, 16, 16))
    with pytest.raises(ValueError, match="at least that large"):
        ssim(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))
