"""Metric formulas against the golden reference values and exact properties."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.fid import fid, fid_infinity, frechet_distance, trace_sqrt_product
from ganforge.metrics.measures.inception_score import inception_score
from ganforge.metrics.measures.kernels import mmd2_unbiased, polynomial_kernel
from ganforge.metrics.measures.kid import kid
from ganforge.metrics.measures.prdc import density_coverage, precision_recall
from ganforge.metrics.measures.stats import SINGULAR_OFFSET, FeatureStats

from ..conftest import GOLDEN, require


@pytest.fixture(scope="module")
def golden() -> tuple[dict[str, np.ndarray], dict[str, object]]:
    features = np.load(require(GOLDEN / "metric_features.npz"))
    expected = json.loads(require(GOLDEN / "metric_expected.json").read_text())
    return {k: features[k] for k in features.files}, expected


def sqrtm_fid(x: np.ndarray, y: np.ndarray) -> float:
    """The reference formula with a general matrix square root."""
    a, b = FeatureStats.from_features(x), FeatureStats.from_features(y)
    with warnings.catch_warnings():  # sqrtm warns on singular products; it is only the yardstick
        warnings.simplefilter("ignore")
        root = scipy.linalg.sqrtm(a.sigma @ b.sigma).real
    diff = a.mu - b.mu
    return float(diff @ diff + np.trace(a.sigma) + np.trace(b.sigma) - 2 * np.trace(root))


def test_fid_matches_golden(golden) -> None:
    features, expected = golden
    value = fid(features["real"], features["fake"])
    assert value == pytest.approx(expected["fid(real,fake)"], rel=1e-6)


def test_fid_of_a_set_with_itself_is_zero(golden) -> None:
    features, _ = golden
    real = FeatureStats.from_features(features["real"])
    assert frechet_distance(real, real) == pytest.approx(0.0, abs=1e-9 * np.trace(real.sigma))
    assert fid(features["fake"], features["fake"].copy()) < 1e-9 * features["fake"].var(0).sum()


def test_fid_is_symmetric_and_root_choice_does_not_matter(golden) -> None:
    features, expected = golden
    a = FeatureStats.from_features(features["real"])
    b = FeatureStats.from_features(features["fake"])
    b.root()  # now both sides have a cached root; either may be used
    assert frechet_distance(b, a) == pytest.approx(expected["fid(real,fake)"], rel=1e-9)


@settings(max_examples=15, deadline=None)
@given(
    d=st.integers(2, 12),
    n_real=st.integers(3, 40),
    n_fake=st.integers(3, 40),
    seed=st.integers(0, 10_000),
)
def test_fid_agrees_with_sqrtm_full_and_low_rank(d: int, n_real: int, n_fake: int, seed: int):
    """Full-rank, low-rank (n <= d) and mixed cases all equal the sqrtm formula."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_real, d)) @ rng.standard_normal((d, d))
    y = rng.standard_normal((n_fake, d)) + rng.standard_normal(d)
    reference = sqrtm_fid(x, y)
    assert fid(x, y) == pytest.approx(reference, rel=1e-6, abs=1e-8 * (1 + abs(reference)))


def test_low_rank_path_equals_dense_root() -> None:
    """With fewer samples than dimensions the n x n problem gives the d x d answer."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((30, 80)), rng.standard_normal((50, 80)) + 0.2
    low = FeatureStats.from_features(x), FeatureStats.from_features(y)
    assert low[0].root_ is not None and low[0].root_.kind == "rows"
    dense = FeatureStats(low[0].mu, low[0].sigma, 30), FeatureStats(low[1].mu, low[1].sigma, 50)
    assert dense[0].root().kind == "eigen"  # singular: Cholesky fails, exact eigen root
    assert trace_sqrt_product(*low) == pytest.approx(trace_sqrt_product(*dense), rel=1e-7)


def test_constant_features_do_not_change_fid() -> None:
    """Constant dimensions make the covariances singular but add nothing to FID (exact)."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((200, 6)), rng.standard_normal((300, 6)) * 1.3 + 0.1
    pad = np.zeros((1, 4))
    padded = fid(np.hstack([x, pad.repeat(200, 0)]), np.hstack([y, pad.repeat(300, 0)]))
    assert padded == pytest.approx(fid(x, y), rel=1e-9)


def test_negative_eigenvalue_gets_the_reference_offset() -> None:
    sigma = np.diag([1.0, 0.5, -1e-7])
    stats = FeatureStats(np.zeros(3), sigma, 10)
    assert stats.root().offset == SINGULAR_OFFSET
    other = FeatureStats(np.ones(3), np.eye(3), 10)
    assert np.isfinite(frechet_distance(stats, other))
    broken = FeatureStats(np.zeros(3), np.diag([1.0, -1.0, 1.0]), 10)
    with pytest.raises(GanforgeError, match="not positive semi-definite"):
        broken.root()


