"""``ganforge naive-bayes`` on data of a single class warns that the accuracy means nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import run_cli


def test_a_single_class_is_a_warning_on_stderr(tmp_path: Path, capsys) -> None:
    data = tmp_path / "one.csv"
    data.write_text("x,y,label\n" + "".join(f"{i},{i % 3},a\n" for i in range(12)))
    code, out, err = run_cli(capsys, "naive-bayes", str(data), "--target", "label", "--cv", "3")
    assert code == 0, err
    assert "mean accuracy: 1.0000" in out
    (warning,) = err.strip().splitlines()
    assert warning.startswith("warning: column 'label' holds one class only ('a')")
    assert "says nothing" in warning


@pytest.mark.parametrize("labels", ["ab", "abc"])
def test_two_or_more_classes_give_no_warning(tmp_path: Path, capsys, labels: str) -> None:
    data = tmp_path / "many.csv"
    rows = "".join(f"{i},{labels[i % len(labels)]}\n" for i in range(12))
    data.write_text("x,label\n" + rows)
    code, _, err = run_cli(capsys, "naive-bayes", str(data), "--target", "label", "--cv", "2")
    assert code == 0 and err == ""
