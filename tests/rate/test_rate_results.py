"""The results tables from known judgements, and `ganforge rate --report` on a study."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from ganforge.cli import main
from ganforge.rate import compute, render_text
from ganforge.rate.html import render_html
from ganforge.rate.stats import wilson
from ganforge.rate.store import Image, Judgement, Model

from .rate_helpers import Rater, folder_study, running

MODELS = [
    Model("ma", "<b>A</b>", "generated", "runs/a", 0),
    Model("mb", "B", "generated", "runs/b", 1),
    Model("mr", "real", "real", "digits", 2),
]
IMAGES = [Image(f"{m}{i}", m, f"{m}{i}.png") for m in ("ma", "mb", "mr") for i in range(2)]


def _j(n: int, rater: str, task: str, a: str, b: str | None = None, **kw: object) -> Judgement:
    base = {"choice": None, "rating": None, "exposure_ms": None, "shown_ms": None}
    base.update(kw)
    return Judgement(
        f"t{n}", rater, task, a, b, base["exposure_ms"], base["choice"], base["rating"],
        float(n), float(n) + 0.5, 700.0 + n, base["shown_ms"],
    )  # fmt: skip


def _judgements() -> list[Judgement]:
    rows, n = [], 0
    for winner, loser, times in (("ma0", "mb0", 6), ("mb1", "ma1", 2)):
        for _ in range(times):
            n += 1
            rows.append(_j(n, "r1" if n % 2 else "r2", "pair", winner, loser, choice=winner))
    # rapid: generated A said real 3 of 4 times, B 1 of 4, real 4 of 4
    for image, answers in (("ma0", "rrrf"), ("mb0", "rfff"), ("mr0", "rrrr")):
        for k, a in enumerate(answers):
            n += 1
            choice = "real" if a == "r" else "fake"
            rows.append(_j(n, f"r{1 + k % 2}", "rapid", image, choice=choice, exposure_ms=500))
    for image, rating in (("ma1", 4), ("ma1", 5), ("mb1", 1), ("mb1", 2)):
        n += 1
        rows.append(_j(n, "r1" if rating % 2 else "r2", "rating", image, rating=rating))
    return rows


def test_compute_matches_hand_counts() -> None:
    results = compute(MODELS, IMAGES, _judgements(), rounds=50)
    assert results["counts"] == {"pair": 8, "rating": 4, "rapid": 12}
    assert results["raters"] == 2
    wm = results["win_matrix"]
    assert wm["wins"][0][1] == 6 and wm["wins"][1][0] == 2
    assert wm["rates"][0][1] == 0.75 and wm["rates"][0][2] is None
    skill = {row["model"]: row for row in results["skill"]}
    assert skill["<b>A</b>"]["bt"] > skill["B"]["bt"]
    # with the half-win prior, A vs B is 6.5 : 2.5 -> A is ahead by more than ln(2) in theta
    assert skill["<b>A</b>"]["theta"] - skill["B"]["theta"] > math.log(2)
    for row in skill.values():
        assert row["bt_low"] < row["bt"] < row["bt_high"]
        assert row["elo_low"] <= row["elo"] <= row["elo_high"] or row["games"] == 0
    fool = {row["model"]: row for row in results["fool"]}
    assert (fool["<b>A</b>"]["judged_real"], fool["<b>A</b>"]["n"]) == (3, 4)
    assert fool["<b>A</b>"]["low"] == pytest.approx(wilson(3, 4)[0])
    assert fool["B"]["rate"] == 0.25 and fool["real"]["rate"] == 1.0
    # accuracy: A 1 of 4 right, B 3 of 4, real 4 of 4 -> 8 / 12
    assert results["rapid_accuracy"]["correct"] == 8 and results["rapid_accuracy"]["n"] == 12
    ratings = {row["model"]: row for row in results["ratings"]}
    assert ratings["<b>A</b>"]["mean"] == 4.5 and ratings["B"]["histogram"] == [1, 1, 0, 0, 0]
    assert ratings["real"]["n"] == 0 and ratings["real"]["mean"] is None
    raters = {row["rater"]: row for row in results["rater_table"]}
    assert raters["r1"]["n_rapid"] + raters["r2"]["n_rapid"] == 12
    # every pair judgement agrees with A > B except B's two wins
    consensus = [raters[r]["pair_consensus"] for r in ("r1", "r2")]
    assert all(c is not None and 0 < c <= 1 for c in consensus)
    assert results["drift"]["rapid_blocks"][0]["total"] == 12
    json.dumps(results)  # plain data, no NaN objects


def test_text_and_html_renderings_show_every_table_and_escape_names() -> None:
    results = compute(MODELS, IMAGES, _judgements(), rounds=20)
    text = render_text(results)
    for title in ("Skill", "Win rate", "Ratings", "fool rate", "Rater drift", "Raters"):
        assert title in text
    page = render_html(results)
    assert "<b>A</b>" not in page and "&lt;b&gt;A&lt;/b&gt;" in page
    assert "<style>" in page  # the written report is self-contained
    empty = compute(MODELS, IMAGES, [], rounds=10)
    assert "no judgements yet" in render_text(empty)
    assert empty["skill"] == [] and empty["alpha"]["rapid_nominal"] is None


def test_cli_report_prints_the_tables_and_writes_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = folder_study(tmp_path)
    with running(study) as server:
        rater = Rater(server.base_url)
        rater.join(study.rater_token)
        for _ in range(4):
            trial = rater.next("pair")
            rater.answer(trial, choice=trial["images"][0]["id"])
        trial = rater.next("rapid")
        rater.answer(trial, choice="real", shown_ms=500)
    study.close()
    main(["rate", "--report", str(study.path)])
    out = capsys.readouterr().out
    assert "1 rater(s); judgements: 4 pairwise, 0 ratings, 1 rapid real/fake" in out
    assert "Bradley-Terry" in out and "model-a" in out
    assert (study.path / "report.html").read_text().count("<table>") >= 3
    assert json.loads((study.path / "results.json").read_text())["counts"]["pair"] == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rate"], "give runs or image folders"),
        (["rate", "--report", "no-such-study"], "no study at no-such-study"),
        (["rate", "--study", "no-such-study"], "no study at no-such-study"),
        (["rate", "nowhere", "--real", "digits"], "neither a run"),
    ],
)
def test_cli_user_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_drift_shows_a_rater_who_improves() -> None:
    rows = [
        _j(n, "r1", "rapid", "ma0", choice="real" if n < 10 else "fake", exposure_ms=500)
        for n in range(20)
    ]  # wrong ten times, then right ten times
    drift = compute(MODELS, IMAGES, rows, rounds=10)["drift"]
    blocks = [(b["correct"], b["total"]) for b in drift["rapid_blocks"]]
    assert blocks == [(0, 10), (10, 10)]
    assert drift["rapid_slope"] > 0.05 and drift["rapid_slope_se"] > 0
    text = render_text(compute(MODELS, IMAGES, rows, rounds=10))
    assert "drift: rapid accuracy changes +" in text
