"""Agreement with scikit-learn's Naive Bayes (and SciPy's KDE) to 1e-9, and no underflow."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import pytest
from scipy.stats import gaussian_kde
from sklearn import datasets
from sklearn import naive_bayes as sk

from ganforge.bayes import naive_bayes as nb

TOL = 1e-9


def _gaussian_blobs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, 400)
    centres = rng.normal(0, 3, (4, 7))
    scales = rng.uniform(0.05, 20, 7)
    return (centres[y] + rng.normal(size=(400, 7))) * scales + rng.uniform(-1e3, 1e3, 7), y


@cache
def _load(name: str) -> tuple[np.ndarray, np.ndarray]:
    loader: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
        "iris": lambda: datasets.load_iris(return_X_y=True),
        "wine": lambda: datasets.load_wine(return_X_y=True),
        "breast_cancer": lambda: datasets.load_breast_cancer(return_X_y=True),
        "digits": lambda: datasets.load_digits(return_X_y=True),
        "blobs": lambda: _gaussian_blobs(3),
    }
    return loader[name]()


def _codes(X: np.ndarray, bins: int) -> np.ndarray:
    """Each column cut at its quantiles into ``bins`` ordinal codes 0..bins-1."""
    edges = np.quantile(X, np.linspace(0, 1, bins + 1)[1:-1], axis=0)
    return np.stack([np.searchsorted(edges[:, j], X[:, j]) for j in range(X.shape[1])], 1)


def assert_agrees(ours: nb.NaiveBayes, theirs: object, X: np.ndarray, y: np.ndarray) -> None:
    ours.fit(X, y)
    theirs.fit(X, y)  # type: ignore[attr-defined]
    rng = np.random.default_rng(0)
    probe = np.concatenate([X, X[rng.permutation(len(X))[:50]]])
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(ours.predict(probe), theirs.predict(probe))  # type: ignore[attr-defined]
    np.testing.assert_allclose(
        ours.predict_proba(probe),
        theirs.predict_proba(probe),
        rtol=0,
        atol=TOL,  # type: ignore[attr-defined]
    )
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y))  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "blobs"])
@pytest.mark.parametrize("priors", [None, "skewed"])
def test_gaussian_matches_sklearn(name: str, priors: str | None) -> None:
    X, y = _load(name)
    p = None
    if priors:
        p = np.arange(1, len(np.unique(y)) + 1, dtype=float)
        p /= p.sum()
    assert_agrees(nb.GaussianNB(priors=p), sk.GaussianNB(priors=p), X, y)
    ours = nb.GaussianNB().fit(X, y)
    theirs = sk.GaussianNB().fit(X, y)
    np.testing.assert_allclose(ours.theta_, theirs.theta_, rtol=1e-12)
    np.testing.assert_allclose(ours.var_, theirs.var_, rtol=1e-12)
    assert ours.epsilon_ == pytest.approx(theirs.epsilon_, rel=1e-12)


def test_gaussian_var_smoothing_matches_sklearn() -> None:
    X, y = _load("wine")
    assert_agrees(nb.GaussianNB(var_smoothing=1e-2), sk.GaussianNB(var_smoothing=1e-2), X, y)


@pytest.mark.parametrize(("name", "bins"), [("iris", 3), ("wine", 5), ("breast_cancer", 4)])
@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_categorical_matches_sklearn(name: str, bins: int, alpha: float) -> None:
    X, y = _load(name)
    codes = _codes(X, bins)
    assert_agrees(nb.CategoricalNB(alpha=alpha), sk.CategoricalNB(alpha=alpha), codes, y)
    assert_agrees(
        nb.CategoricalNB(alpha=alpha, min_categories=bins + 2),
        sk.CategoricalNB(alpha=alpha, min_categories=bins + 2),
        codes,
        y,
    )


def test_categorical_on_text_values_equals_sklearn_on_their_codes() -> None:
    X, y = _load("wine")
    codes = _codes(X, 4)
    words = np.array(["low", "mid", "high", "top"], dtype=object)[codes]
    ours = nb.CategoricalNB(categories=[["low", "mid", "high", "top"]] * X.shape[1]).fit(words, y)
    theirs = sk.CategoricalNB().fit(codes, y)
    np.testing.assert_allclose(ours.predict_proba(words), theirs.predict_proba(codes), atol=TOL)


def test_categorical_with_gaps_in_codes_counts_the_missing_codes_like_sklearn() -> None:
    rng = np.random.default_rng(5)
    codes = rng.choice([0, 2, 5], size=(200, 3))
    y = rng.integers(0, 2, 200)
    assert_agrees(nb.CategoricalNB(), sk.CategoricalNB(), codes, y)
    assert nb.CategoricalNB().fit(codes, y).n_categories_.tolist() == [6, 6, 6]


@pytest.mark.parametrize("name", ["digits", "breast_cancer", "blobs"])
@pytest.mark.parametrize(("alpha", "binarize"), [(1.0, 0.0), (0.3, 4.0)])
def test_bernoulli_matches_sklearn(name: str, alpha: float, binarize: float) -> None:
    X, y = _load(name)
    kwargs = {"alpha": alpha, "binarize": binarize}
    assert_agrees(nb.BernoulliNB(**kwargs), sk.BernoulliNB(**kwargs), X, y)
    assert_agrees(
        nb.BernoulliNB(fit_prior=False, **kwargs), sk.BernoulliNB(fit_prior=False, **kwargs), X, y
    )


@pytest.mark.parametrize("name", ["digits", "iris", "wine"])
@pytest.mark.parametrize("alpha", [1.0, 0.01])
def test_multinomial_matches_sklearn(name: str, alpha: float) -> None:
    X, y = _load(name)
    assert_agrees(nb.MultinomialNB(alpha=alpha), sk.MultinomialNB(alpha=alpha), X, y)
    prior = np.full(len(np.unique(y)), 1 / len(np.unique(y)))
    assert_agrees(nb.MultinomialNB(class_prior=prior), sk.MultinomialNB(class_prior=prior), X, y)


def test_count_models_partial_fit_matches_sklearn() -> None:
    X, y = _load("digits")
    ours, theirs = nb.MultinomialNB(), sk.MultinomialNB()
    for chunk in np.array_split(np.arange(len(y)), 4):
        ours.partial_fit(X[chunk], y[chunk], classes=np.arange(10))
        theirs.partial_fit(X[chunk], y[chunk], classes=np.arange(10))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=TOL)


@pytest.mark.parametrize("rule", ["scott", "silverman", 0.4])
def test_kernel_density_matches_scipy_gaussian_kde(rule: str | float) -> None:
    X, y = _load("iris")
    probe = X[::7] + 0.05
    model = nb.KernelNB(bandwidth=rule, var_smoothing=0.0).fit(X, y)
    expected = np.stack(
        [
            np.log(np.mean(y == k))
            + sum(gaussian_kde(X[y == k, j], bw_method=rule).logpdf(probe[:, j]) for j in range(4))
            for k in range(3)
        ],
        axis=1,
    )
    np.testing.assert_allclose(model.joint_log_likelihood(probe), expected, rtol=1e-10)


def test_kernel_model_classifies_iris_like_the_gaussian_one() -> None:
    X, y = _load("iris")
    scores = nb.cross_val_accuracy(nb.KernelNB, X, y, n_folds=5, seed=0)
    assert np.mean(scores) >= 0.93


@pytest.mark.parametrize("n_features", [2000, 5000])
def test_thousands_of_features_do_not_underflow(n_features: int) -> None:
    rng = np.random.default_rng(n_features)
    y = np.repeat([0, 1, 2], 20)
    X = rng.normal(size=(60, n_features)) + 0.3 * y[:, None]
    model = nb.GaussianNB().fit(X, y)
    probe = rng.normal(size=(30, n_features)) + 0.3 * np.repeat([0, 1, 2], 10)[:, None]
    # a product of densities underflows to exactly zero for every class ...
    pdfs = nb.gaussian_pdf(probe[:, None, :], model.theta_, np.sqrt(model.var_))
    assert (np.prod(pdfs, axis=2) == 0).all()
    # ... while the log-space model keeps finite scores and proper probabilities
    jll = model.joint_log_likelihood(probe)
    assert np.isfinite(jll).all() and (jll < -1000).all()
    proba = model.predict_proba(probe)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert (model.predict(probe) == np.repeat([0, 1, 2], 10)).mean() > 0.9
    theirs = sk.GaussianNB().fit(X, y)
    np.testing.assert_allclose(proba, theirs.predict_proba(probe), atol=TOL)
    counts = (X > 0).astype(float)
    assert_agrees(nb.BernoulliNB(), sk.BernoulliNB(), counts, y)
    assert_agrees(nb.MultinomialNB(), sk.MultinomialNB(), rng.poisson(2.0, X.shape), y)


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer"])
def test_gaussian_partial_fit_in_chunks_predicts_as_fit(name: str) -> None:
    X, y = _load(name)
    order = np.random.default_rng(1).permutation(len(y))
    X, y = X[order], y[order]
    streamed = nb.GaussianNB()
    for rows in np.array_split(np.arange(len(y)), 7):
        streamed.partial_fit(X[rows], y[rows], classes=np.unique(y))
    whole = nb.GaussianNB().fit(X, y)
    np.testing.assert_allclose(streamed.predict_proba(X), whole.predict_proba(X), atol=TOL)
    np.testing.assert_allclose(
        streamed.predict_proba(X), sk.GaussianNB().fit(X, y).predict_proba(X), atol=TOL
    )
