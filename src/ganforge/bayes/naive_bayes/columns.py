"""Column-wise views of tabular input with nominal values, and the per-column category codes."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .base import check_rectangular, check_shape, lookup, object_array, unique_labels
from .errors import NaiveBayesError


def narrow(column: np.ndarray) -> np.ndarray:
    """An object column as int64, float64 or str when all its values allow it, else unchanged."""
    values = column.tolist()

    def every(kind: type | tuple[type, ...]) -> bool:
        return all(isinstance(v, kind) and not isinstance(v, bool | np.bool_) for v in values)

    if every(numbers.Integral):
        return np.asarray(values, dtype=np.int64)
    if every(numbers.Real):
        return np.asarray(values, dtype=np.float64)
    if every(str):
        return np.asarray(values, dtype=str)
    return column


def as_object_table(X: Any, model: str) -> np.ndarray:
    """Rows of arbitrary values as a 2-D object array (tuples stay single values)."""
    if isinstance(X, np.ndarray):
        check_shape(X, model)
        return X
    rows = list(X)
    if rows and any(isinstance(r, str | bytes) or not hasattr(r, "__len__") for r in rows):
        raise NaiveBayesError(
            f"{model} expects rows of values (a 2-D table), got a flat sequence; wrap a single "
            "row as [row] or a single feature as [[v] for v in values]"
        )
    check_rectangular(rows)
    if not rows:
        raise NaiveBayesError(f"{model} got no rows")
    table = np.empty((len(rows), len(rows[0])), dtype=object)
    for i, row in enumerate(rows):
        table[i, :] = object_array(list(row))
    check_shape(table, model)
    return table


def as_columns(X: Any, model: str) -> list[np.ndarray]:
    """``X`` as a list of 1-D columns, each with its own natural dtype (numbers or labels)."""
    table = as_object_table(X, model)
    if table.dtype != object:
        return [table[:, j] for j in range(table.shape[1])]
    return [narrow(table[:, j]) for j in range(table.shape[1])]


def stack_columns(columns: list[np.ndarray]) -> np.ndarray:
    """Columns back into one 2-D object array (inverse of ``as_columns`` for mixed types)."""
    table = np.empty((columns[0].shape[0], len(columns)), dtype=object)
    for j, col in enumerate(columns):
        table[:, j] = col
    return table


def is_code_column(column: np.ndarray) -> bool:
    """Non-negative whole numbers: scikit-learn's category codes 0..n-1."""
    if column.dtype.kind in "iu":
        return bool(column.min() >= 0)
    if column.dtype.kind == "f":
        finite = np.isfinite(column).all()
        return bool(finite and (column >= 0).all() and (column == np.floor(column)).all())
    return False


class CategoryCoder:
    """Maps the values of one nominal column to codes 0..n_categories-1.

    Non-negative whole numbers are taken as codes themselves (categories 0..max, as in
    scikit-learn's CategoricalNB); other values are categories as seen (sorted when sortable),
    unless ``categories`` fixes the list up front. ``min_categories`` reserves extra codes.
    """

    def __init__(self, column: np.ndarray, min_categories: int = 0, categories: Any = None) -> None:
        if categories is not None:
            self.codes_mode = False
            self.categories = _as_given_order(categories)
        elif is_code_column(column):
            self.codes_mode = True
            self.categories = np.arange(int(column.max()) + 1)
        else:
            self.codes_mode = False
            self.categories = unique_labels(column)[0]
        self.n_categories = max(len(self.categories), int(min_categories))

    def encode(self, column: np.ndarray) -> np.ndarray:
        """Codes of the values; -1 marks a value outside the known categories."""
        if not self.codes_mode:
            return lookup(column, self.categories)
        if column.dtype.kind not in "iuf":
            return np.full(column.shape[0], -1, dtype=np.intp)
        whole = (column >= 0) & (column < self.n_categories) & (column == np.floor(column))
        return np.where(whole, column, -1).astype(np.intp)

    def describe(self, limit: int = 8) -> str:
        """The known categories, abbreviated, for error messages."""
        known = self.categories.tolist()
        text = ", ".join(repr(v) for v in known[:limit])
        return text + (f", ... ({len(known)} in all)" if len(known) > limit else "")


def _as_given_order(categories: Any) -> np.ndarray:
    """User-declared categories as an array in the order given, rejecting duplicates."""
    values = list(categories)
    arr = narrow(object_array(values))
    if len(set(arr.tolist())) != len(values):
        raise NaiveBayesError(f"categories {values} contain duplicates; list each value once")
    return arr
