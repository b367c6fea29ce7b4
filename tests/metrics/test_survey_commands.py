"""The survey measures from the command line: battle, tournament, nrds, and evaluate --metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ganforge import api
from ganforge.metrics.runner.contests import held_out, judge
from ganforge.runs import load

from ..conftest import run_cli
from .test_metric_commands import TINY_DIGITS

SURVEY = [
    "m-is",
    "mode-score",
    "am-score",
    "critic",
    "gan-train-test",
    "boundary",
    "retrieval",
    "gam",
    "nrds",
    "adversarial",
    "geometry",
    "recon",
    "sharpness",
    "psnr",
    "ssim",
    "spectrum",
    "wavelets",
    "edges",
    "prd",
    "tournament",
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three tiny digits runs: logistic loss, WGAN-GP (no decision threshold), conditional."""
    root = tmp_path_factory.mktemp("runs")
    quiet = [*TINY_DIGITS[:-1], "eval.metrics=[]"]
    settings = {
        "a": quiet,
        "w": [*quiet, "loss.name=wgan-gp", "model.d_norm=layer"],
        "c": [*quiet, "model.conditional=true"],
    }
    return {
        name: api.train("dcgan-digits", sets, runs_root=root, name=name, progress=False).run.path
        for name, sets in settings.items()
    }


def test_every_survey_measure_is_listed(capsys) -> None:
    code, out, _ = run_cli(capsys, "metrics")
    listed = {line.split()[0] for line in out.splitlines()}
    assert code == 0 and set(SURVEY) <= listed
    assert "[ganforge battle RUN_A RUN_B]" in out


def test_battle_of_a_run_with_itself(runs, tmp_path, capsys) -> None:
    out_json = tmp_path / "gam.json"
    code, out, _ = run_cli(
        capsys, "battle", str(runs["a"]), str(runs["a"]), "--n", "60", "--json", str(out_json)
    )
    assert code == 0 and "winner:" in out
    data = json.loads(out_json.read_text())
    assert data["measure"] == "gam" and data["r_test"] == 1.0  # one discriminator, one test set
    assert data["errors"]["a_test"] == data["errors"]["b_test"]


def test_tournament_judges_with_thresholds_and_the_median_rule(runs, tmp_path, capsys) -> None:
    out_json = tmp_path / "t.json"
    args = ["tournament", str(runs["a"]), str(runs["w"]), "--n", "40", "--json", str(out_json)]
    code, out, _ = run_cli(capsys, *args)
    assert code == 0 and "G real data" in out and "skill (BT)" in out
    data = json.loads(out_json.read_text())
    assert data["players"][2] == "G real data" and len(data["players"]) == 5
    assert data["games"][3] == data["games"][4] == 3 * 40  # each judge saw three players
    assert sum(data["wins"]) == 3 * 2 * 40  # every game has one winner
    assert data["win_rate"][0] == data["wins"][0] / data["games"][0]


def test_a_critic_without_threshold_judges_by_its_median_on_real_images(runs) -> None:
    test = held_out(load(runs["w"]), 40, 0)
    critic = judge(runs["w"], test)
    assert critic.critic.loss == "wgan-gp" and critic.calls_real(test).sum() == 20
    logistic = judge(runs["a"], test)
    assert logistic.threshold == 0.0  # the logit boundary of the logistic loss


def test_tournament_and_nrds_need_two_runs(runs, capsys) -> None:
    code, _, err = run_cli(capsys, "tournament", str(runs["a"]))
    assert code == 2 and "two runs or more" in err
    code, _, err = run_cli(capsys, "nrds", str(runs["a"]))
    assert code == 2 and "two runs or more" in err


def test_nrds_scores_sum_to_one(runs, tmp_path, capsys) -> None:
    out_json = tmp_path / "nrds.json"
    args = ["nrds", str(runs["a"]), str(runs["c"]), "--n", "60", "--epochs", "3"]
    code, out, _ = run_cli(capsys, *args, "--extractor", "pixels", "--json", str(out_json))
    assert code == 0 and "NRDS" in out
    data = json.loads(out_json.read_text())
    assert sum(data["scores"]) == pytest.approx(1.0) and data["extractor"] == "pixels"
    assert len(data["curves"][0]) == 4  # the untrained classifier, then three epochs


def test_evaluate_runs_the_survey_measures_on_a_conditional_run(runs, capsys) -> None:
    metrics = "m-is,gan-train-test,recon:n=8:steps=3,sharpness,spectrum,wavelets,edges,pr:f1=true"
    code, _, err = run_cli(capsys, "evaluate", str(runs["c"]), "--metrics", metrics, "--n", "60")
    assert code == 0, err
    data = json.loads(next((runs["c"] / "eval").glob("step-*.json")).read_text())
    values = data["values"]
    assert {"m_is", "gan_train", "gan_test", "recon_mse", "sharp_diff", "f1"} <= set(values)
    assert 0 <= values["gan_train"] <= 1 and values["recon_mse"] >= 0
    record = next(r for r in data["results"] if r["metric"] == "m-is")
    assert record["extra"]["grouped_by"] == "labels"  # the conditioning labels, not arg-max
    assert list((runs["c"] / "eval").glob("*-recon.png"))


def test_survey_measures_fail_with_one_clear_line(runs, capsys) -> None:
    code, _, err = run_cli(capsys, "evaluate", str(runs["a"]), "--metrics", "gam")
    assert code == 2 and "use `ganforge battle RUN_A RUN_B`" in err
    code, _, err = run_cli(capsys, "evaluate", str(runs["a"]), "--metrics", "gan-train-test")
    assert code == 2 and "class-conditional run" in err
    code, _, err = run_cli(capsys, "battle", str(runs["a"]), str(runs["c"]), "--n", "20")
    assert code == 2 and "conditional" in err


def test_contests_between_point_runs(tmp_path) -> None:
    sets = ["train.steps=20", "train.sample_every=0", "train.log_every=10", "eval.metrics=[]"]
    ring = api.train("toy-ring", sets, runs_root=tmp_path, name="ring", progress=False).run.path
    table = api.tournament([ring, ring], n=50).result  # a run against itself: points work
    assert table.players[2] == "G real data" and sum(table.wins) == 3 * 2 * 50
    assert table.wins[3] == table.wins[4]  # one discriminator twice, the same games
    assert api.battle(ring, ring, n=50).result.r_test == 1.0
