"""CSV tables for the Naive Bayes command: a header row (given or detected), rectangular rows,
numeric detection, and columns chosen by name or by index."""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .errors import NaiveBayesError

INDEX = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class CsvTable:
    """A CSV file as column names and rows of stripped text cells (with their line numbers).

    ``header`` says whether the first row held the column names and ``header_reason`` why
    (an option, or what detection saw); without a header the columns are named by their
    0-based position ("0", "1", ...). ``blank_lines`` counts the empty lines that were skipped.
    """

    path: Path
    columns: list[str]
    rows: list[list[str]]
    lines: list[int]
    header: bool = True
    header_reason: str = ""
    blank_lines: int = 0

    @cached_property
    def _position(self) -> dict[str, int]:
        """Each column's index by name (a list lookup per column is quadratic in columns)."""
        return {name: j for j, name in enumerate(self.columns)}

    def column(self, name: str) -> list[str]:
        """The cells of one column, top to bottom."""
        j = self._position[name]
        return [row[j] for row in self.rows]

    def numeric(self, name: str) -> np.ndarray | None:
        """The column as float64 when every cell is a finite number, else None."""
        values = []
        for cell in self.column(name):
            if not is_number(cell):
                return None
            values.append(float(cell))
        return np.array(values, dtype=np.float64)

    def header_line(self) -> str:
        """One line for the command's summary: which row, if any, named the columns."""
        if self.header:
            return f"header: row 1 ({self.header_reason}; --no-header reads it as data)"
        return (
            f"header: none, columns numbered 0 to {len(self.columns) - 1} "
            f"({self.header_reason}; --header reads row 1 as names)"
        )


def is_number(cell: str) -> bool:
    """Whether a cell is a finite number (``nan`` and ``inf`` count as text)."""
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


def read_rows(path: str | Path) -> tuple[list[list[str]], list[int], int]:
    """Non-blank rows of stripped cells, their line numbers, and how many blank lines there were.

    An unreadable, missing or empty file is an error.
    """
    path = Path(path)
    rows, lines, blank = [], [], 0
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            for row in reader:
                if not any(cell.strip() for cell in row):
                    blank += 1
                    continue
                rows.append([cell.strip() for cell in row])
                lines.append(reader.line_num)
    except FileNotFoundError:
        raise NaiveBayesError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NaiveBayesError(f"{path} is a directory; give a CSV file") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise NaiveBayesError(f"{path} is not a readable UTF-8 CSV file ({exc})") from None
    if not rows:
        raise NaiveBayesError(f"{path} is empty; it needs data rows (and may have a header row)")
    return rows, lines, blank


def detect_header(rows: list[list[str]]) -> tuple[bool, str]:
    """Whether the first row names the columns, and the evidence, from the rows below it.

    A header when some column holds numbers below row 1 but text in row 1; no header when
    row 1 has numbers wherever the rows below do; for all-text columns, a header when none of
    row 1's values appears again in its column (names rarely recur; data values usually do).
    """
    first = rows[0]
    below = [row for row in rows[1:] if len(row) == len(first)]
    if not below:
        return True, "the only row of its width"
    numeric = [j for j in range(len(first)) if all(is_number(row[j]) for row in below)]
    texts = [j for j in numeric if not is_number(first[j])]
    if texts:
        return True, f"detected: text above numbers in {_count(texts, 'column')}"
    if numeric:
        return False, "detected: row 1 has numbers like the rows below"
    recurring = [j for j in range(len(first)) if any(row[j] == first[j] for row in below)]
    if recurring:
        return False, "detected: values of row 1 recur in the rows below"
    return True, "detected: all text, no value of it recurs below"


def _count(items: list[int], noun: str) -> str:
    return f"{len(items)} {noun}" + ("" if len(items) == 1 else "s")


