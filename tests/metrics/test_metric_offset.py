"""Distance-based measures do not move when both feature sets are translated far from the origin.

|x|^2 + |y|^2 - 2 x.y cancels catastrophically at large offsets; every distance computation in
``ganforge.metrics`` centres its inputs first (``kernels.centred``), so a common translation by
1e6 gives the values at offset 0.
"""

from __future__ import annotations

import numpy as np
import pytest

from ganforge.metrics.measures.c2st import classifier_two_sample_test
from ganforge.metrics.measures.duplicates import closest_pairs
from ganforge.metrics.measures.kernels import centred, median_distance, mmd_rbf
from ganforge.metrics.measures.ndb import ndb
from ganforge.metrics.measures.neighbours import ball_counts, kth_neighbour_distances, nearest
from ganforge.metrics.measures.parzen import parzen_log_likelihood
from ganforge.metrics.measures.prd import prd
from ganforge.metrics.measures.prdc import density_coverage, precision_recall

OFFSET = 1e6


@pytest.fixture(scope="module")
def sets() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((300, 16)), 0.8 * rng.standard_normal((300, 16)) + 0.3


def test_centred_subtracts_the_common_mean_and_keeps_differences() -> None:
    x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0, 0.0]])
    cx, cy = centred(x, y)
    assert np.concatenate([cx, cy]).mean(axis=0) == pytest.approx([0.0, 0.0])
    assert cx - cy[0] == pytest.approx(x - y[0])
    (ints,) = centred(np.array([[1, 2], [3, 4]]))
    assert ints.dtype == np.float64 and ints.tolist() == [[-1.0, -1.0], [1.0, 1.0]]


def test_manifold_scores_equal_their_values_at_offset_zero(sets) -> None:  # type: ignore[no-untyped-def]
    real, fake = sets
    far_real, far_fake = real + OFFSET, fake + OFFSET
    assert precision_recall(far_real, far_fake, 3) == precision_recall(real, fake, 3)
    assert density_coverage(far_real, far_fake, 5) == density_coverage(real, fake, 5)


def test_neighbour_distances_equal_their_values_at_offset_zero(sets) -> None:  # type: ignore[no-untyped-def]
    real, fake = sets
    near = kth_neighbour_distances(real, 3)
    assert kth_neighbour_distances(real + OFFSET, 3) == pytest.approx(near, rel=1e-9)
    dist, index = nearest(fake, real, 2)
    far_dist, far_index = nearest(fake + OFFSET, real + OFFSET, 2)
    assert (far_index == index).all() and far_dist == pytest.approx(dist, rel=1e-9)
    counts = ball_counts(fake, real, near)
    assert (ball_counts(fake + OFFSET, real + OFFSET, near) == counts).all()
    pairs, far_pairs = closest_pairs(fake[:50], 3), closest_pairs(fake[:50] + OFFSET, 3)
    assert [p[:2] for p in far_pairs] == [p[:2] for p in pairs]
    assert [p[2] for p in far_pairs] == pytest.approx([p[2] for p in pairs], rel=1e-9)


def test_kernel_and_density_scores_equal_their_values_at_offset_zero(sets) -> None:  # type: ignore[no-untyped-def]
    real, fake = sets
    assert median_distance(real + OFFSET, fake + OFFSET) == pytest.approx(
        median_distance(real, fake), rel=1e-9
    )
    value, sigma = mmd_rbf(real, fake)
    far_value, far_sigma = mmd_rbf(real + OFFSET, fake + OFFSET)
    assert far_sigma == pytest.approx(sigma, rel=1e-9) and far_value == pytest.approx(
        value, rel=1e-6
    )
    ll = parzen_log_likelihood(fake, real[:50], [0.5, 1.0])
    far = parzen_log_likelihood(fake + OFFSET, real[:50] + OFFSET, [0.5, 1.0])
    assert far == pytest.approx(ll, rel=1e-9)


def test_clustering_and_classifier_scores_equal_their_values_at_offset_zero(sets) -> None:  # type: ignore[no-untyped-def]
    real, fake = sets
    near, far = ndb(real, fake, bins=10), ndb(real + OFFSET, fake + OFFSET, bins=10)
    assert (far.different, far.fake_share) == (near.different, near.fake_share)
    curve = prd(real, fake, clusters=5, runs=2)
    far_curve = prd(real + OFFSET, fake + OFFSET, clusters=5, runs=2)
    assert (far_curve.f_8, far_curve.f_1_8) == pytest.approx((curve.f_8, curve.f_1_8))
    c2st = classifier_two_sample_test(real, fake)
    assert classifier_two_sample_test(real + OFFSET, fake + OFFSET).accuracy == c2st.accuracy
