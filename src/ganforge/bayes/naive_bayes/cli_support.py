"""The naive-bayes command's workflow: a CSV in, cross-validated accuracy and predictions out."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from . import MODELS, make_model
from .base import NaiveBayes
from .categorical import UNSEEN_POLICIES
from .columns import stack_columns
from .csv_table import CsvTable, read_csv, read_new_rows, resolve_column
from .cv import DEFAULT_SEEDS, FOLD_KINDS, FoldKind, cross_val_accuracy, kfold_indices
from .errors import NaiveBayesError
from .kernel import BANDWIDTH_RULES

log = logging.getLogger(__name__)

NUMERIC_ONLY = ("gaussian", "kernel", "bernoulli", "multinomial")
# The command-line options each model uses (the summary names them with their values).
RELEVANT = {
    "gaussian": ("convention",),
    "kernel": ("bandwidth",),
    "bernoulli": ("alpha",),
    "multinomial": ("alpha",),
    "categorical": ("alpha", "unseen"),
    "mixed": ("convention", "alpha", "unseen"),
}
CONVENTIONS = ("sklearn", "walkthrough")
# The named values of each option (for a command line's choices); bandwidth also takes a number.
CHOICES: dict[str, tuple[str, ...]] = {
    "model": tuple(MODELS),
    "convention": CONVENTIONS,
    "folds": FOLD_KINDS,
    "unseen": UNSEEN_POLICIES,
    "bandwidth": BANDWIDTH_RULES,
}


@dataclass(frozen=True)
class Features:
    """Which columns feed the model and how: numeric columns as floats, nominal ones as text."""

    target: str
    names: list[str]
    nominal: list[str]
    categories: dict[str, list[str]]

    @classmethod
    def from_table(cls, table: CsvTable, target: str, model: str) -> Features:
        """Pick the feature columns of ``table`` (``target``: a column name) for ``model``."""
        names = [c for c in table.columns if c != target]
        if not names:
            raise NaiveBayesError(f"{table.path} has only the target column; add feature columns")
        if model == "categorical":
            nominal = names
        else:
            nominal = [c for c in names if table.numeric(c) is None]
        if model in NUMERIC_ONLY and nominal:
            raise NaiveBayesError(
                f"--model {model} needs numeric columns, but {nominal} hold text; use --model "
                "mixed (numeric and nominal together) or --model categorical"
            )
        categories = {c: sorted(set(table.column(c))) for c in nominal}
        return cls(target, names, nominal, categories)

    def matrix(self, table: CsvTable) -> np.ndarray:
        """The feature columns of ``table`` (training or new rows) as the model's input array."""
        given, known, nominal = set(table.columns), set(self.names), set(self.nominal)
        missing = [c for c in self.names if c not in given]
        extra = [c for c in table.columns if c not in known and c != self.target]
        if missing or extra:
            raise NaiveBayesError(
                f"{table.path} must have the training columns {self.names}"
                + (f"; missing {missing}" if missing else "")
                + (f"; unknown {extra} (remove them)" if extra else "")
            )
        columns = []
        for name in self.names:
            if name in nominal:
                columns.append(np.array(table.column(name), dtype=object))
                continue
            values = table.numeric(name)
            if values is None:
                bad = next(r for r in table.column(name) if _not_number(r))
                raise NaiveBayesError(
                    f"{table.path}: column {name!r} is numeric in the training data but holds "
                    f"{bad!r}; give it numbers"
                )
            columns.append(values)
        if not self.nominal:
            return np.column_stack(columns)
        return stack_columns(columns)


def _not_number(cell: str) -> bool:
    try:
        return not np.isfinite(float(cell))
    except ValueError:
        return True


