"""Clear errors for shape, type, label and category problems; labels of any hashable kind."""

from __future__ import annotations

import numpy as np
import pytest

from ganforge.bayes import naive_bayes as nb
from ganforge.bayes.naive_bayes import NaiveBayesError, NotFittedError, UnseenCategoryError

X = np.array([[1.0, 2.0], [1.5, 1.0], [3.0, 4.0], [3.5, 5.0]])
Y = ["a", "a", "b", "b"]


def test_errors_are_value_errors() -> None:
    assert issubclass(NaiveBayesError, ValueError)
    assert issubclass(UnseenCategoryError, NaiveBayesError)
    assert issubclass(NotFittedError, NaiveBayesError)


@pytest.mark.parametrize("name", sorted(nb.MODELS))
def test_predict_before_fit_says_call_fit(name: str) -> None:
    with pytest.raises(NotFittedError, match=r"not fitted yet; call fit\(X, y\)"):
        nb.make_model(name).predict(X)


def test_unknown_model_name_lists_the_choices() -> None:
    with pytest.raises(NaiveBayesError, match=r"unknown Naive Bayes model 'gauss'.*'gaussian'"):
        nb.make_model("gauss")


@pytest.mark.parametrize(
    ("features", "labels", "message"),
    [
        (X[:, 0], Y, r"expects a 2-D array .*got 1-D.*X.reshape\(-1, 1\)"),
        (X, Y[:3], r"X has 4 rows but y has 3 labels"),
        (np.empty((0, 2)), [], r"got no rows"),
        (X, np.array([Y, Y]).T, r"y must be 1-D"),
        ([[1.0, 2.0], [1.0]], Y[:2], r"row 0 has 2 values, row 1 has 1"),
        (
            [[1.0, "red"], [2.0, "blue"]],
            [0, 1],
            r"needs numeric features.*CategoricalNB or MixedNB",
        ),
        ([[1.0, np.nan], [2.0, 1.0]], [0, 1], r"non-finite value \(nan\) at row 0, column 1"),
    ],
)
def test_gaussian_input_errors(features: object, labels: object, message: str) -> None:
    with pytest.raises(NaiveBayesError, match=message):
        nb.GaussianNB().fit(features, labels)


def test_wrong_number_of_features_at_prediction() -> None:
    for name in ("gaussian", "bernoulli", "multinomial", "kernel", "categorical", "mixed"):
        model = nb.make_model(name).fit(X, Y)
        with pytest.raises(
            NaiveBayesError, match=r"X has 3 features but this model was fitted on 2"
        ):
            model.predict(np.ones((1, 3)))


def test_zero_variance_without_smoothing_names_the_feature_and_the_fix() -> None:
    flat = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 1.0], [4.0, 2.0]])
    model = nb.GaussianNB.walkthrough().fit(flat, Y)
    model.feature_names = ["width", "height"]
    with pytest.raises(
        NaiveBayesError, match=r"column 'height' has zero variance in class 'a'.*var_smoothing > 0"
    ):
        model.predict(flat)
    assert nb.GaussianNB().fit(flat, Y).predict(flat).tolist() == Y


def test_bad_priors_are_explained() -> None:
    with pytest.raises(NaiveBayesError, match=r"priors has 3 values but there are 2 classes"):
        nb.GaussianNB(priors=[0.2, 0.3, 0.5]).fit(X, Y)
    with pytest.raises(NaiveBayesError, match=r"priors must sum to 1, they sum to 0.5"):
        nb.GaussianNB(priors=[0.25, 0.25]).fit(X, Y)
    with pytest.raises(NaiveBayesError, match=r"class_prior must be non-negative"):
        nb.MultinomialNB(class_prior=[1.5, -0.5]).fit(X, Y)


def test_partial_fit_needs_classes_first_and_rejects_new_labels() -> None:
    model = nb.GaussianNB()
    with pytest.raises(NaiveBayesError, match=r"first partial_fit call needs classes="):
        model.partial_fit(X, Y)
    model.partial_fit(X[:2], Y[:2], classes=["a", "b"])
    with pytest.raises(
        NaiveBayesError, match=r"label\(s\) \['c'\] are not among the classes \['a', 'b'\]"
    ):
        model.partial_fit(X[:1], ["c"])
    with pytest.raises(NaiveBayesError, match=r"X has 3 features but this model was fitted on 2"):
        model.partial_fit(np.ones((1, 3)), ["a"])


