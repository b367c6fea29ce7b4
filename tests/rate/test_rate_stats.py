"""Wilson intervals, Krippendorff's alpha, per-rater agreement and drift against hand values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ganforge.rate.stats import (
    accuracy_by_block,
    krippendorff_alpha,
    rater_agreement,
    trend,
    wilson,
    win_rates,
)


def test_wilson_hand_values() -> None:
    assert wilson(5, 10) == pytest.approx((0.236593, 0.763407), abs=1e-6)
    low, high = wilson(0, 10)
    z2 = 1.959964**2
    assert low == 0.0 and high == pytest.approx(z2 / (10 + z2), abs=1e-6)
    assert wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson(11, 10)


@given(st.integers(1, 500), st.data())
def test_wilson_contains_the_proportion(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    low, high = wilson(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders, 12 units.
CODERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
UNITS = {u: [c[u] for c in CODERS if c[u] is not None] for u in range(12)}


def test_krippendorff_alpha_matches_the_published_example() -> None:
    assert krippendorff_alpha(UNITS, "nominal") == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(UNITS, "interval") == pytest.approx(0.849, abs=5e-4)


def test_krippendorff_alpha_edges() -> None:
    assert krippendorff_alpha({1: ["real", "real"], 2: ["fake", "fake"]}) == 1.0
    assert math.isnan(krippendorff_alpha({1: ["real"]}))
    assert math.isnan(krippendorff_alpha({1: ["real", "real"]}))  # no variation at all
    with pytest.raises(ValueError, match="metric"):
        krippendorff_alpha(UNITS, "ordinal")


def test_rater_agreement_counts_matches_with_other_raters_only() -> None:
    answers = [
        ("a", "img1", "real"),
        ("b", "img1", "real"),
        ("c", "img1", "fake"),
        ("a", "img2", "fake"),
        ("a", "img2", "real"),  # the same rater twice is not agreement with anyone
        ("c", "img2", "fake"),
    ]
    agree = rater_agreement(answers)
    assert (agree["a"].compared, agree["a"].agreed) == (4, 2)  # img1: b yes, c no; img2: c yes, no
    assert (agree["b"].compared, agree["b"].agreed) == (2, 1)
    assert (agree["c"].compared, agree["c"].agreed) == (4, 1)
    ratings = rater_agreement([("a", 1, 5), ("b", 1, 3), ("b", 2, 4)], "interval")
    assert ratings["a"].mean_abs_diff == 2.0 and ratings["a"].agreed == 0.0


def test_accuracy_by_block_pools_raters_by_position() -> None:
    blocks = accuracy_by_block({"a": [True, False, True, True], "b": [False, False]}, block=2)
    assert [(b.correct, b.total, b.start) for b in blocks] == [(1, 4, 0), (2, 2, 2)]
    assert blocks[1].low == pytest.approx(wilson(2, 2)[0])


def test_trend_slope_hand_value_and_rater_means_removed() -> None:
    # positions centred [-1.5, -0.5, 0.5, 1.5], outcomes centred [-.5, -.5, .5, .5] -> 2 / 5
    assert trend({"a": [0, 0, 1, 1]}).slope == pytest.approx(0.4)
    # two flat raters at different levels show no drift
    flat = trend({"a": [1, 1, 1], "b": [0, 0, 0]})
    assert flat.slope == 0.0 and flat.n == 6


def test_win_rates_nan_where_models_never_met() -> None:
    rates = win_rates(np.array([[0, 3, 0], [1, 0, 0], [0, 0, 0]]))
    assert rates[0, 1] == 0.75 and rates[1, 0] == 0.25
    assert np.isnan(rates[0, 2]) and np.isnan(rates[1, 1])
