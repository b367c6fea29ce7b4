"""Which resolutions count as coarse, middle and fine styles in the style-mixing figure."""

from __future__ import annotations

import pytest

from ganforge.errors import GanforgeError
from ganforge.style_figures import band_label, style_bands


def test_full_size_models_use_the_papers_bands() -> None:
    resolutions = [2**k for k in range(2, 11)]  # 4 ... 1024
    bands = style_bands(resolutions)
    labels = [(name, band_label(resolutions, levels)) for name, levels in bands]
    assert labels == [("coarse", "4-8"), ("middle", "16-32"), ("fine", "64-1024")]
    assert style_bands(resolutions[:5])[2] == ("fine", [4])  # 64x64: fine is 64 alone


@pytest.mark.parametrize(
    ("side", "expected"),
    [(32, ["4-8", "16", "32"]), (16, ["4", "8", "16"])],
)
def test_small_models_split_their_resolutions_into_three_bands(
    side: int, expected: list[str]
) -> None:
    resolutions = [r for r in (4, 8, 16, 32) if r <= side]
    bands = style_bands(resolutions)
    assert [band_label(resolutions, levels) for _, levels in bands] == expected
    assert [lv for _, levels in bands for lv in levels] == list(range(len(resolutions)))


def test_models_below_16x16_cannot_mix_three_bands() -> None:
    with pytest.raises(GanforgeError, match="at least three resolutions"):
        style_bands([4, 8])
