"""Image-level measures from Borji's survey: sharpness, low-level statistics, reconstruction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.judges.reconstruction import invert
from ganforge.metrics.measures.lowlevel import (
    edge_statistics,
    grey,
    haar_details,
    mean_power_spectrum,
    radial_profile,
    sobel_magnitude,
    spectra,
    wavelet_statistics,
)
from ganforge.metrics.measures.sharpness import sharpness, sharpness_difference


def as_uint8(grey_levels: np.ndarray) -> torch.Tensor:
    """(N, H, W) values in [0, 1] as uint8 N1HW images."""
    return torch.as_tensor(np.rint(grey_levels * 255), dtype=torch.uint8)[:, None]


def checkerboard(n: int = 2, side: int = 8) -> np.ndarray:
    return np.tile(np.indices((side, side)).sum(0) % 2, (n, 1, 1)).astype(float)


def test_sharpness_difference_by_hand() -> None:
    flat = as_uint8(np.zeros((3, 6, 6)))
    board = as_uint8(checkerboard(3, 6))
    assert sharpness(flat).tolist() == [0.0] * 3
    assert sharpness(board).tolist() == [2.0] * 3  # |1| to the pixel above + |1| to the left
    result = sharpness_difference(flat, board)
    assert result.db == pytest.approx(10 * np.log10(1 / 2)) and result.fake == 2.0
    assert sharpness_difference(board, board).db == float("inf")
    with pytest.raises(GanforgeError, match="uint8 NCHW"):
        sharpness(torch.zeros(2, 1, 4, 4))


def test_power_spectrum_of_a_cosine_peaks_at_its_frequency() -> None:
    x = np.arange(16)
    wave = np.tile(0.5 + 0.5 * np.cos(2 * np.pi * 3 * x / 16), (2, 16, 1))
    profile = radial_profile(mean_power_spectrum(wave))
    assert profile.argmax() == 2  # radius 3 (the profile starts at radius 1)
    assert profile[2] / profile.sum() > 0.99


def test_haar_and_sobel_by_hand() -> None:
    details = haar_details(checkerboard(1, 4), levels=1)[0]
    # horizontal and vertical details vanish, every diagonal one is (0 - 1 - 1 + 0) / 2 = -1
    assert sorted(set(details.tolist())) == [-1.0, 0.0] and (details == -1).sum() == 4
    step = np.zeros((1, 3, 4))
    step[:, :, 2:] = 1.0
    assert sobel_magnitude(step)[0].tolist() == [[4.0, 4.0]]  # (1 + 2 + 1) on the edge


def test_low_level_statistics_are_zero_for_equal_sets_and_grow_with_blur() -> None:
    rng = np.random.default_rng(0)
    sharp = rng.uniform(0, 1, (8, 16, 16))
    blurred = (
        sharp + np.roll(sharp, 1, 1) + np.roll(sharp, 1, 2) + np.roll(sharp, (1, 1), (1, 2))
    ) / 4
    a, b = as_uint8(sharp), as_uint8(blurred)
    same = spectra(a, a)
    assert same.spectrum == 0.0 == same.fourier and same.slope_real == same.slope_fake
    blur = spectra(a, b)
    assert blur.spectrum > 0.1 and blur.slope_fake < blur.slope_real  # high frequencies lost
    assert wavelet_statistics(a, a).distance == 0.0 < wavelet_statistics(a, b).distance
    assert edge_statistics(a, a).distance == 0.0 < edge_statistics(a, b).distance
    assert grey(torch.full((1, 3, 2, 2), 255, dtype=torch.uint8)).tolist() == [[[1.0, 1.0]] * 2]
    with pytest.raises(GanforgeError, match="differ in size"):
        spectra(a, as_uint8(sharp[:, :8, :8]))


def test_inversion_recovers_what_a_linear_generator_can_reach(one_thread) -> None:
    torch.manual_seed(0)
    a = torch.linalg.qr(torch.randn(16, 3))[0]  # orthonormal columns: range(A) is 3-d

    def generate(z: torch.Tensor) -> torch.Tensor:
        return (z @ a.T).reshape(-1, 1, 4, 4)

    z_true = torch.randn(5, 3)
    off = torch.randn(5, 16)
    off = off - (off @ a) @ a.T  # orthogonal to everything the generator makes
    targets = generate(z_true) + off.reshape(-1, 1, 4, 4)
    result = invert(generate, targets, torch.zeros(5, 3), steps=300, lr=0.1)
    expected = (off**2).mean(1) / 4  # per-pixel MSE on the [0, 1] scale
    assert result.errors == pytest.approx(expected, rel=1e-3)
    assert result.z == pytest.approx(z_true, abs=1e-3)
    with pytest.raises(GanforgeError, match="at least one"):
        invert(generate, targets, torch.zeros(5, 3), steps=0)
