"""Shared pieces of the Naive Bayes classifiers: input checks, class labels, priors, prediction."""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np
from scipy.special import logsumexp

from .errors import NaiveBayesError, NotFittedError

# Rows per block are chosen so that a block holds about this many values (2 MiB of float64):
# small enough to stay in cache, large enough that NumPy's per-call overhead does not show.
BLOCK_VALUES = 1 << 18


def row_blocks(n_rows: int, n_cols: int, values: int = BLOCK_VALUES) -> Iterator[slice]:
    """Consecutive row slices of about ``values`` cells each, covering ``n_rows`` rows."""
    step = max(1, values // max(1, n_cols))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def check_rectangular(X: Any) -> None:
    """Raise a clear error for a list of rows whose lengths differ (NumPy's message is opaque)."""
    if isinstance(X, np.ndarray) or not isinstance(X, list | tuple) or not X:
        return
    lengths = [len(row) if isinstance(row, list | tuple | np.ndarray) else None for row in X]
    if any(n is None for n in lengths):
        return
    if len(set(lengths)) > 1:
        bad = next(i for i, n in enumerate(lengths) if n != lengths[0])
        raise NaiveBayesError(
            f"rows have different lengths: row 0 has {lengths[0]} values, row {bad} has "
            f"{lengths[bad]}; every row needs one value per feature"
        )


def check_shape(arr: np.ndarray, model: str) -> None:
    """Insist on a non-empty 2-D (rows x features) array."""
    if arr.ndim != 2:
        raise NaiveBayesError(
            f"{model} expects a 2-D array (rows x features), got {arr.ndim}-D with shape "
            f"{arr.shape}; use X.reshape(-1, 1) for one feature or X.reshape(1, -1) for one row"
        )
    if arr.shape[0] == 0:
        raise NaiveBayesError(f"{model} got no rows (X has shape {arr.shape})")
    if arr.shape[1] == 0:
        raise NaiveBayesError(f"{model} got no feature columns (X has shape {arr.shape})")


def as_matrix(X: Any, model: str) -> np.ndarray:
    """``X`` as a finite 2-D float64 array, or a NaiveBayesError that says what to fix."""
    check_rectangular(X)
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise NaiveBayesError(
            f"{model} needs numeric features ({exc}); use CategoricalNB or MixedNB for "
            "nominal (text) columns"
        ) from None
    check_shape(arr, model)
    if not np.isfinite(arr).all():
        row, col = np.argwhere(~np.isfinite(arr))[0]
        raise NaiveBayesError(
            f"{model} got a non-finite value ({arr[row, col]}) at row {row}, column {col}; "
            "remove or impute missing values first"
        )
    return arr


_NUMBER_TYPES = (numbers.Real, np.bool_)


def object_array(items: list[Any]) -> np.ndarray:
    """A 1-D object array holding ``items`` as they are (tuples stay single values)."""
    arr = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        arr[i] = v
    return arr


def as_labels(y: Any, n_rows: int | None = None) -> np.ndarray:
    """Class labels as a 1-D array (native dtype when uniform, object for mixed hashables)."""
    if isinstance(y, np.ndarray):
        arr = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
    else:
        items = list(y)
        types = {type(v) for v in items}
        uniform = all(issubclass(t, str) for t in types) or all(
            issubclass(t, _NUMBER_TYPES) for t in types
        )
        arr = np.asarray(items) if uniform and items else object_array(items)
    if arr.ndim != 1:
        raise NaiveBayesError(
            f"y must be 1-D (one label per row), got shape {arr.shape}; pass y.ravel() if it "
            "holds one label per row"
        )
    if n_rows is not None and arr.shape[0] != n_rows:
        raise NaiveBayesError(
            f"X has {n_rows} rows but y has {arr.shape[0]} labels; give one label per row"
        )
    return arr


def unique_labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(classes, codes): sorted distinct labels (first-seen order if unsortable) and row codes."""
    if y.dtype != object:
        classes, codes = np.unique(y, return_inverse=True)
        return classes, codes.ravel()
    values = y.tolist()
    try:
        distinct = set(values)
    except TypeError:
        raise NaiveBayesError(
            "class labels must be hashable (numbers, strings, tuples, ...), got an unhashable "
            f"label of type {type(next(v for v in values if not _hashable(v))).__name__}"
        ) from None
    try:
        ordered = sorted(distinct)
    except TypeError:
        ordered = list(dict.fromkeys(values))
    classes = object_array(ordered)
    index = {c: i for i, c in enumerate(ordered)}
    return classes, np.fromiter((index[v] for v in values), dtype=np.intp, count=len(values))


def _hashable(v: object) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def lookup(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Index of each value in ``known``, -1 where absent."""
    numeric = {"b", "i", "u", "f"}
    if (known.dtype.kind in numeric and values.dtype.kind in numeric) or (
        known.dtype.kind == values.dtype.kind == "U"
    ):
        if len(known) == 0:
            return np.full(values.shape[0], -1, dtype=np.intp)
        order = np.argsort(known, kind="stable")
        codes = order[np.searchsorted(known[order], values).clip(0, len(known) - 1)]
        return np.where(known[codes] == values, codes, -1)
    index = {c: i for i, c in enumerate(known.tolist())}
    try:
        return np.fromiter((index.get(v, -1) for v in values.tolist()), np.intp, len(values))
    except TypeError:
        raise NaiveBayesError("labels and categories must be hashable values") from None


def encode_labels(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Codes of ``y`` in ``classes``; labels outside ``classes`` are an error."""
    codes = lookup(y, classes)
    if (codes < 0).any():
        unknown = list(dict.fromkeys(y[codes < 0].tolist()))[:5]
        raise NaiveBayesError(
            f"label(s) {unknown} are not among the classes {classes.tolist()}; pass every "
            "label that can occur as classes= on the first partial_fit call"
        )
    return codes


def onehot(codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Indicator matrix (rows x classes) of class codes, as float64 for matrix products."""
    out = np.zeros((codes.shape[0], n_classes))
    out[np.arange(codes.shape[0]), codes] = 1.0
    return out


def check_priors(priors: Any, n_classes: int, name: str = "priors") -> np.ndarray:
    """User-given class priors as a validated probability vector."""
    p = np.asarray(priors, dtype=np.float64).ravel()
    if p.shape[0] != n_classes:
        raise NaiveBayesError(
            f"{name} has {p.shape[0]} values but there are {n_classes} classes; give one "
            "prior per class, in the order of classes_"
        )
    if not np.isfinite(p).all() or (p < 0).any():
        raise NaiveBayesError(f"{name} must be non-negative finite numbers, got {p.tolist()}")
    if not np.isclose(p.sum(), 1.0):
        raise NaiveBayesError(f"{name} must sum to 1, they sum to {p.sum():.6g}")
    return p


def count_log_prior(class_count: np.ndarray, fit_prior: bool, class_prior: Any) -> np.ndarray:
    """Log class priors of the count-based models: given, from class frequencies, or uniform."""
    if class_prior is not None:
        return log_of(check_priors(class_prior, len(class_count), "class_prior"))
    if fit_prior:
        return log_of(class_count) - np.log(class_count.sum())
    return np.full(len(class_count), -np.log(len(class_count)))


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds, so messages show 'red' not np.str_('red')."""
    return value.item() if isinstance(value, np.generic) else value


def log_of(x: np.ndarray) -> np.ndarray:
    """Natural log with log(0) = -inf and no warning (zero counts and priors are legitimate)."""
    with np.errstate(divide="ignore"):
        return np.log(x)


class NaiveBayes:
    """Prediction shared by every model; subclasses set ``classes_``, ``class_log_prior_`` and
    implement ``_log_likelihood(X)`` (sum over features of log p(x_j | class))."""

    classes_: np.ndarray
    class_log_prior_: np.ndarray
    n_features_in_: int
    #: Optional column names used in error messages (set it before fit/predict to get them).
    feature_names: list[Any] | None = None

    def _feature(self, j: int) -> str:
        """How error messages name feature ``j``: its name if known, else its index."""
        names = self.feature_names
        return f"column {names[j]!r}" if names is not None else f"feature {j}"

    def _class(self, k: int) -> Any:
        """Class ``k`` as a plain Python value (for readable messages)."""
        return self.classes_.tolist()[k]

    def _check_fitted(self) -> None:
        if getattr(self, "class_log_prior_", None) is None:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(X, y) before predicting"
            )

    def _log_likelihood(self, X: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _reset(self) -> None:
        """Forget a previous fit (``fit`` always starts over, ``partial_fit`` continues)."""
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("__")]:
            delattr(self, name)

    def _partial_fit_codes(self, y: np.ndarray, classes: Any) -> np.ndarray:
        """Class codes for a ``partial_fit`` chunk; the first call fixes ``classes_``."""
        if getattr(self, "classes_", None) is None:
            if classes is None:
                raise NaiveBayesError(
                    "the first partial_fit call needs classes=[...] listing every label that "
                    "can occur (later chunks may lack some of them)"
                )
            self.classes_ = unique_labels(as_labels(classes))[0]
        elif classes is not None:
            given = unique_labels(as_labels(classes))[0]
            if given.tolist() != self.classes_.tolist():
                raise NaiveBayesError(
                    f"classes={given.tolist()} differs from the first partial_fit call "
                    f"({self.classes_.tolist()}); call fit to start over"
                )
        return encode_labels(y, self.classes_)

    def _check_width(self, X: np.ndarray | list[np.ndarray]) -> None:
        """Insist that X has as many features as the data the model was fitted on."""
        width = len(X) if isinstance(X, list) else X.shape[1]
        expected = getattr(self, "n_features_in_", None)
        if expected is not None and width != expected:
            raise NaiveBayesError(f"X has {width} features but this model was fitted on {expected}")

    def feature_log_likelihood(self, X: Any) -> np.ndarray:
        """sum_j log p(x_j | class) without the prior, rows x classes (``classes_`` order)."""
        self._check_fitted()
        return self._log_likelihood(X)

    def joint_log_likelihood(self, X: Any) -> np.ndarray:
        """log P(class) + sum_j log p(x_j | class), rows x classes (in ``classes_`` order)."""
        likelihood = self.feature_log_likelihood(X)
        return self.class_log_prior_ + likelihood

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log posterior class probabilities, rows x classes; normalised in log space."""
        jll = self.joint_log_likelihood(X)
        with np.errstate(invalid="ignore"):
            # shift by the row maximum first: normalising the shifted scores keeps full
            # precision even when the scores themselves are huge (thousands of features)
            shifted = jll - jll.max(axis=1, keepdims=True)
            return shifted - logsumexp(shifted, axis=1, keepdims=True)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior class probabilities, rows x classes; each row sums to 1."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class label of each row."""
        best = np.argmax(self.joint_log_likelihood(X), axis=1)
        return self.classes_[best]

    def score(self, X: Any, y: Any) -> float:
        """Mean accuracy of ``predict(X)`` against the true labels ``y``."""
        predicted = self.predict(X)
        truth = as_labels(y, predicted.shape[0])
        return float(np.mean([a == b for a, b in zip(predicted.tolist(), truth.tolist())]))
