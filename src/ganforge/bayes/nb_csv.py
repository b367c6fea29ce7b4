"""CSV tables for the Naive Bayes command: header row, rectangular rows, numeric detection."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .nb_errors import NaiveBayesError


@dataclass(frozen=True)
class CsvTable:
    """A CSV file as column names and rows of stripped text cells (with their line numbers)."""

    path: Path
    columns: list[str]
    rows: list[list[str]]
    lines: list[int]

    def column(self, name: str) -> list[str]:
        """The cells of one column, top to bottom."""
        j = self.columns.index(name)
        return [row[j] for row in self.rows]

    def numeric(self, name: str) -> np.ndarray | None:
        """The column as float64 when every cell is a finite number, else None."""
        values = []
        for cell in self.column(name):
            try:
                value = float(cell)
            except ValueError:
                return None
            if not math.isfinite(value):
                return None
            values.append(value)
        return np.array(values, dtype=np.float64)


def read_csv(path: str | Path) -> CsvTable:
    """Read a CSV file with a header row; empty files, ragged rows and blank cells are errors."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows, lines = [], []
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                rows.append([cell.strip() for cell in row])
                lines.append(reader.line_num)
    except FileNotFoundError:
        raise NaiveBayesError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NaiveBayesError(f"{path} is a directory; give a CSV file") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise NaiveBayesError(f"{path} is not a readable UTF-8 CSV file ({exc})") from None
    if header is None or not any(cell.strip() for cell in header):
        raise NaiveBayesError(f"{path} is empty; it needs a header row and data rows")
    columns = [cell.strip() for cell in header]
    _check_header(path, columns)
    if not rows:
        raise NaiveBayesError(f"{path} has a header but no data rows")
    for row, line in zip(rows, lines):
        if len(row) != len(columns):
            raise NaiveBayesError(
                f"{path} line {line} has {len(row)} values but the header has {len(columns)} "
                "columns; every row needs one value per column"
            )
        if "" in row:
            name = columns[row.index("")]
            raise NaiveBayesError(
                f"{path} line {line}: column {name!r} is empty; fill in or drop rows with "
                "missing values"
            )
    return CsvTable(path, columns, rows, lines)


def _check_header(path: Path, columns: list[str]) -> None:
    if "" in columns:
        raise NaiveBayesError(
            f"{path}: header column {columns.index('') + 1} has no name; name every column"
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise NaiveBayesError(f"{path}: column name(s) {repeated} appear more than once")