def build_model(
    name: str,
    features: Features,
    *,
    convention: Literal["sklearn", "walkthrough"] = "sklearn",
    unseen: Literal["error", "ignore", "smooth"] = "error",
    alpha: float = 1.0,
    bandwidth: str | float = "scott",
) -> NaiveBayes:
    """An unfitted model of kind ``name`` configured for the columns in ``features``."""
    if name not in MODELS:
        raise NaiveBayesError(f"unknown model {name!r}; choose from {sorted(MODELS)}")
    if convention not in CONVENTIONS:
        raise NaiveBayesError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    gaussian: dict[str, Any] = (
        {"ddof": 1, "var_smoothing": 0.0} if convention == "walkthrough" else {}
    )
    categories = [features.categories[c] for c in features.nominal]
    position = {name: j for j, name in enumerate(features.names)}
    params: dict[str, dict[str, Any]] = {
        "gaussian": gaussian,
        "kernel": {"bandwidth": bandwidth},
        "bernoulli": {"alpha": alpha},
        "multinomial": {"alpha": alpha},
        "categorical": {"alpha": alpha, "categories": categories, "unseen": unseen},
        "mixed": {
            "nominal": [position[c] for c in features.nominal],
            "categories": categories,
            "alpha": alpha,
            "unseen": unseen,
            **gaussian,
        },
    }
    model = make_model(name, **params[name])
    model.feature_names = list(features.names)
    return model


@dataclass
class NaiveBayesRun:
    """What the command measured: accuracy per fold and, when asked, predictions as CSV text."""

    data: Path
    model: str
    features: Features
    n_rows: int
    classes: list[Any]
    table: CsvTable | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    folds: str = ""
    notes: list[str] = field(default_factory=list)
    fold_sizes: list[int] = field(default_factory=list)
    fold_accuracies: list[float] = field(default_factory=list)
    predictions: str | None = None
    predictions_path: Path | None = None

    @property
    def mean_accuracy(self) -> float | None:
        """Mean of the fold accuracies (None without cross-validation)."""
        return float(np.mean(self.fold_accuracies)) if self.fold_accuracies else None

    def summary(self) -> list[str]:
        """Human-readable lines: data, model, each fold and the mean accuracy."""
        f = self.features
        numeric = len(f.names) - len(f.nominal)
        blank = self.table.blank_lines if self.table is not None else 0
        skipped = f", {blank} blank line{'s' * (blank != 1)} skipped" if blank else ""
        lines = [
            f"data: {self.data} ({self.n_rows} rows{skipped}, {numeric} numeric and "
            f"{len(f.nominal)} nominal features), target {f.target!r} with "
            f"{len(self.classes)} classes",
            *([self.table.header_line()] if self.table is not None else []),
            *(f"note: {note}" for note in self.notes),
            f"model: {self.model}"
            + (
                f" ({', '.join(f'{k}={v}' for k, v in self.settings.items())})"
                if self.settings
                else ""
            ),
        ]
        k = len(self.fold_accuracies)
        if self.folds:
            lines.append(f"folds: {self.folds}")
        for i, (acc, size) in enumerate(zip(self.fold_accuracies, self.fold_sizes), 1):
            lines.append(f"fold {i}/{k}: accuracy {acc:.4f} ({round(acc * size)}/{size})")
        if self.mean_accuracy is not None:
            spread = float(np.std(self.fold_accuracies))
            lines.append(
                f"mean accuracy: {self.mean_accuracy:.4f} = {100 * self.mean_accuracy:.3f}% "
                f"(std {spread:.4f}, {k} folds)"
            )
        return lines


def predictions_csv(model: NaiveBayes, features: Features, table: CsvTable) -> str:
    """The rows of ``table`` with the predicted class and one probability column per class."""
    proba = model.predict_proba(features.matrix(table))
    labels = model.classes_[np.argmax(proba, axis=1)].tolist()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    classes = model.classes_.tolist()
    writer.writerow([*table.columns, f"predicted_{features.target}", *(f"p_{c}" for c in classes)])
    for row, label, p in zip(table.rows, labels, proba):
        writer.writerow([*row, label, *(f"{v:.6g}" for v in p)])
    return out.getvalue()


def parse_bandwidth(value: str | float) -> str | float:
    """A bandwidth option as the kernel model takes it: a rule name, or a number given as text."""
    if not isinstance(value, str) or value in BANDWIDTH_RULES:
        return value
    try:
        return float(value)
    except ValueError:
        raise NaiveBayesError(
            f"--bandwidth must be {', '.join(BANDWIDTH_RULES)} or a number, got {value!r}"
        ) from None


