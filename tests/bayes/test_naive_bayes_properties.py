"""Invariants checked on generated data: probabilities, row order, and streamed fitting."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ganforge.bayes import naive_bayes as nb

values = st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)
# two decimals: constant-looking columns are then truly constant, not off by rounding noise
decimals = values.map(lambda v: round(v, 2))


@st.composite
def labelled(draw: st.DrawFn, elements: st.SearchStrategy[float] = values) -> tuple:
    """A float table (6 to 40 rows, 1 to 6 columns) and labels from 2 or 3 classes."""
    n = draw(st.integers(6, 40))
    d = draw(st.integers(1, 6))
    X = draw(arrays(np.float64, (n, d), elements=elements))
    y = np.array(draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=n, max_size=n)))
    assume(len(set(y.tolist())) >= 2)
    return X, y


def _proper(proba: np.ndarray, n_rows: int, n_classes: int) -> None:
    assert proba.shape == (n_rows, n_classes)
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(labelled(decimals), st.sampled_from(["gaussian", "kernel", "bernoulli", "mixed"]))
def test_probabilities_are_proper(data: tuple, name: str) -> None:
    X, y = data
    assume(np.ptp(X, axis=0).max() > 0)
    model = nb.make_model(name).fit(X, y)
    probe = np.concatenate([X, X * 3 + 7])
    proba = model.predict_proba(probe)
    _proper(proba, len(probe), len(model.classes_))
    np.testing.assert_allclose(np.exp(model.predict_log_proba(probe)), proba)
    assert (model.predict(probe) == model.classes_[proba.argmax(axis=1)]).all()


@settings(max_examples=40, deadline=None)
@given(labelled(st.integers(0, 6).map(float)), st.sampled_from(["categorical", "multinomial"]))
def test_probabilities_are_proper_for_discrete_data(data: tuple, name: str) -> None:
    X, y = data
    model = nb.make_model(name).fit(X, y)
    _proper(model.predict_proba(X), len(X), len(model.classes_))


@settings(max_examples=40, deadline=None)
@given(labelled(decimals), st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_gaussian_fit(data: tuple, rnd: object) -> None:
    X, y = data
    assume(np.ptp(X, axis=0).max() > 0)
    order = np.array(rnd.sample(range(len(y)), len(y)))  # type: ignore[attr-defined]
    a, b = nb.GaussianNB().fit(X, y), nb.GaussianNB().fit(X[order], y[order])
    _same_statistics(a, b, np.abs(X).max())


def _same_statistics(a: nb.GaussianNB, b: nb.GaussianNB, scale: float) -> None:
    """Equal fits up to rounding: means, variances, smoothing term and priors."""
    np.testing.assert_allclose(a.theta_, b.theta_, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(a.var_, b.var_, rtol=1e-9, atol=1e-12 * scale**2)
    assert np.isclose(a.epsilon_, b.epsilon_, rtol=1e-9, atol=1e-21 * scale**2)
    np.testing.assert_allclose(a.class_prior_, b.class_prior_, rtol=1e-15)


@settings(max_examples=40, deadline=None)
@given(labelled(st.integers(0, 4).map(float)), st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_counting_fits(data: tuple, rnd: object) -> None:
    X, y = data
    order = np.array(rnd.sample(range(len(y)), len(y)))  # type: ignore[attr-defined]
    for name in ("categorical", "multinomial", "bernoulli"):
        a, b = nb.make_model(name).fit(X, y), nb.make_model(name).fit(X[order], y[order])
        np.testing.assert_array_equal(a.joint_log_likelihood(X), b.joint_log_likelihood(X))


@settings(max_examples=40, deadline=None)
@given(labelled(decimals), st.data())
def test_partial_fit_in_chunks_equals_fit(data: tuple, draw: st.DataObject) -> None:
    X, y = data
    assume(np.ptp(X, axis=0).max() > 0)
    cuts = sorted(draw.draw(st.sets(st.integers(1, len(y) - 1), max_size=4)))
    streamed = nb.GaussianNB()
    for rows in np.split(np.arange(len(y)), cuts):
        streamed.partial_fit(X[rows], y[rows], classes=np.unique(y))
    _same_statistics(streamed, nb.GaussianNB().fit(X, y), np.abs(X).max())
