"""naive-bayes on wide tables: the work per column is constant, so 100,000 columns take about
ten times as long as 10,000 (a lookup in the list of names per column made it quadratic:
10,000 columns took 4.9 s, 100,000 over 3 minutes; benchmarks/naive_bayes_columns.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ganforge.bayes.naive_bayes import csv_table as nb_csv
from ganforge.bayes.naive_bayes.cli_support import run_naive_bayes

COMPARED = [0]


class Name(str):
    """A column name that counts how often it is compared with another string."""

    __hash__ = str.__hash__

    def __eq__(self, other: object) -> bool:
        COMPARED[0] += 1
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        COMPARED[0] += 1
        return str.__ne__(self, other)


def _table(path: Path, rows: int, columns: int, seed: int) -> Path:
    values = np.random.default_rng(seed).standard_normal((rows, columns)).round(2)
    lines = [",".join([*(f"c{j}" for j in range(columns)), "label"])]
    lines += [",".join([*map(str, values[i]), "ab"[i % 2]]) for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("model", ["gaussian", "mixed"])
def test_each_column_name_is_compared_a_constant_number_of_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: str
) -> None:
    real = nb_csv.read_rows

    def counted_names(path: Any) -> Any:
        rows, lines, blank = real(path)
        return [[Name(c) for c in rows[0]], *rows[1:]], lines, blank

    monkeypatch.setattr(nb_csv, "read_rows", counted_names)
    columns = 3000
    data = _table(tmp_path / "train.csv", 12, columns, 0)
    new = _table(tmp_path / "new.csv", 3, columns, 1)
    COMPARED[0] = 0
    run = run_naive_bayes(data, "label", model=model, cv=2, predict=new)
    assert len(run.fold_accuracies) == 2 and run.predictions is not None
    # linear: a few comparisons per column; a list lookup per column makes millions
    assert COMPARED[0] < 10 * columns, COMPARED[0]
