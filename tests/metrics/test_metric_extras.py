"""The wider metric suite: exact properties on small synthetic sets."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.c2st import classifier_two_sample_test
from ganforge.metrics.measures.duplicates import birthday_test, closest_pairs
from ganforge.metrics.measures.kernels import mmd2_unbiased, mmd_rbf, rbf_kernel
from ganforge.metrics.measures.modes import class_coverage, kl_divergence, toy_mode_coverage
from ganforge.metrics.measures.ndb import ndb, two_proportion_z
from ganforge.metrics.measures.neighbours import kth_neighbour_distances, nearest
from ganforge.metrics.measures.parzen import parzen_log_likelihood, parzen_window
from ganforge.metrics.runner.bootstrap import bootstrap_intervals


def test_unbiased_mmd_matches_the_definition() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((7, 3)), rng.standard_normal((5, 3)) + 1
    k = rbf_kernel(1.5)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    brute = (kxx.sum() - np.trace(kxx)) / 42 + (kyy.sum() - np.trace(kyy)) / 20 - 2 * kxy.mean()
    assert mmd2_unbiased(x, y, k) == pytest.approx(brute, rel=1e-12)


def test_rbf_mmd_separates_distributions() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 2))
    same, _ = mmd_rbf(x, rng.standard_normal((300, 2)))
    shifted, sigma = mmd_rbf(x, rng.standard_normal((300, 2)) + 3)
    assert abs(same) < 0.01 < shifted and sigma > 0


def test_neighbours_exclude_the_point_itself() -> None:
    x = np.array([[0.0], [1.0], [3.0], [7.0]])
    assert kth_neighbour_distances(x, 1).tolist() == [1.0, 1.0, 2.0, 4.0]
    assert kth_neighbour_distances(x, 2).tolist() == [3.0, 2.0, 3.0, 6.0]
    dist, index = nearest(np.array([[2.9]]), x, 2)
    assert index.tolist() == [[2, 1]] and dist[0] == pytest.approx([0.1, 1.9])


def test_two_proportion_z_statistic() -> None:
    z = two_proportion_z(np.array([0.5]), 100, np.array([0.3]), 100)
    pooled = 0.4
    assert z[0] == pytest.approx(0.2 / np.sqrt(pooled * 0.6 * 0.02))


def test_ndb_flags_a_missing_mode() -> None:
    rng = np.random.default_rng(2)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=float)
    real = centres[rng.integers(0, 4, 1000)] + rng.standard_normal((1000, 2))
    good = ndb(real, centres[rng.integers(0, 4, 1000)] + rng.standard_normal((1000, 2)), bins=8)
    dropped = ndb(real, centres[rng.integers(0, 3, 1000)] + rng.standard_normal((1000, 2)), bins=8)
    assert good.different <= 1 and dropped.different >= 2 and dropped.js > good.js
    with pytest.raises(GanforgeError, match="lower bins"):
        ndb(real[:10], real[:10], bins=8)


def test_ndb_reports_the_jensen_shannon_divergence_in_nats_and_bits() -> None:
    rng = np.random.default_rng(3)
    left, right = rng.normal(0, 0.1, (50, 2)), rng.normal(0, 0.1, (50, 2)) + np.array([10.0, 0.0])
    result = ndb(np.concatenate([left, right]), rng.normal(0, 0.1, (100, 2)), bins=2)
    # P = (1/2, 1/2), Q = (1, 0), M = (3/4, 1/4): JS = (KL(P||M) + KL(Q||M)) / 2
    # = (ln(4/3) / 2 + ln(4/3)) / 2 = 0.75 ln(4/3) nats (Richardson and Weiss's unit)
    assert sorted(result.fake_share) == [0.0, 1.0]
    assert result.js == pytest.approx(0.75 * np.log(4 / 3), rel=1e-12)
    assert result.js_bits == pytest.approx(0.75 * np.log2(4 / 3), rel=1e-12)


def test_birthday_test_finds_injected_duplicates() -> None:
    rng = np.random.default_rng(3)
    real = rng.standard_normal((1000, 5))
    fake = rng.standard_normal((1000, 5))
    clean = birthday_test(real, fake, batch=100, repeats=5)
    copies = fake.copy()
    copies[1::2] = copies[::2] + 1e-6  # every sample has a near twin
    dup = birthday_test(real, copies, batch=100, repeats=5)
    assert clean.rate < 0.1 and dup.rate > clean.rate and dup.batches_with_duplicate == 1.0
    assert dup.pairs[0][2] <= dup.pairs[-1][2]
    assert closest_pairs(np.array([[0.0], [5.0], [5.5]]), 1) == [(1, 2, 0.5)]


def test_classifier_two_sample_test() -> None:
    rng = np.random.default_rng(4)
    real = rng.standard_normal((400, 3))
    same = classifier_two_sample_test(real, rng.standard_normal((400, 3)), "logistic")
    apart = classifier_two_sample_test(real, rng.standard_normal((400, 3)) + 5)
    assert abs(same.accuracy - 0.5) < 0.08 and same.p_value > 0.01
    assert apart.accuracy == 1.0 and apart.p_value < 1e-10 and apart.per_class == 400


def test_parzen_window_is_a_gaussian_mixture_density() -> None:
    centres = np.array([[0.0, 0.0], [1.0, 2.0]])
    point = np.array([[0.3, -0.2]])
    sigma = 0.7
    want = np.log(
        0.5 * multivariate_normal(centres[0], sigma**2).pdf(point[0])
        + 0.5 * multivariate_normal(centres[1], sigma**2).pdf(point[0])
    )
    assert parzen_log_likelihood(centres, point, [sigma])[0, 0] == pytest.approx(want, rel=1e-10)


def test_parzen_window_chooses_a_bandwidth_on_validation_data() -> None:
    rng = np.random.default_rng(5)
    real, fake = rng.standard_normal((400, 2)), rng.standard_normal((500, 2))
    result = parzen_window(real, fake, sigmas=[0.01, 0.3, 10.0])
    assert result.sigma == 0.3 and result.validation[1] == max(result.validation)
    assert np.isfinite(result.mean) and result.stderr > 0


def test_toy_mode_coverage() -> None:
    means = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    points = np.array([[0.0, 0.01], [1.0, -0.02], [0.01, 0.0], [0.5, 0.5]])
    result = toy_mode_coverage(points, means, std=0.01, threshold=3.0)
    assert result.modes == 2 and result.high_quality == 0.75
    assert result.histogram == [2, 1, 0, 0]
    assert result.kl_uniform == pytest.approx(kl_divergence([2, 1, 0, 0], [1, 1, 1, 1]))
    assert result.kl_uniform == pytest.approx((2 / 3) * np.log(8 / 3) + (1 / 3) * np.log(4 / 3))
    # 1, 2 and 1 std from their means, the last ~71 std (a bridge): width sqrt(6 / 3 / 2) = 1
    assert result.bridges == 0.25 and result.width == pytest.approx(1.0)
    nothing = toy_mode_coverage(np.array([[5.0, 5.0]]), means, 0.01)
    assert nothing.modes == 0 and np.isnan(nothing.kl_uniform)
    assert nothing.bridges == 1.0 and np.isnan(nothing.width)


def test_class_coverage() -> None:
    real = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    fake = np.eye(3)[[0, 0, 1, 1]]
    result = class_coverage(real, fake)
    assert result.classes == 2 and result.fake_histogram == [2, 2, 0]
    assert result.kl == pytest.approx(np.log(1.5))
    assert class_coverage(real, real).kl == 0.0


def test_bootstrap_intervals() -> None:
    values = np.random.default_rng(6).standard_normal(500)

    def score(real_index, fake_index) -> dict[str, float]:
        return {"mean": float(values[fake_index].mean()), "one": 1.0}

    ci = bootstrap_intervals(score, None, len(values), rounds=200, seed=0)
    assert ci["one"] == (1.0, 1.0)
    low, high = ci["mean"]
    assert low < values.mean() < high and high - low == pytest.approx(
        2 * 1.96 * values.std() / np.sqrt(500), rel=0.25
    )
