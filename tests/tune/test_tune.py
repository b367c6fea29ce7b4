"""ganforge tune: trials, journal resume, failed trials, best preset, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganforge import api, config
from ganforge.bayes import ACQUISITION_CHOICES, Optimizer
from ganforge.cli import cli, main
from ganforge.errors import ConfigError, GanforgeError, TrainingError
from ganforge.registry import METRICS, Entry
from ganforge.tune import search as tune_mod

# tiny trials: a few steps of the toy MLP GAN, a small sample for the metric
FAST = ["eval.n_samples=200", "train.batch_size=32", "train.log_every=5"]


@pytest.fixture()
def space_file(tmp_path: Path) -> Path:
    path = tmp_path / "space.yaml"
    path.write_text(
        "optim.lr_g: {low: 1.0e-4, high: 1.0e-2, log: true}\n"
        "loss.name: {choices: [non-saturating, hinge]}\n"
    )
    return path


def test_tune_runs_resumes_and_writes_a_best_preset_that_trains(
    tmp_path: Path, space_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "search"
    first = api.tune("toy-grid", space_file, 2, 4, "modes", out=out, overrides=FAST)
    assert [t["status"] for t in first.trials] == ["ok", "ok"]
    assert all(0 <= t["score"] <= 25 for t in first.trials)
    trained = []
    real_train = tune_mod.train
    monkeypatch.setattr(
        tune_mod, "train", lambda cfg, **kw: trained.append(cfg) or real_train(cfg, **kw)
    )
    again = api.tune("toy-grid", space_file, 3, 4, "modes", out=out, overrides=FAST)
    assert len(trained) == 1  # the two finished trials were not repeated
    assert [t["params"] for t in again.trials[:2]] == [t["params"] for t in first.trials]
    assert trained[0].train.steps == 4 and trained[0].loss.name in ("non-saturating", "hinge")
    best = again.files["best"]
    cfg = config.resolve(str(best))
    assert cfg.optim.lr_g == pytest.approx(again.best["params"]["optim.lr_g"])
    assert cfg.loss.name == again.best["params"]["loss.name"]
    assert cfg.train.steps == config.resolve("toy-grid").train.steps  # the preset's own budget
    table = again.files["results"].read_text()
    assert table.count("\n") == 2 + 3 and "modes" in table
    assert again.files["convergence"].stat().st_size > 1000
    result = api.train(str(best), ["train.steps=2", *FAST], runs_root=tmp_path / "runs")
    assert result.status == "completed"
    with pytest.raises(
        ConfigError, match=r"another space or setup: --steps 5 \(the search used 4\)"
    ):
        api.tune("toy-grid", space_file, 3, 5, "modes", out=out, overrides=FAST)
    # a changed seed or acquisition would be silently ignored by the journal's optimiser
    with pytest.raises(ConfigError, match=r"--seed 1 \(the search used 0\)\. Rerun"):
        api.tune("toy-grid", space_file, 3, 4, "modes", out=out, overrides=FAST, seed=1)
    with pytest.raises(ConfigError, match=r": --acquisition pi \(the search used ei\)\. Rerun"):
        api.tune("toy-grid", space_file, 3, 4, "modes", out=out, overrides=FAST, acquisition="pi")
    with pytest.raises(ConfigError, match=r"n_initial 5 \(the search used 2\)"):
        tune_mod.tune(
            "toy-grid", space_file, 3, 4, "modes", folder=out, overrides=FAST, n_initial=5
        )
    assert len(trained) == 1


def test_failed_trials_are_recorded_and_the_search_goes_on(
    tmp_path: Path, space_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real_train = tune_mod.train

    def flaky(cfg: config.Config, **kw: object):  # type: ignore[no-untyped-def]
        calls.append(cfg)
        if len(calls) == 1:
            raise TrainingError("non-finite loss at step 3")
        return real_train(cfg, **kw)

    monkeypatch.setattr(tune_mod, "train", flaky)
    result = api.tune("toy-grid", space_file, 3, 3, "modes", out=tmp_path / "s", overrides=FAST)
    statuses = [t["status"] for t in result.trials]
    assert statuses == ["failed", "ok", "ok"]
    assert "non-finite loss" in result.trials[0]["error"]
    assert result.best["trial"] in (1, 2)
    assert (
        "failed (TrainingError: non-finite loss at step 3)" in result.files["results"].read_text()
    )


@pytest.mark.parametrize("shared", [False, True], ids=["journal", "storage"])
def test_a_search_whose_every_trial_failed_is_one_error(
    shared: bool, tmp_path: Path, space_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad fixed setting fails every trial alike: the search ends in an error naming the first
    failure, locally and as a worker of a shared (--storage) search."""
    storage = None
    if shared:
        pytest.importorskip("optuna")
        storage = f"sqlite:///{tmp_path / 'search.db'}"

    def broken(cfg: config.Config, **kw: object):  # type: ignore[no-untyped-def]
        raise TrainingError("non-finite loss at step 1")

    monkeypatch.setattr(tune_mod, "train", broken)
    with pytest.raises(GanforgeError, match=r"all 2 trial\(s\) failed; trial 0: .*non-finite loss"):
        api.tune(
            "toy-grid",
            space_file,
            2,
            2,
            "modes",
            out=tmp_path / "s",
            overrides=FAST,
            storage=storage,
        )


