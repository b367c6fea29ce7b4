"""Bradley-Terry and Elo against hand-computed values and the likelihood's own equations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganforge.rate.skill import (
    ELO_PER_THETA,
    bootstrap_bt,
    bootstrap_elo,
    bradley_terry,
    elo,
    to_elo_scale,
    win_matrix,
)

# Strengths 4 : 2 : 1 and 15 games per pair with the exact expected wins: the MLE is the truth.
EXACT = np.array([[0, 10, 12], [5, 0, 10], [3, 5, 0]], dtype=float)
EXACT_THETA = np.log([4.0, 2.0, 1.0]) - np.log([4.0, 2.0, 1.0]).mean()


@pytest.mark.parametrize("method", ["mm", "newton"])
def test_bt_recovers_strengths_from_exact_expected_wins(method: str) -> None:
    fit = bradley_terry(EXACT, method=method)
    np.testing.assert_allclose(fit.theta, EXACT_THETA, atol=1e-8)
    np.testing.assert_allclose(fit.theta, [math.log(2), 0.0, -math.log(2)], atol=1e-8)


def test_bt_two_models_log_odds_and_fisher_standard_error() -> None:
    # 3 wins to 1: theta difference ln 3; var(difference) = 1 / (n p (1 - p)) = 1 / (4 * 3/16).
    fit = bradley_terry(np.array([[0, 3], [1, 0]]))
    assert fit.theta[0] - fit.theta[1] == pytest.approx(math.log(3), abs=1e-9)
    assert fit.se[0] == pytest.approx(math.sqrt(4 / 3) / 2, abs=1e-9)
    low, high = fit.interval()
    assert low[0] == pytest.approx(math.log(3) / 2 - 1.959964 * math.sqrt(1 / 3), abs=1e-5)
    assert high[0] > fit.theta[0] > low[0]


def test_newton_needs_far_fewer_iterations_than_mm() -> None:
    mm, newton = bradley_terry(EXACT, "mm"), bradley_terry(EXACT, "newton")
    assert newton.iterations < 15 < mm.iterations


def test_bt_refuses_a_model_that_never_lost_unless_a_prior_is_given() -> None:
    wins = np.array([[0, 5], [0, 0]])
    with pytest.raises(ValueError, match="never won"):
        bradley_terry(wins)
    fit = bradley_terry(wins, prior=0.5)
    # 5.5 : 0.5 virtual wins -> log odds ln 11
    assert fit.theta[0] - fit.theta[1] == pytest.approx(math.log(11), abs=1e-8)


def test_bt_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="square"):
        bradley_terry(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="method"):
        bradley_terry(EXACT, method="gradient")
    with pytest.raises(ValueError, match="itself"):
        win_matrix([(1, 1)], 2)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=12, max_size=12), st.integers(3, 4))
def test_bt_score_equations_hold_and_methods_agree(counts: list[int], n: int) -> None:
    wins = np.zeros((n, n))
    wins[~np.eye(n, dtype=bool)] = counts[: n * n - n]
    mm = bradley_terry(wins, "mm", prior=0.5)
    newton = bradley_terry(wins, "newton", prior=0.5)
    np.testing.assert_allclose(mm.theta, newton.theta, atol=1e-6)
    reg = wins + 0.5 * (1 - np.eye(n))
    p = 1 / (1 + np.exp(mm.theta[None, :] - mm.theta[:, None]))
    expected = ((reg + reg.T) * p * (1 - np.eye(n))).sum(1)
    np.testing.assert_allclose(expected, reg.sum(1), atol=1e-6)
    assert abs(mm.theta.sum()) < 1e-9


def test_bt_is_equivariant_under_relabelling() -> None:
    order = [2, 0, 1]
    fit = bradley_terry(EXACT[np.ix_(order, order)])
    np.testing.assert_allclose(fit.theta, EXACT_THETA[order], atol=1e-8)


def test_bootstrap_interval_covers_the_estimate_and_shrinks_with_data() -> None:
    pairs = [(0, 1)] * 6 + [(1, 0)] * 3 + [(1, 2)] * 6 + [(2, 1)] * 3 + [(0, 2)] * 5 + [(2, 0)] * 2
    fit = bradley_terry(win_matrix(pairs, 3), prior=0.5)
    low, high = bootstrap_bt(pairs, 3, rounds=200, seed=1)
    assert np.all(low <= fit.theta + 1e-9) and np.all(fit.theta <= high + 1e-9)
    low4, high4 = bootstrap_bt(pairs * 4, 3, rounds=200, seed=1)
    assert np.all(high4 - low4 < high - low)


def test_elo_hand_values() -> None:
    ratings = elo([(0, 1)], 2)
    np.testing.assert_allclose(ratings, [1516.0, 1484.0])
    # second win: expected score 1 / (1 + 10^(-32/400)) = 0.54592
    ratings = elo([(0, 1), (0, 1)], 2)
    assert ratings[0] == pytest.approx(1516 + 32 * (1 - 1 / (1 + 10 ** (-32 / 400))), abs=1e-9)
    assert ratings.sum() == pytest.approx(3000.0)
    low, high = bootstrap_elo([(0, 1)] * 8 + [(1, 0)] * 2, 2, rounds=100)
    assert low[0] > 1500 > high[1]


def test_elo_scale_is_tenfold_odds_per_400_points() -> None:
    assert ELO_PER_THETA * math.log(10) == pytest.approx(400.0)
    assert to_elo_scale(np.array([0.0]))[0] == 1500.0
