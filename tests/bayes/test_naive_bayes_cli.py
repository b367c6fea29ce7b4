"""``ganforge naive-bayes``: CSV in, fold accuracies and predictions out, one-line errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris

from ganforge import api
from ganforge.bayes.naive_bayes import MODELS
from ganforge.bayes.naive_bayes.categorical import UNSEEN_POLICIES
from ganforge.bayes.naive_bayes.cli_support import CHOICES, CONVENTIONS
from ganforge.bayes.naive_bayes.cv import FOLD_KINDS
from ganforge.bayes.naive_bayes.kernel import BANDWIDTH_RULES
from ganforge.cli import cli, main
from ganforge.errors import DataError

IRIS_COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def iris_rows() -> list[list[object]]:
    data = load_iris()
    return [[*x, data.target_names[t]] for x, t in zip(data.data.tolist(), data.target)]


def weather_rows(n: int = 120, seed: int = 0) -> list[list[object]]:
    """Two numeric and two nominal columns whose class depends on all four."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        play = rng.random() < 0.5
        outlook = rng.choice(
            ["sunny", "overcast", "rain"], p=[0.6, 0.3, 0.1] if play else [0.1, 0.3, 0.6]
        )
        windy = rng.choice(["yes", "no"], p=[0.2, 0.8] if play else [0.7, 0.3])
        temperature = round(float(rng.normal(24 if play else 15, 3)), 1)
        humidity = round(float(rng.normal(55 if play else 80, 8)), 1)
        rows.append([outlook, temperature, humidity, windy, "yes" if play else "no"])
    return rows


WEATHER_COLUMNS = ["outlook", "temperature", "humidity", "windy", "play"]


@pytest.fixture
def iris_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "iris.csv", IRIS_COLUMNS, iris_rows())


@pytest.fixture
def weather_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "weather.csv", WEATHER_COLUMNS, weather_rows())


