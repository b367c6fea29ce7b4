"""Acquisition closed forms on hand values, the stable log EI, score gradients, GP-Hedge."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from ganforge.bayes.optimize.acquisition import (
    Portfolio,
    expected_improvement,
    log_h,
    lower_confidence_bound,
    probability_of_improvement,
    score,
)


def test_closed_forms_on_hand_values() -> None:
    # z = 0: EI = phi(0), PI = 1/2
    assert expected_improvement(0.0, 1.0, 0.0) == pytest.approx(0.3989422804014327, rel=1e-14)
    assert probability_of_improvement(0.0, 1.0, 0.0) == pytest.approx(0.5, rel=1e-15)
    # mu 1, sigma 2, best 0: z = -0.5; EI = 2 (-0.5 Phi(-0.5) + phi(-0.5))
    assert expected_improvement(1.0, 2.0, 0.0) == pytest.approx(0.39559311480261217, rel=1e-12)
    assert probability_of_improvement(1.0, 2.0, 0.0) == pytest.approx(0.3085375387259869)
    # xi shifts the target: best 0.5, xi 0.5 is the same as best 0
    assert expected_improvement(1.0, 2.0, 0.5, xi=0.5) == pytest.approx(0.39559311480261217)
    assert lower_confidence_bound(1.0, 2.0, kappa=1.96) == pytest.approx(-2.92)


def test_ei_equals_monte_carlo_expectation() -> None:
    rng = np.random.default_rng(0)
    f = 0.3 + 0.7 * rng.standard_normal(2_000_000)
    mc = np.maximum(0.1 - f, 0).mean()
    assert expected_improvement(0.3, 0.7, 0.1) == pytest.approx(mc, rel=5e-3)


def test_log_h_is_accurate_and_finite_far_below_the_incumbent() -> None:
    z = np.array([3.0, 0.0, -0.99, -1.0, -5.0, -20.0])
    direct = np.log(z * norm.cdf(z) + norm.pdf(z))
    np.testing.assert_allclose(log_h(z)[0], direct, rtol=1e-10)
    far, slope = log_h(np.array([-40.0, -1e3, -1e8]))
    # asymptotically h(z) ~ phi(z) / z^2
    np.testing.assert_allclose(
        far,
        -0.5 * np.array([40.0, 1e3, 1e8]) ** 2
        - 0.5 * np.log(2 * np.pi)
        - 2 * np.log([40.0, 1e3, 1e8]),
        rtol=1e-3,
    )
    assert np.all(np.isfinite(slope)) and np.all(slope > 0)
    # EI itself underflows to 0 there; log EI still ranks the points
    assert expected_improvement(40.0, 1.0, 0.0) == 0.0


@pytest.mark.parametrize("name", ["ei", "pi", "lcb"])
@pytest.mark.parametrize("noise_std", [0.0, 0.3])
def test_score_gradients_match_finite_differences(name: str, noise_std: float) -> None:
    mu = np.array([-0.5, 0.2, 1.5, 4.0])
    sd = np.array([0.3, 1.0, 0.8, 0.5])
    value, d_mu, d_sd = score(name, mu, sd, 0.1, xi=0.05, kappa=2.0, noise_std=noise_std)
    h = 1e-6

    def f(m: np.ndarray, s: np.ndarray) -> np.ndarray:
        return score(name, m, s, 0.1, xi=0.05, kappa=2.0, noise_std=noise_std)[0]

    np.testing.assert_allclose(d_mu, (f(mu + h, sd) - f(mu - h, sd)) / (2 * h), rtol=1e-5)
    np.testing.assert_allclose(d_sd, (f(mu, sd + h) - f(mu, sd - h)) / (2 * h), rtol=1e-5)
    if name == "ei" and noise_std == 0:
        np.testing.assert_allclose(np.exp(value), expected_improvement(mu, sd, 0.1, xi=0.05))


def test_augmented_ei_penalises_points_known_to_the_noise_level() -> None:
    plain = score("ei", np.array([0.0]), np.array([0.01]), 0.0)[0]
    augmented = score("ei", np.array([0.0]), np.array([0.01]), 0.0, noise_std=0.1)[0]
    # factor 1 - 0.1 / sqrt(0.01^2 + 0.1^2) ~ 0.005
    assert augmented - plain == pytest.approx(np.log(1 - 0.1 / np.hypot(0.01, 0.1)))


def test_portfolio_moves_probability_to_the_member_with_better_proposals() -> None:
    p = Portfolio(eta=1.0)
    np.testing.assert_allclose(p.probabilities(), [1 / 3] * 3)
    p.update([-2.0, 0.0, 1.0])  # standardised means at each member's proposal
    probs = p.probabilities()
    assert probs[0] > probs[1] > probs[2]
    np.testing.assert_allclose(probs, np.exp([2, 0, -1]) / np.exp([2, 0, -1]).sum())
    again = Portfolio.from_json(p.to_json())
    np.testing.assert_array_equal(again.probabilities(), probs)
    with pytest.raises(ValueError, match="unknown portfolio member"):
        Portfolio(["ei", "thompson"])