def write_predictions(path: str | Path, text: str) -> Path:
    """Write predictions CSV text to ``path``; a path that cannot be written is a user error."""
    path = Path(path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise NaiveBayesError(
            f"cannot write the predictions to {path}: {exc.strerror or exc}"
        ) from None
    return path


def describe_folds(kind: str, n_rows: int, cv: int, seed: int) -> tuple[str, str | None]:
    """The folds line of the summary, and a note when some rows are in no fold."""
    if kind == "shuffled":
        sizes = f"{n_rows // cv}" + (f" to {n_rows // cv + 1}" if n_rows % cv else "")
        return f"{cv} shuffled folds of {sizes} rows (seed {seed})", None
    size, left = n_rows // cv, n_rows % cv
    line = f"{cv} walkthrough folds of {size} rows (Python's random.seed({seed}), randrange)"
    note = None
    if left:
        note = (
            f"{left} of {n_rows} rows are in no fold (the walk-through keeps {cv} x {size}): "
            "they are neither tested nor trained on; --folds shuffled uses every row"
        )
    return line, note


def run_naive_bayes(
    data: str | Path,
    target: str | int,
    *,
    model: str = "gaussian",
    cv: int = 5,
    predict: str | Path | None = None,
    out: str | Path | None = None,
    seed: int | None = None,
    header: bool | None = None,
    folds: FoldKind = "shuffled",
    convention: Literal["sklearn", "walkthrough"] = "sklearn",
    unseen: Literal["error", "ignore", "smooth"] = "error",
    alpha: float = 1.0,
    bandwidth: str | float = "scott",
) -> NaiveBayesRun:
    """Cross-validate ``model`` on a CSV file (``cv`` folds, 0 for none) and predict new rows.

    ``target`` is a column name or a 0-based index (-1: the last column). ``header`` says
    whether the file's first row names the columns (None: detect it). ``folds`` is how the rows
    are cut into folds (``FOLD_KINDS``), ``seed`` its seed (None: the kind's default, 0 for
    shuffled and the walk-through's 1). The predictions of ``predict``'s rows (see
    ``read_new_rows`` for their layout) are kept as CSV text in ``.predictions`` and, with
    ``out``, written there (``.predictions_path``). ``convention``, ``unseen``, ``alpha`` and
    ``bandwidth`` (a rule of ``BANDWIDTH_RULES`` or a factor, also as text) go to ``build_model``.
    """
    if cv == 1 or cv < 0:
        raise NaiveBayesError(f"--cv must be 0 (no cross-validation) or at least 2, got {cv}")
    if cv == 0 and predict is None:
        raise NaiveBayesError("nothing to do: give --cv 2 or more, or --predict ROWS.csv")
    if out is not None and predict is None:
        raise NaiveBayesError("--out writes predictions: give --predict ROWS.csv too")
    if folds not in FOLD_KINDS:
        raise NaiveBayesError(f"--folds must be one of {', '.join(FOLD_KINDS)}, got {folds!r}")
    options: dict[str, Any] = {
        "convention": convention,
        "unseen": unseen,
        "alpha": alpha,
        "bandwidth": parse_bandwidth(bandwidth),
    }
    table = read_csv(data, header)
    name, note = resolve_column(table, target)
    features = Features.from_table(table, name, model)
    X = features.matrix(table)
    y = np.array(table.column(name), dtype=object)
    classes = sorted(set(y.tolist()))
    run = NaiveBayesRun(Path(data), model, features, len(table.rows), classes, table)
    run.notes = [note] if note else []
    if len(run.classes) == 1:
        log.warning(
            "column %r holds one class only (%r): every prediction is that class, so the "
            "accuracy (1.0) says nothing about the features; give rows of at least two classes",
            name,
            run.classes[0],
        )
    run.settings = {k: options[k] for k in RELEVANT.get(model, ())}
    if cv:
        seed = DEFAULT_SEEDS[folds] if seed is None else seed
        split = kfold_indices(len(y), cv, seed, folds)
        run.fold_sizes = [len(test) for _, test in split]
        run.folds, unused = describe_folds(folds, len(y), cv, seed)
        run.notes += [unused] if unused else []
        run.fold_accuracies = cross_val_accuracy(
            lambda: build_model(model, features, **options), X, y, cv, seed, folds
        )
    if predict is not None:
        fitted = build_model(model, features, **options).fit(X, y)
        nominal = set(features.nominal)
        numeric = [c for c in features.names if c not in nominal]
        rows = read_new_rows(predict, table, features.names, numeric)
        run.predictions = predictions_csv(fitted, features, rows)
        if out is not None:
            run.predictions_path = write_predictions(out, run.predictions)
    return run