def run_ok(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    main(["naive-bayes", *args])
    captured = capsys.readouterr()
    return captured.out, captured.err


def run_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["naive-bayes", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


def mean_accuracy(text: str) -> float:
    line = next(x for x in text.splitlines() if x.startswith("mean accuracy:"))
    return float(line.split()[2])


def test_iris_cross_validation_prints_each_fold_and_the_mean(
    iris_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = run_ok([str(iris_csv), "--target", "species", "--cv", "5"], capsys)
    assert "150 rows, 4 numeric and 0 nominal features), target 'species' with 3 classes" in out
    folds = [line for line in out.splitlines() if line.startswith("fold ")]
    assert [f.split(":")[0] for f in folds] == [f"fold {i}/5" for i in range(1, 6)]
    assert "(30/30)" in out or "(29/30)" in out
    assert 0.93 <= mean_accuracy(out) <= 0.97
    walk, _ = run_ok([str(iris_csv), "--target", "species", "--convention", "walkthrough"], capsys)
    assert "model: gaussian (convention=walkthrough)" in walk
    assert 0.93 <= mean_accuracy(walk) <= 0.97


@pytest.mark.parametrize("model", ["kernel", "mixed", "categorical", "multinomial"])
def test_other_models_run_on_iris(
    model: str, iris_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = run_ok([str(iris_csv), "--target", "species", "--model", model, "--seed", "3"], capsys)
    assert f"model: {model}" in out
    assert mean_accuracy(out) > 0.8


def test_seed_changes_the_folds_but_not_the_fold_count(
    iris_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _ = run_ok([str(iris_csv), "--target", "species", "--seed", "1"], capsys)
    b, _ = run_ok([str(iris_csv), "--target", "species", "--seed", "1"], capsys)
    c, _ = run_ok([str(iris_csv), "--target", "species", "--seed", "2", "--cv", "3"], capsys)
    assert a == b
    assert "fold 3/3" in c and "fold 4/" not in c


def test_mixed_model_uses_numeric_and_nominal_columns(
    weather_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = run_ok([str(weather_csv), "--target", "play", "--model", "mixed"], capsys)
    assert "2 numeric and 2 nominal features" in out
    assert mean_accuracy(out) >= 0.85
    err = run_error([str(weather_csv), "--target", "play"], capsys)
    assert "--model gaussian needs numeric columns, but ['outlook', 'windy'] hold text" in err
    assert "use --model mixed" in err


def test_predictions_go_to_stdout_as_csv_with_probabilities(
    weather_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write_csv(
        tmp_path / "new.csv",
        ["windy", "outlook", "temperature", "humidity"],
        [["no", "sunny", 26.0, 50.0], ["yes", "rain", 12.5, 85.0]],
    )
    args = [str(weather_csv), "--target", "play", "--model", "mixed", "--predict", str(new)]
    out, err = run_ok(args, capsys)
    assert "mean accuracy" in err and "mean accuracy" not in out
    table = list(csv.DictReader(io.StringIO(out)))
    assert [r["predicted_play"] for r in table] == ["yes", "no"]
    for r in table:
        assert float(r["p_no"]) + float(r["p_yes"]) == pytest.approx(1.0, abs=1e-5)
        assert r["windy"] in ("no", "yes")
    out_path = tmp_path / "predictions.csv"
    out, _ = run_ok([*args, "--cv", "0", "--out", str(out_path)], capsys)
    assert out.strip().endswith(f"predictions: {out_path}")
    assert "fold" not in out
    with out_path.open() as handle:
        assert next(csv.DictReader(handle))["predicted_play"] == "yes"


def test_unseen_category_in_new_rows(
    weather_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write_csv(tmp_path / "new.csv", WEATHER_COLUMNS[:4], [["snow", 25.0, 50.0, "no"]])
    args = [str(weather_csv), "--target", "play", "--model", "mixed", "--predict", str(new)]
    err = run_error(args, capsys)
    assert "column 'outlook' has value 'snow'" in err and "unseen='ignore'" in err
    out, _ = run_ok([*args, "--unseen", "ignore"], capsys)
    assert "snow,25.0,50.0,no,yes" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty; it needs data rows (and may have a header row)"),
        ("a,b,label\n", "has a header but no data rows"),
        ("a,b,label\n1,2,x\n3,4\n", "line 3 has 2 values but the header has 3 columns"),
        ("a,b,label\n1,2,x\n3,,y\n", "line 3: column 'b' is empty"),
        ("a,a,label\n1,2,x\n", "column name(s) ['a'] appear more than once"),
        ("a,,label\n1,2,x\n", "header column 2 has no name"),
        ("label\nx\ny\n", "has only the target column"),
    ],
)
def test_malformed_csv_files(
    content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "data.csv"
    path.write_text(content)
    assert message in run_error([str(path), "--target", "label"], capsys)


def test_argument_errors(
    iris_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = run_error([str(iris_csv), "--target", "kind"], capsys)
    assert "has no column 'kind'; its columns are ['sepal_length'" in err
    assert "no such file" in run_error([str(tmp_path / "nope.csv"), "--target", "x"], capsys)
    assert "--cv must be 0" in run_error(
        [str(iris_csv), "--target", "species", "--cv", "1"], capsys
    )
    assert "nothing to do" in run_error([str(iris_csv), "--target", "species", "--cv", "0"], capsys)
    assert "give --predict ROWS.csv too" in run_error(
        [str(iris_csv), "--target", "species", "--out", str(tmp_path / "p.csv")], capsys
    )
    assert "200 folds need at least 200 rows, the data has 150" in run_error(
        [str(iris_csv), "--target", "species", "--cv", "200"], capsys
    )
    assert "--bandwidth must be scott, silverman or a number" in run_error(
        [str(iris_csv), "--target", "species", "--model", "kernel", "--bandwidth", "wide"], capsys
    )
    partial = write_csv(tmp_path / "p.csv", ["sepal_length", "colour"], [[1.0, "red"]])
    err = run_error([str(iris_csv), "--target", "species", "--predict", str(partial)], capsys)
    assert "missing ['sepal_width', 'petal_length', 'petal_width']; unknown ['colour']" in err
    wrong = write_csv(tmp_path / "w.csv", IRIS_COLUMNS[:4], [[1.0, "wide", 1.0, 1.0]])
    err = run_error([str(iris_csv), "--target", "species", "--predict", str(wrong)], capsys)
    assert "column 'sepal_width' is numeric in the training data but holds 'wide'" in err


def test_api_raises_data_error(iris_csv: Path) -> None:
    with pytest.raises(DataError, match="has no column 'kind'"):
        api.naive_bayes(iris_csv, "kind")
    run = api.naive_bayes(iris_csv, "species", cv=4, seed=2)
    assert len(run.fold_accuracies) == 4 and run.mean_accuracy == pytest.approx(
        np.mean(run.fold_accuracies)
    )


def test_api_writes_the_predictions_file_and_parses_the_bandwidth(
    iris_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write_csv(tmp_path / "new.csv", IRIS_COLUMNS[:4], [[5.1, 3.5, 1.4, 0.2]])
    out = tmp_path / "p.csv"
    run = api.naive_bayes(iris_csv, "species", cv=0, predict=new, out=out, model="kernel")
    assert run.predictions_path == out and out.read_text(encoding="utf-8") == run.predictions
    assert run.predictions.splitlines()[1].startswith("5.1,3.5,1.4,0.2,setosa,")
    run = api.naive_bayes(iris_csv, "species", cv=3, model="kernel", bandwidth="0.5")
    assert run.settings == {"bandwidth": 0.5} and run.predictions_path is None
    missing = tmp_path / "no-such-folder" / "p.csv"
    with pytest.raises(DataError, match=r"cannot write the predictions to .*no-such-folder"):
        api.naive_bayes(iris_csv, "species", cv=0, predict=new, out=missing)
    err = run_error(
        [str(iris_csv), "--target", "species", "--predict", str(new), "--out", str(missing)], capsys
    )
    assert "cannot write the predictions to" in err


def test_cli_choices_are_the_librarys() -> None:
    params = {p.name: p for p in cli.commands["naive-bayes"].params}
    assert tuple(params["model"].type.choices) == tuple(MODELS)
    assert tuple(params["convention"].type.choices) == CONVENTIONS
    assert tuple(params["folds"].type.choices) == FOLD_KINDS == CHOICES["folds"]
    assert tuple(params["unseen"].type.choices) == UNSEEN_POLICIES
    assert "scott, silverman or a factor" in params["bandwidth"].help
    assert BANDWIDTH_RULES == CHOICES["bandwidth"] == ("scott", "silverman")


@st.composite
def csv_dialects(draw: st.DrawFn) -> dict[str, object]:
    return {
        "pad_seed": draw(st.integers(0, 2**16)),
        "quote": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
        "bom": draw(st.booleans()),
        "blank_every": draw(st.integers(0, 7)),
    }


def render(header: list[str], rows: list[list[object]], dialect: dict[str, object]) -> str:
    """The same table in another CSV spelling: padding, quoting, line ends, BOM, blank lines."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=dialect["quote"], lineterminator=dialect["newline"])
    rng = np.random.default_rng(dialect["pad_seed"])

    def pad(values: list[object]) -> list[object]:
        return [f"{' ' * rng.integers(0, 3)}{v}{' ' * rng.integers(0, 3)}" for v in values]

    writer.writerow(pad(header))
    for i, row in enumerate(rows):
        writer.writerow(pad(row))
        if dialect["blank_every"] and i % dialect["blank_every"] == 0:
            out.write(str(dialect["newline"]))
    return ("\ufeff" if dialect["bom"] else "") + out.getvalue()


@settings(max_examples=15, deadline=None)
@given(csv_dialects())
def test_csv_spelling_does_not_change_the_result(
    tmp_path_factory: pytest.TempPathFactory, dialect: dict[str, object]
) -> None:
    folder = tmp_path_factory.mktemp("dialect")
    rows = weather_rows(60, seed=4)
    plain = write_csv(folder / "plain.csv", WEATHER_COLUMNS, rows)
    fancy = folder / "fancy.csv"
    fancy.write_bytes(render(WEATHER_COLUMNS, rows, dialect).encode("utf-8"))
    options = {"model": "mixed", "cv": 4, "seed": 1}
    a = api.naive_bayes(plain, "play", **options)
    b = api.naive_bayes(fancy, "play", **options)
    assert a.features == b.features
    assert a.fold_accuracies == b.fold_accuracies
    assert a.summary()[1:] == b.summary()[1:]