def test_a_class_without_rows_yet_is_never_predicted() -> None:
    model = nb.GaussianNB().partial_fit(X, Y, classes=["a", "b", "c"])
    proba = model.predict_proba(X)
    assert (proba[:, 2] == 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_unseen_category_policies() -> None:
    rows = [["red", "s"], ["red", "m"], ["blue", "l"], ["blue", "m"]]
    new = [["green", "m"]]
    with pytest.raises(
        UnseenCategoryError,
        match=r"feature 0 has value 'green' \(row 0\).*known: 'blue', 'red'.*unseen='ignore'",
    ):
        nb.CategoricalNB().fit(rows, Y).predict(new)
    ignored = nb.CategoricalNB(unseen="ignore").fit(rows, Y)
    only_size = nb.CategoricalNB().fit([r[1:] for r in rows], Y)
    np.testing.assert_allclose(ignored.predict_proba(new), only_size.predict_proba([["m"]]))
    smooth = nb.CategoricalNB(unseen="smooth").fit(rows, Y)
    # alpha / (class count + alpha * 2 colours) = 1/4 for both classes: same posterior as ignoring
    np.testing.assert_allclose(smooth.predict_proba(new), ignored.predict_proba(new))
    expected = np.log(0.5) + np.log(1 / 4) + np.log(np.array([2 / 5, 2 / 5]))
    np.testing.assert_allclose(smooth.joint_log_likelihood(new)[0], expected)
    with pytest.raises(NaiveBayesError, match=r"unseen='smooth' needs alpha > 0"):
        nb.CategoricalNB(unseen="smooth", alpha=0.0).fit(rows, Y)
    with pytest.raises(NaiveBayesError, match=r"unseen must be one of"):
        nb.CategoricalNB(unseen="skip").fit(rows, Y)  # type: ignore[arg-type]


def test_code_columns_treat_out_of_range_codes_as_unseen() -> None:
    model = nb.CategoricalNB().fit([[0], [1], [2], [1]], Y)
    with pytest.raises(UnseenCategoryError, match=r"value 7 .*known: 0, 1, 2"):
        model.predict([[7]])


def test_declared_categories_must_cover_the_training_values() -> None:
    with pytest.raises(NaiveBayesError, match=r"has value 'xl', which is not in its declared"):
        nb.CategoricalNB(categories=[["s", "m", "l"]]).fit([["s"], ["xl"], ["m"], ["l"]], Y)


def test_count_model_input_errors() -> None:
    with pytest.raises(NaiveBayesError, match=r"non-negative counts, got -1.0 at row 0, column 1"):
        nb.MultinomialNB().fit([[1, -1], [2, 3]], [0, 1])
    with pytest.raises(
        NaiveBayesError, match=r"binarize=None needs 0/1 features.*binarize=THRESHOLD"
    ):
        nb.BernoulliNB(binarize=None).fit([[1, 2], [0, 1]], [0, 1])
    with pytest.raises(NaiveBayesError, match=r"alpha must be >= 0"):
        nb.MultinomialNB(alpha=-1).fit([[1, 1], [2, 3]], [0, 1])


def test_kernel_bandwidth_errors() -> None:
    with pytest.raises(
        NaiveBayesError, match=r"bandwidth must be 'scott', 'silverman' or a positive"
    ):
        nb.KernelNB(bandwidth="wide").fit(X, Y)
    with pytest.raises(NaiveBayesError, match=r"numeric bandwidth factor must be positive"):
        nb.KernelNB(bandwidth=0.0).fit(X, Y)


def test_mixed_model_column_errors() -> None:
    rows = [[1.0, "red"], [2.0, "red"], [5.0, "blue"], [6.0, "blue"]]
    with pytest.raises(NaiveBayesError, match=r"nominal column indices \[4\] are out of range"):
        nb.MixedNB(nominal=[4]).fit(rows, Y)
    model = nb.MixedNB().fit(rows, Y)
    with pytest.raises(NaiveBayesError, match=r"feature 0 is numeric in training but holds 'big'"):
        model.predict([["big", "red"]])
    with pytest.raises(UnseenCategoryError, match=r"column 1 has value 'green'"):
        model.predict([[1.0, "green"]])


@pytest.mark.parametrize(
    "labels",
    [
        ["a", "a", "b", "b"],
        [0, 0, 7, 7],
        [(1, "x"), (1, "x"), (2, "y"), (2, "y")],
        ["a", "a", 3, 3],
        [None, None, frozenset({1}), frozenset({1})],
    ],
)
def test_any_hashable_labels(labels: list[object]) -> None:
    binary = np.array([[1, 0], [1, 0], [0, 1], [0, 1]])
    for name in ("gaussian", "kernel", "categorical", "mixed", "bernoulli", "multinomial"):
        model = nb.make_model(name).fit(binary, labels)
        assert model.classes_.shape == (2,)
        assert model.predict(binary).tolist() == labels
        assert model.score(binary, labels) == 1.0


def test_unhashable_labels_are_rejected() -> None:
    with pytest.raises(NaiveBayesError, match=r"class labels must be hashable.*list"):
        nb.GaussianNB().fit(X, [[1], [1], [2], [2]])


def test_cross_validation_fold_errors() -> None:
    with pytest.raises(NaiveBayesError, match=r"at least 2 folds"):
        nb.kfold_indices(10, 1)
    with pytest.raises(NaiveBayesError, match=r"5 folds need at least 5 rows, the data has 4"):
        nb.cross_val_accuracy(nb.GaussianNB, X, Y, n_folds=5)


def test_all_constant_training_data_is_explained() -> None:
    with pytest.raises(NaiveBayesError, match=r"every feature is constant in the training data"):
        nb.GaussianNB().fit(np.ones((4, 2)), Y).predict(np.ones((1, 2)))