def read_csv(path: str | Path, header: bool | None = None) -> CsvTable:
    """Read a CSV file; ``header`` True/False says whether row 1 names the columns, None detects.

    Ragged rows and blank cells are errors (with their line numbers); blank lines are skipped
    and counted.
    """
    path = Path(path)
    rows, lines, blank = read_rows(path)
    if header is None:
        has_header, reason = detect_header(rows)
    else:
        has_header, reason = header, "--header" if header else "--no-header"
    if has_header:
        columns, rows, lines = rows[0], rows[1:], lines[1:]
        _check_header(path, columns)
        if not rows:
            raise NaiveBayesError(f"{path} has a header but no data rows")
    else:
        columns = [str(j) for j in range(len(rows[0]))]
    width = "the header has" if has_header else "row 1 has"
    for row, line in zip(rows, lines):
        if len(row) != len(columns):
            raise NaiveBayesError(
                f"{path} line {line} has {len(row)} values but {width} {len(columns)} "
                "columns; every row needs one value per column"
            )
        if "" in row:
            name = columns[row.index("")]
            raise NaiveBayesError(
                f"{path} line {line}: column {name!r} is empty; fill in or drop rows with "
                "missing values"
            )
    return CsvTable(path, columns, rows, lines, has_header, reason, blank)


def _check_header(path: Path, columns: list[str]) -> None:
    if "" in columns:
        raise NaiveBayesError(
            f"{path}: header column {columns.index('') + 1} has no name; name every column"
        )
    repeated = sorted(c for c, n in Counter(columns).items() if n > 1)
    if repeated:
        raise NaiveBayesError(f"{path}: column name(s) {repeated} appear more than once")


def resolve_column(table: CsvTable, target: str | int) -> tuple[str, str | None]:
    """The column named by ``target``: a whole number is a 0-based index (-1: the last column),
    anything else a name. Returns the name and a note when a number is also another column's name.
    """
    text = str(target).strip()
    if INDEX.fullmatch(text):
        k, i = len(table.columns), int(text)
        if not -k <= i < k:
            raise NaiveBayesError(
                f"--target {text} is not a column of {table.path}: it has {k} columns, "
                f"indices 0 to {k - 1} (or -1 for the last)"
            )
        name = table.columns[i]
        note = None
        if text in table.columns and text != name:
            note = (
                f"--target {text} is read as a column index ({name!r}); the column named "
                f"{text!r} is index {table.columns.index(text)}"
            )
        return name, note
    if text in table.columns:
        return text, None
    hint = ""
    if not table.header:
        hint = (
            f" (it has no header row: {table.header_reason}); give the target as a column "
            "index such as --target -1, or --header to read row 1 as names"
        )
    raise NaiveBayesError(
        f"{table.path} has no column {text!r}; its columns are {table.columns}{hint}"
    )


def read_new_rows(
    path: str | Path, train: CsvTable, features: list[str], numeric: list[str]
) -> CsvTable:
    """Rows to classify, laid out like the training data.

    After a training file with a header, row 1 is a header when it holds every feature name
    (columns then match by name, in any order). Otherwise rows with one value per feature (in
    training order) or one per training column (the target's value is ignored) match by
    position, and row 1 is data when it has numbers in the ``numeric`` features (always, after
    a headerless training file); any other first row is read as a header, so that wrong or
    missing names are reported.
    """
    path = Path(path)
    rows, _, blank = read_rows(path)
    first = rows[0]
    layouts = {len(features): features, len(train.columns): train.columns}
    if train.header and (set(features) <= set(first) or len(first) not in layouts):
        return read_csv(path, header=True)
    if len(first) not in layouts:
        raise NaiveBayesError(
            f"{path} has {len(first)} values in row 1; the training data has "
            f"{len(features)} feature columns: give one value per feature in the training order "
            f"(or all {len(train.columns)} columns)"
        )
    columns = layouts[len(first)]
    numbers = set(numeric)
    if train.header and not all(is_number(c) for c, n in zip(first, columns) if n in numbers):
        return read_csv(path, header=True)
    table = read_csv(path, header=False)
    reason = "values matched to the training columns by position"
    return CsvTable(path, list(columns), table.rows, table.lines, False, reason, blank)