def test_a_score_key_of_several_metrics_must_be_named_with_its_metric(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert tune_mod.objective_for("modes").metric == "modes"
    other = Entry("grid-modes", object(), "", {"better": {"modes": "higher"}})
    monkeypatch.setitem(METRICS._entries, other.name, other)
    with pytest.raises(ConfigError) as err:
        tune_mod.objective_for("modes")
    assert "several metrics have a score 'modes' (grid-modes:modes, modes:modes)" in str(err.value)
    assert "name one as metric:score, e.g. --metric grid-modes:modes" in str(err.value)
    assert tune_mod.objective_for("modes:modes").metric == "modes"
    assert tune_mod.objective_for("grid-modes:modes").metric == "grid-modes"


def test_metric_direction_and_bad_inputs(tmp_path: Path, space_file: Path) -> None:
    assert tune_mod.objective_for("modes").higher_is_better
    assert not tune_mod.objective_for("fid").higher_is_better
    assert tune_mod.objective_for("modes:mode_kl").key == "mode_kl"
    with pytest.raises(ConfigError, match="not a score with a direction"):
        tune_mod.objective_for("sharpness")
    bad = tmp_path / "bad.yaml"
    bad.write_text("optim.lr_g: {low: 1.0, high: 0.1}\n")
    with pytest.raises(ConfigError, match="low < high"):
        tune_mod.load_space(bad)
    bad.write_text("optim.not_a_key: {low: 0.1, high: 1.0}\n")
    with pytest.raises(ConfigError, match="not_a_key"):
        api.tune("toy-grid", bad, 2, 2, "modes", out=tmp_path / "x")
    bad.write_text("loss.name: {choices: [hinge, no-such-loss]}\n")  # the second choice is bad
    with pytest.raises(ConfigError, match="no-such-loss"):
        api.tune("toy-grid", bad, 2, 2, "modes", out=tmp_path / "x")
    with pytest.raises(ConfigError, match="--acquisition ucb: choose one of ei, pi, lcb, portf"):
        api.tune("toy-grid", space_file, 2, 2, "modes", out=tmp_path / "x", acquisition="ucb")
    assert not (tmp_path / "x").exists()


def test_cli_offers_the_acquisitions_the_optimiser_accepts() -> None:
    option = next(p for p in cli.commands["tune"].params if p.name == "acquisition")
    assert tuple(option.type.choices) == ACQUISITION_CHOICES == ("ei", "pi", "lcb", "portfolio")
    for name in ACQUISITION_CHOICES:
        Optimizer([(0.0, 1.0)], acquisition=name)


def test_cli_tune_prints_the_table_and_errors_in_one_line(
    tmp_path: Path, space_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["tune", "toy-grid", "--space", str(space_file), "--trials", "2", "--steps", "2"]
    args += ["--metric", "modes", "--out", str(tmp_path / "cli")]
    for item in FAST:
        args += ["--set", item]
    main(args)
    out = capsys.readouterr().out
    assert "trial 1: ok" in out and "best: trial" in out and "ganforge train" in out
    with pytest.raises(SystemExit) as exc:
        main(["tune", "toy-grid", "--space", str(tmp_path / "missing.yaml"), "--metric", "modes"])
    assert exc.value.code == 2
    assert "does not exist" in capsys.readouterr().err
