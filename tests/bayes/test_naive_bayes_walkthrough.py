"""The classic Naive Bayes walk-through: its class scores, Gaussian densities and Iris accuracy."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.datasets import load_iris

from ganforge.bayes.naive_bayes import GaussianNB, cross_val_accuracy, gaussian_pdf
from ganforge.bayes.naive_bayes.cv import kfold_indices, walkthrough_folds

# The walk-through's contrived two-class dataset: rows of X1, X2, class.
CONTRIVED = np.array(
    [
        [3.393533211, 2.331273381, 0],
        [3.110073483, 1.781539638, 0],
        [1.343808831, 3.368360954, 0],
        [3.582294042, 4.67917911, 0],
        [2.280362439, 2.866990263, 0],
        [7.423436942, 4.696522875, 1],
        [5.745051997, 3.533989803, 1],
        [9.172168622, 2.511101045, 1],
        [7.792783481, 3.424088941, 1],
        [7.939820817, 0.791637231, 1],
    ]
)
ROW1_SCORES = {0: 0.05032427673372075, 1: 0.00011557718379945765}


def test_contrived_dataset_class_scores_of_the_first_row() -> None:
    X, y = CONTRIVED[:, :2], CONTRIVED[:, 2].astype(int)
    model = GaussianNB.walkthrough().fit(X, y)
    scores = np.exp(model.joint_log_likelihood(X[:1]))[0]
    assert model.classes_.tolist() == [0, 1]
    assert scores[0] == pytest.approx(ROW1_SCORES[0], rel=1e-12)
    assert scores[1] == pytest.approx(ROW1_SCORES[1], rel=1e-12)
    assert model.predict(X[:1])[0] == 0


def test_walkthrough_convention_is_the_sample_std_without_smoothing() -> None:
    X, y = CONTRIVED[:, :2], CONTRIVED[:, 2].astype(int)
    model = GaussianNB.walkthrough().fit(X, y)
    np.testing.assert_allclose(model.var_[0], X[y == 0].var(axis=0, ddof=1), rtol=1e-14)
    default = GaussianNB().fit(X, y)
    np.testing.assert_allclose(default.var_[0] - default.epsilon_, X[y == 0].var(axis=0))
    assert default.epsilon_ == pytest.approx(1e-9 * X.var(axis=0).max())
    # the default (scikit-learn) convention gives different scores for the same row
    assert np.exp(default.joint_log_likelihood(X[:1]))[0, 0] != pytest.approx(ROW1_SCORES[0])


@pytest.mark.parametrize(
    ("x", "expected"),
    [(1.0, 0.3989422804014327), (2.0, 0.24197072451914337), (0.0, 0.24197072451914337)],
)
def test_gaussian_density_values(x: float, expected: float) -> None:
    assert gaussian_pdf(x, 1.0, 1.0) == pytest.approx(expected, rel=1e-15)


def _walkthrough_folds(n_rows: int, n_folds: int) -> list[list[int]]:
    """The walk-through's folds: random.seed(1), rows drawn with randrange from what is left."""
    random.seed(1)
    left, size, folds = list(range(n_rows)), n_rows // n_folds, []
    for _ in range(n_folds):
        folds.append([left.pop(random.randrange(len(left))) for _ in range(size)])
    return folds


def test_iris_with_the_walkthrough_folds_scores_95_333_percent() -> None:
    X, y = load_iris(return_X_y=True)
    folds = _walkthrough_folds(len(y), 5)
    scores = []
    for k, test in enumerate(folds):
        train = [i for j, fold in enumerate(folds) if j != k for i in fold]
        scores.append(GaussianNB.walkthrough().fit(X[train], y[train]).score(X[test], y[test]))
    np.testing.assert_allclose(
        np.array(scores) * 100, [93.333333, 96.666667, 100, 93.333333, 93.333333], atol=1e-5
    )
    assert np.mean(scores) * 100 == pytest.approx(95.333333, abs=1e-5)


@pytest.mark.parametrize(("n_rows", "n_folds"), [(150, 5), (23, 5), (10, 3)])
def test_the_library_cuts_the_walkthrough_folds_the_same_way(n_rows: int, n_folds: int) -> None:
    expected = _walkthrough_folds(n_rows, n_folds)
    assert [f.tolist() for f in walkthrough_folds(n_rows, n_folds)] == expected
    split = kfold_indices(n_rows, n_folds, kind="walkthrough")  # seed None: the walk-through's 1
    assert [test.tolist() for _, test in split] == expected
    left_out = set(range(n_rows)) - {i for fold in expected for i in fold}
    for k, (train, _) in enumerate(split):  # trained on the other folds only
        assert sorted(train.tolist()) == sorted(
            i for j, f in enumerate(expected) if j != k for i in f
        )
        assert not left_out & set(train.tolist())
    X, y = load_iris(return_X_y=True)
    scores = cross_val_accuracy(GaussianNB.walkthrough, X, y, 5, kind="walkthrough")
    assert np.mean(scores) * 100 == pytest.approx(95.333333, abs=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_iris_five_fold_accuracy_is_about_95_percent(seed: int) -> None:
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    scores = cross_val_accuracy(GaussianNB, X, names, n_folds=5, seed=seed)
    assert len(scores) == 5
    assert np.mean(scores) == pytest.approx(0.9533, abs=0.01)