def test_stats_round_trip_and_pytorch_fid_files(tmp_path, golden) -> None:
    features, expected = golden
    real = FeatureStats.from_features(features["real"], {"extractor": {"extractor": "x"}})
    path = real.save(tmp_path / "real.npz")
    loaded = FeatureStats.load(path)
    assert loaded.count == 600 and loaded.provenance["extractor"] == {"extractor": "x"}
    assert loaded.root_ is not None and np.allclose(loaded.root_.matrix, real.root().matrix)
    np.savez(tmp_path / "plain.npz", mu=real.mu, sigma=real.sigma)  # pytorch-fid's layout
    plain = FeatureStats.load(tmp_path / "plain.npz")
    fake = FeatureStats.from_features(features["fake"])
    assert frechet_distance(plain, fake) == pytest.approx(expected["fid(real,fake)"], rel=1e-6)
    np.savez(tmp_path / "bad.npz", mean=real.mu)
    with pytest.raises(GanforgeError, match="no 'mu'/'sigma'"):
        FeatureStats.load(tmp_path / "bad.npz")


def test_fid_dimension_mismatch_is_a_clear_error() -> None:
    a = FeatureStats(np.zeros(3), np.eye(3), 5)
    b = FeatureStats(np.zeros(4), np.eye(4), 5)
    with pytest.raises(GanforgeError, match="same extractor"):
        frechet_distance(a, b)


def test_fid_infinity_removes_the_small_sample_bias() -> None:
    rng = np.random.default_rng(2)
    real = FeatureStats.from_features(rng.standard_normal((20_000, 8)))
    fake = rng.standard_normal((2000, 8))  # same distribution: FID_inf should be about 0
    result = fid_infinity(real, fake, points=8, seed=0)
    full = frechet_distance(real, FeatureStats.from_features(fake))
    assert abs(result.value) < full
    assert result.sizes[0] == 200 and result.sizes[-1] == 2000 and result.slope > 0


def test_inception_score_matches_golden(golden) -> None:
    features, expected = golden
    for key in ("logits_confident", "logits_flat"):
        mean, std = inception_score(features[key], splits=10)
        want = expected[f"inception_score({key}, splits=10, no shuffle)"]
        assert mean == pytest.approx(want[0], rel=1e-9)
        assert std == pytest.approx(want[1], rel=1e-6)


def test_inception_score_sanity_cases() -> None:
    confident = np.eye(3) * 1000.0
    assert inception_score(confident, splits=1)[0] == pytest.approx(3.0, rel=1e-12)
    assert inception_score(np.zeros((30, 7)), splits=3) == pytest.approx((1.0, 0.0))
    with pytest.raises(GanforgeError, match="n >= splits"):
        inception_score(np.zeros((5, 3)), splits=10)


def test_inception_score_shuffle_changes_only_the_split_assignment(golden) -> None:
    features, _ = golden
    logits = features["logits_confident"]
    assert inception_score(logits, splits=1, shuffle=True)[0] == pytest.approx(
        inception_score(logits, splits=1)[0], rel=1e-12
    )


def test_kid_matches_golden(golden) -> None:
    features, expected = golden
    key = next(k for k in expected if k.startswith("kid("))
    x, y = features["real"][:500], features["fake"][:500]
    assert mmd2_unbiased(x, y, polynomial_kernel()) == pytest.approx(expected[key], rel=1e-9)
    result = kid(x, y, subsets=1, subset_size=500)  # every subset is a permutation
    assert result.mean == pytest.approx(expected[key], rel=1e-9) and result.std == 0.0


def test_kid_subsets_use_at_most_the_available_samples(golden) -> None:
    features, _ = golden
    result = kid(features["real"], features["fake"][:50], subsets=3, subset_size=1000)
    assert result.subset_size == 50 and result.subsets == 3 and result.std > 0


def test_precision_recall_match_golden(golden) -> None:
    features, expected = golden
    precision, recall = precision_recall(features["real"], features["fake"], k=3)
    assert (precision, recall) == pytest.approx(expected["precision,recall(fake vs real, k=3)"])


def test_density_coverage_properties(golden) -> None:
    features, _ = golden
    real = features["real"]
    density, coverage = density_coverage(real, real.copy(), k=5)
    assert coverage == 1.0 and density >= 1.0  # every ball holds its own centre
    far_density, far_coverage = density_coverage(real, real + 1e3, k=5)
    assert far_density == 0.0 and far_coverage == 0.0
