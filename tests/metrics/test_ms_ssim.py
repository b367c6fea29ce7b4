"""MS-SSIM (Wang et al. 2003) against pytorch-msssim, and the MS-SSIM diversity measure."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.diversity import ms_ssim_diversity, scale_weights
from ganforge.metrics.measures.paired import ms_ssim, ssim
from ganforge.metrics.runner.base import Context
from ganforge.metrics.runner.featureset import FeatureSet
from ganforge.registry import METRICS

# pytorch-msssim 1.0.0's ms_ssim(x, y, data_range=1.0, size_average=False) on patterns(), in
# float64 (its Gaussian window is built in float32: agreement to a few 1e-7, asserted to 5e-6)
GOLDEN = [0.9628101248118601, 0.6752344892280543, 0.005371063471760602]
GOLDEN_ODD = [0.9668372896691427, 0.752180114059149, 0.010776822465356614]  # width 171
GOLDEN_TWO_SCALES = [0.8897885508169443, 0.31292122541266254, 0.008789066978768013]  # 1 channel,
# win_size=7, weights=[0.3, 0.7]


def patterns() -> tuple[torch.Tensor, torch.Tensor]:
    """Three deterministic pairs of 3 x 176 x 176 images in [0, 1]: sines, a checkerboard."""
    i = torch.arange(176, dtype=torch.float64)[:, None]
    j = torch.arange(176, dtype=torch.float64)[None, :]
    a = torch.stack([0.5 + 0.4 * torch.sin(0.11 * (c + 1) * i + 0.07 * j) for c in range(3)])
    b = torch.stack(
        [
            0.5 + 0.4 * torch.sin(0.11 * (c + 1) * i + 0.07 * j + 0.3 * c) * torch.cos(0.05 * j)
            for c in range(3)
        ]
    )
    checker = ((i // 8 + j // 8) % 2).expand(3, 176, 176)
    x = torch.stack([a, a, b])
    y = torch.stack([0.8 * a + 0.1 + 0.05 * checker, 0.7 * a + 0.3 * checker, checker])
    return x, y


def test_ms_ssim_equals_pytorch_msssim_golden_values() -> None:
    x, y = patterns()
    assert ms_ssim(x, y).tolist() == pytest.approx(GOLDEN, abs=5e-6)
    odd = ms_ssim(x[..., :171], y[..., :171])  # odd sides: padded average pooling
    assert odd.tolist() == pytest.approx(GOLDEN_ODD, abs=5e-6)
    two = ms_ssim(x[:, :1], y[:, :1], window=7, weights=(0.3, 0.7))
    assert two.tolist() == pytest.approx(GOLDEN_TWO_SCALES, abs=5e-6)


def test_ms_ssim_equals_pytorch_msssim_on_random_images() -> None:
    reference = pytest.importorskip("pytorch_msssim")  # in the test extra
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 3, 165, 170, generator=g, dtype=torch.float64)
    y = (x + 0.3 * torch.rand(4, 3, 165, 170, generator=g, dtype=torch.float64)).clamp(0, 1)
    expected = reference.ms_ssim(x, y, data_range=1.0, size_average=False)
    assert torch.allclose(ms_ssim(x, y), expected, rtol=1e-5, atol=5e-6)


def test_ms_ssim_properties() -> None:
    x, y = patterns()
    assert ms_ssim(x, x).tolist() == pytest.approx([1.0, 1.0, 1.0])
    # one scale with weight 1 is SSIM itself
    assert ms_ssim(x, y, weights=(1.0,)).tolist() == pytest.approx(ssim(x, y).tolist(), rel=1e-12)
    with pytest.raises(ValueError, match="after 4 halvings"):
        ms_ssim(x[..., :64, :64], y[..., :64, :64])


def uint8_side(images: torch.Tensor, labels: np.ndarray | None = None) -> FeatureSet:
    samples = (images * 255).round().to(torch.uint8)
    return FeatureSet({"features": np.zeros((len(images), 1))}, samples=samples, labels=labels)


def test_ms_ssim_diversity_is_one_for_a_collapsed_generator_and_lower_for_varied_samples() -> None:
    x, y = (t[..., :64, :64] for t in patterns())
    same = uint8_side(x[:1].expand(6, -1, -1, -1).contiguous())
    collapsed = ms_ssim_diversity(same.samples, pairs=20, window=7, scales=3)  # type: ignore[arg-type]
    assert collapsed.mean == pytest.approx(1.0)
    varied = uint8_side(torch.cat([x, y]), labels=np.array([0, 0, 1, 1, 1, 1]))
    options = {"pairs": 50, "class_pairs": 10, "window": 7, "scales": 3}
    result = METRICS.get("ms-ssim")(None, varied, Context(), **options)
    assert 0 < result.values["ms_ssim"] < 0.9
    assert set(result.extra["per_class"]) == {0, 1}
    assert result.extra["per_class"][0] == pytest.approx(1.0)  # class 0: two copies of x[0]
    # the value is the mean over the drawn pairs of the pairwise MS-SSIM
    images = varied.samples.double() / 255  # type: ignore[union-attr]
    rng = np.random.default_rng(0)
    first = rng.integers(0, 6, 50)
    second = (first + rng.integers(1, 6, 50)) % 6
    assert (first != second).all()
    direct = ms_ssim(images[first], images[second], window=7, weights=scale_weights(3)).mean()
    assert result.values["ms_ssim"] == pytest.approx(float(direct), rel=1e-12)


def test_ms_ssim_diversity_says_what_to_change_for_small_images() -> None:
    small = uint8_side(torch.rand(4, 1, 32, 32, generator=torch.Generator().manual_seed(0)))
    with pytest.raises(GanforgeError, match="scales=2"):
        METRICS.get("ms-ssim")(None, small, Context(), pairs=4)
    value = METRICS.get("ms-ssim")(None, small, Context(), pairs=4, scales=2).values["ms_ssim"]
    assert 0 <= value < 0.5  # independent noise images are dissimilar
    assert scale_weights(2) == pytest.approx((0.0448 / 0.3304, 0.2856 / 0.3304))
