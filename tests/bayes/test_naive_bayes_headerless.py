"""``ganforge naive-bayes`` on CSV files without a header row (the classic headerless iris.csv),
targets given by index, the walk-through's folds, and header detection across CSV spellings."""

from __future__ import annotations

import csv
import io
import shlex
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris

from ganforge import api
from ganforge.bayes.naive_bayes.csv_table import detect_header, read_csv

from .test_naive_bayes_cli import run_error
from .test_naive_bayes_cli import run_ok as run

WALKTHROUGH_SCORES = ["0.9333 (28/30)", "0.9667 (29/30)", "1.0000 (30/30)", "0.9333 (28/30)"]
CLASS_NAMES = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]


def classic_iris(path: Path, uci: bool = False) -> Path:
    """iris.csv as the walk-through downloads it: no header, one decimal, a trailing blank line.

    ``uci``: the UCI copy's values, which differ from scikit-learn's corrected ones in rows
    35 and 38 (1-based).
    """
    data = load_iris()
    X = data.data.copy()
    if uci:
        X[34] = [4.9, 3.1, 1.5, 0.1]
        X[37] = [4.9, 3.1, 1.5, 0.1]
    lines = [",".join(f"{v:.1f}" for v in x) + f",{CLASS_NAMES[t]}" for x, t in zip(X, data.target)]
    path.write_text("\n".join(lines) + "\n\n")
    return path


