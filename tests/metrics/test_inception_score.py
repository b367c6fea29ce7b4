"""The Inception Score from logits or from class probabilities: walk-throughs, zeros, golden."""

from __future__ import annotations

import json
import logging
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import softmax

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.inception_score import inception_score

from ..conftest import GOLDEN, require


def test_probability_walk_through() -> None:
    # three images, each classified with certainty into its own class: p(y) is uniform and each
    # KL(p(y|x) || p(y)) = log 3, so the score is 3; identical uniform rows carry no information
    one_hot = np.eye(3)
    assert inception_score(one_hot, splits=1, kind="probs") == pytest.approx((3.0, 0.0))
    uniform = np.full((3, 3), 1 / 3)
    assert inception_score(uniform, splits=1, kind="probs") == pytest.approx((1.0, 0.0))


def test_logit_walk_through() -> None:
    confident = np.eye(3) * 50.0  # softmax gives one-hot rows up to e^-50
    assert inception_score(confident, splits=1)[0] == pytest.approx(3.0, rel=1e-12)
    assert inception_score(np.full((3, 3), 7.0), splits=1) == pytest.approx((1.0, 0.0))


def test_zero_probabilities_and_ruled_out_classes_give_numbers_not_nan() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero or invalid-value warnings either
        half = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])
        # p(y) = (1/4, 1/2, 1/4); each row's KL is 1/2 log(1/2 / 1/4) + 1/2 log 1 = 1/2 log 2
        assert inception_score(half, splits=1, kind="probs")[0] == pytest.approx(np.sqrt(2.0))
        with np.errstate(divide="ignore"):
            log_one_hot = np.log(np.eye(3))  # -inf logits: the class is ruled out
        assert inception_score(log_one_hot, splits=1)[0] == pytest.approx(3.0)


def test_probabilities_match_the_golden_logits(golden_logits) -> None:
    logits, expected = golden_logits
    for key, values in logits.items():
        mean, std = inception_score(softmax(values, axis=1), splits=10, kind="probs")
        want = expected[f"inception_score({key}, splits=10, no shuffle)"]
        assert mean == pytest.approx(want[0], rel=1e-9) and std == pytest.approx(want[1], rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    logits=arrays(
        np.float64, st.tuples(st.integers(2, 12), st.integers(2, 6)), elements=st.floats(-20, 20)
    ),
    splits=st.integers(1, 2),
)
def test_probabilities_and_logits_agree(logits: np.ndarray, splits: int) -> None:
    from_logits = inception_score(logits, splits=splits)
    from_probs = inception_score(softmax(logits, axis=1), splits=splits, kind="probs")
    assert from_probs == pytest.approx(from_logits, rel=1e-9, abs=1e-12)
    assert 1.0 - 1e-9 <= from_logits[0] <= logits.shape[1] + 1e-9  # IS lies in [1, classes]


def test_bad_probabilities_say_what_is_wrong() -> None:
    with pytest.raises(GanforgeError, match=r"row 1 sums to 0\.9"):
        inception_score(np.array([[0.5, 0.5], [0.5, 0.4]]), splits=1, kind="probs")
    with pytest.raises(GanforgeError, match="non-negative"):
        inception_score(np.array([[1.5, -0.5], [0.5, 0.5]]), splits=1, kind="probs")
    with pytest.raises(GanforgeError, match="kind must be one of logits, probs"):
        inception_score(np.eye(2), splits=1, kind="softmax")  # type: ignore[arg-type]
    with pytest.raises(GanforgeError, match="no finite value"):
        inception_score(np.full((2, 2), -np.inf), splits=1)


def test_probabilities_passed_as_logits_are_flagged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ganforge.metrics"):
        wrong = inception_score(np.eye(3), splits=1)[0]  # softmax of one-hot rows: not 3
    assert wrong < 1.3 and "kind='probs'" in caplog.text


@pytest.fixture(scope="module")
def golden_logits() -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """The golden logit sets and torch-fidelity's scores of them."""
    with np.load(require(GOLDEN / "metric_features.npz")) as data:
        logits = {k: data[k] for k in ("logits_confident", "logits_flat")}
    return logits, json.loads(require(GOLDEN / "metric_expected.json").read_text())