@pytest.mark.parametrize("uci", [False, True])
@pytest.mark.parametrize("convention", ["walkthrough", "sklearn"])
def test_headerless_iris_with_the_walkthrough_folds_scores_95_333(
    uci: bool, convention: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iris = classic_iris(tmp_path / "iris.csv", uci)
    args = [str(iris), "--target", "-1", "--folds", "walkthrough", "--convention", convention]
    out, _ = run(args, capsys)
    lines = out.splitlines()
    assert lines[0].endswith(
        "(150 rows, 1 blank line skipped, 4 numeric and 0 nominal features), target '4' with "
        "3 classes"
    )
    assert lines[1].startswith("header: none, columns numbered 0 to 4 (detected:")
    assert "folds: 5 walkthrough folds of 30 rows (Python's random.seed(1), randrange)" in lines
    folds = [line.split("accuracy ")[1] for line in lines if line.startswith("fold ")]
    assert folds == [*WALKTHROUGH_SCORES[:2], "1.0000 (30/30)", *WALKTHROUGH_SCORES[3:] * 2]
    assert "mean accuracy: 0.9533 = 95.333% (std 0.0267, 5 folds)" in lines
    assert "note:" not in out


def test_predicting_the_walkthrough_row_gives_versicolor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iris = classic_iris(tmp_path / "iris.csv")
    rows = tmp_path / "rows.csv"
    rows.write_text("5.7,2.9,4.2,1.3\n")
    for convention in ("walkthrough", "sklearn"):
        args = [str(iris), "--target", "-1", "--cv", "0", "--predict", str(rows)]
        out, err = run([*args, "--convention", convention], capsys)
        table = list(csv.DictReader(io.StringIO(out)))
        assert len(table) == 1 and table[0]["predicted_4"] == "Iris-versicolor"
        assert float(table[0]["p_Iris-versicolor"]) > 0.99
        assert out.splitlines()[0] == (
            "0,1,2,3,predicted_4,p_Iris-setosa,p_Iris-versicolor,p_Iris-virginica"
        )
        assert "header: none" in err
    # all five columns (the target's value is ignored) and a header with the feature names
    rows.write_text("5.7,2.9,4.2,1.3,unknown\n")
    out, _ = run([str(iris), "--target", "4", "--cv", "0", "--predict", str(rows)], capsys)
    assert "5.7,2.9,4.2,1.3,unknown,Iris-versicolor," in out


def test_a_header_row_is_detected_and_can_be_overridden(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iris = classic_iris(tmp_path / "iris.csv")
    named = tmp_path / "named.csv"
    named.write_text("sl,sw,pl,pw,species\n" + iris.read_text())
    out, _ = run([str(named), "--target", "species"], capsys)
    assert "(150 rows, 1 blank line skipped," in out
    assert "header: row 1 (detected: text above numbers in 4 columns; --no-header" in out
    same, _ = run([str(named), "--target", "-1"], capsys)
    assert same == out
    # forcing a header onto the headerless file turns the first flower into column names
    out, _ = run([str(iris), "--target", "Iris-setosa", "--header"], capsys)
    assert "(149 rows," in out and "header: row 1 (--header;" in out
    out, _ = run([str(iris), "--target", "-1", "--no-header"], capsys)
    assert "header: none, columns numbered 0 to 4 (--no-header;" in out
    err = run_error([str(named), "--target", "-1", "--no-header"], capsys)
    assert "--model gaussian needs numeric columns, but ['0', '1', '2', '3'] hold text" in err


def test_target_errors_say_what_to_give(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    iris = classic_iris(tmp_path / "iris.csv")
    err = run_error([str(iris), "--target", "Iris-setosa"], capsys)
    assert "has no column 'Iris-setosa'; its columns are ['0', '1', '2', '3', '4']" in err
    assert "no header row" in err and "--target -1" in err and "--header" in err
    err = run_error([str(iris), "--target", "5"], capsys)
    assert "--target 5 is not a column" in err and "indices 0 to 4 (or -1 for the last)" in err
    assert "-6 is not a column" in run_error([str(iris), "--target", "-6"], capsys)
    rows = tmp_path / "rows.csv"
    rows.write_text("5.7,2.9,4.2\n")
    err = run_error([str(iris), "--target", "-1", "--predict", str(rows)], capsys)
    assert "rows.csv has 3 values in row 1; the training data has 4 feature columns" in err


def test_an_index_that_is_also_a_column_name_is_an_index_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # scikit-learn's own iris.csv starts with a row of counts and class names, not column names
    data = load_iris()
    lines = ["150,4,setosa,versicolor,virginica"]
    lines += [",".join(map(str, [*x, t])) for x, t in zip(data.data.tolist(), data.target)]
    path = tmp_path / "sk_iris.csv"
    path.write_text("\n".join(lines) + "\n")
    out, _ = run([str(path), "--target", "4"], capsys)
    assert "target 'virginica' with 3 classes" in out
    assert "header: row 1 (detected: text above numbers in 3 columns;" in out
    assert "note: --target 4 is read as a column index ('virginica'); the column named '4'" in out


def test_walkthrough_folds_say_which_rows_they_leave_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iris = classic_iris(tmp_path / "iris.csv")
    out, _ = run([str(iris), "--target", "-1", "--folds", "walkthrough", "--cv", "4"], capsys)
    assert "folds: 4 walkthrough folds of 37 rows" in out
    assert "note: 2 of 150 rows are in no fold (the walk-through keeps 4 x 37)" in out
    assert out.count("/37)") == 4
    out, _ = run([str(iris), "--target", "-1", "--cv", "4"], capsys)
    assert "folds: 4 shuffled folds of 37 to 38 rows (seed 0)" in out and "note:" not in out
    assert sum(int(line.split("/")[-1].rstrip(")")) for line in out.splitlines()[4:8]) == 150


def test_all_text_tables_detect_a_header_by_recurring_values(tmp_path: Path) -> None:
    rows = [["sunny", "no", "yes"], ["rain", "yes", "no"], ["sunny", "yes", "no"]] * 3
    assert detect_header(rows) == (False, "detected: values of row 1 recur in the rows below")
    assert detect_header([["outlook", "windy", "play"], *rows])[0] is True
    path = tmp_path / "weather.csv"
    path.write_text("\n".join(",".join(r) for r in rows))
    run = api.naive_bayes(path, -1, model="categorical", cv=3)
    assert run.n_rows == 9 and run.features.target == "2" and not run.table.header


# --- CSV spellings (hypothesis) -------------------------------------------------------------


@st.composite
def tables(draw: st.DrawFn) -> dict[str, object]:
    """A small numeric table with a numeric or text class column, spelled some CSV way."""
    n_features = draw(st.integers(1, 4))
    n_rows = draw(st.integers(12, 40))
    string_target = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    labels = rng.integers(0, 3, n_rows)
    labels[:3] = [0, 1, 2]
    X = np.round(rng.normal(labels[:, None] * 2.0, 1.0, (n_rows, n_features)), 3)
    names = draw(
        st.lists(
            st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True),
            min_size=n_features + 1,
            max_size=n_features + 1,
            unique=True,
        ).filter(lambda ns: not {"nan", "inf", "infinity"} & set(ns))
    )
    target = [f"class {v}" if string_target else str(v) for v in labels]
    return {
        "names": names,
        "rows": [[*map(str, x), t] for x, t in zip(X.tolist(), target)],
        "header": draw(st.booleans()),
        "quote": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
        "trailing": draw(st.sampled_from(["", "\n", "\n\n"])),
    }


def spell(table: dict[str, object]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=table["quote"], lineterminator=table["newline"])
    rows = table["rows"]
    if table["quote"] == csv.QUOTE_NONNUMERIC:  # numbers unquoted, text quoted
        rows = [[float(c) for c in r[:-1]] + [r[-1]] for r in rows]
    if table["header"]:
        writer.writerow(table["names"])
    writer.writerows(rows)
    text = out.getvalue().rstrip("\r\n")
    return text + str(table["trailing"]).replace("\n", str(table["newline"]))


@settings(max_examples=25, deadline=None)
@given(tables())
def test_header_detection_and_index_targets_across_csv_spellings(
    tmp_path_factory: pytest.TempPathFactory, table: dict[str, object]
) -> None:
    folder = tmp_path_factory.mktemp("spelling")
    path = folder / "data.csv"
    path.write_bytes(spell(table).encode())
    read = read_csv(path)
    n_rows, names = len(table["rows"]), table["names"]
    assert read.header is table["header"]
    assert read.rows == table["rows"] and len(read.rows) == n_rows
    assert read.columns == (names if table["header"] else [str(j) for j in range(len(names))])
    assert read_csv(path, header=table["header"]).rows == read.rows
    # the same table with a plain header, its target by name: the same folds and accuracies
    plain = folder / "plain.csv"
    plain.write_text("\n".join(",".join(r) for r in [names, *table["rows"]]) + "\n")
    a = api.naive_bayes(path, -1, cv=3, seed=2)
    b = api.naive_bayes(plain, names[-1], cv=3, seed=2)
    assert a.fold_accuracies == b.fold_accuracies and a.n_rows == b.n_rows == n_rows
    assert a.classes == b.classes


def test_the_tutorials_page_commands_give_its_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = Path(__file__).parents[2] / "docs" / "tutorials.md"
    commands = [
        shlex.split(line)
        for line in page.read_text(encoding="utf-8").splitlines()
        if line.startswith("ganforge naive-bayes iris.csv")
    ]
    assert len(commands) == 2
    monkeypatch.chdir(tmp_path)
    classic_iris(tmp_path / "iris.csv")
    (tmp_path / "rows.csv").write_text("5.7,2.9,4.2,1.3\n")
    out, _ = run(commands[0][2:], capsys)
    assert "mean accuracy: 0.9533 = 95.333%" in out
    out, _ = run(commands[1][2:], capsys)
    assert out.splitlines()[1].startswith("5.7,2.9,4.2,1.3,Iris-versicolor,")
