"""tune --pruner / --sampler: Optuna's pruners on the scores trials report while they train,
Optuna's TPE and random samplers beside ours (gp)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna", reason="the tune extra: pip install -e '.[tune]'")

from ganforge import api  # noqa: E402
from ganforge.tune import storage as tune_storage  # noqa: E402
from ganforge.tune.search import PRUNERS, SAMPLERS  # noqa: E402

from ..conftest import run_cli  # noqa: E402

FAST = ["eval.n_samples=200", "train.batch_size=32", "train.log_every=5"]
SPACE = "optim.lr_g: {low: 1.0e-4, high: 1.0e-2, log: true}\n"


def _study(folder: Path) -> optuna.Study:
    storage = tune_storage.open_storage(f"journal:{folder / 'optuna.journal'}")
    return optuna.load_study(study_name=folder.name, storage=storage)


def test_trials_report_their_scores_and_a_pruned_trial_stops_training_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    # a pruner that stops every trial at its first report after step 3 (modes < 1e9 always)
    monkeypatch.setattr(
        tune_storage,
        "_pruner",
        lambda kind, n: optuna.pruners.ThresholdPruner(lower=1e9, n_warmup_steps=3),
    )
    out = tmp_path / "search"
    result = api.tune("toy-grid", space, 2, 10, "modes", out=out, overrides=FAST,
                      pruner="median", report_every=2)  # fmt: skip
    assert [t["status"] for t in result.trials] == ["pruned", "pruned"]
    assert all(t["error"] == "stopped at step 4" for t in result.trials)
    assert result.best is None and "best" not in result.files
    trials = _study(out).get_trials()
    assert [sorted(t.intermediate_values) for t in trials] == [[2, 4], [2, 4]]
    assert {t.state for t in trials} == {optuna.trial.TrialState.PRUNED}
    run = Path(result.trials[0]["run"])
    steps = [json.loads(ln)["step"] for ln in (run / "metrics.jsonl").read_text().splitlines()]
    assert max(steps) == 4  # training stopped where the pruner said, not at step 10
    assert "pruned (stopped at step 4)" in result.files["results"].read_text()


def test_median_pruner_and_tpe_sampler_from_the_cli(tmp_path: Path, capsys) -> None:
    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    out = tmp_path / "s"
    argv = ["tune", "toy-grid", "--space", str(space), "--trials", "2", "--steps", "4",
            "--metric", "modes", "--out", str(out), "--pruner", "median", "--sampler", "tpe",
            "--report-every", "2", *[a for o in FAST for a in ("--set", o)]]  # fmt: skip
    code, printed, err = run_cli(capsys, *argv)
    assert code == 0, err
    study = _study(out)
    setup = study.user_attrs[tune_storage.SETUP]
    assert (setup["sampler"], setup["pruner"]) == ("tpe", "median")
    trials = study.get_trials()
    assert len(trials) == 2 and all(sorted(t.intermediate_values)[:1] == [2] for t in trials)
    assert "journal:" in printed  # a one-process Optuna search keeps its journal in the folder
    code, _, err = run_cli(capsys, *argv[:-6], "--sampler", "random",
                           *[a for o in FAST for a in ("--set", o)])  # fmt: skip
    assert code == 2 and "--sampler random (the search used tpe)" in err


def test_samplers_and_pruners_are_the_ones_offered() -> None:
    used = {"space": None, "seed": 3, "n_initial": 2, "acquisition": "ei"}
    assert isinstance(
        tune_storage._sampler({**used, "sampler": "tpe"}, 0), optuna.samplers.TPESampler
    )
    assert isinstance(
        tune_storage._sampler({**used, "sampler": "random"}, 0), optuna.samplers.RandomSampler
    )
    assert isinstance(tune_storage._pruner("median", 2), optuna.pruners.MedianPruner)
    assert isinstance(tune_storage._pruner("halving", 2), optuna.pruners.SuccessiveHalvingPruner)
    assert isinstance(tune_storage._pruner("none", 2), optuna.pruners.NopPruner)
    assert SAMPLERS[0] == "gp" and PRUNERS[0] == "none"  # the defaults: ours, no pruning


def test_random_sampler_searches_repeat_with_the_seed(tmp_path: Path) -> None:
    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    runs = [
        api.tune(
            "toy-grid",
            space,
            2,
            2,
            "modes",
            out=tmp_path / name,
            overrides=FAST,
            sampler="random",
            seed=5,
        )
        for name in ("a", "b")
    ]
    params = [[t["params"] for t in r.trials] for r in runs]
    assert params[0] == params[1] and params[0][0] != params[0][1]


def test_our_gp_is_told_a_pruned_trials_last_reported_value() -> None:
    from ganforge.bayes import Real, Space
    from ganforge.bayes.optimize.optuna_sampler import OptimizerSampler, distributions

    space = Space([Real(0.0, 1.0, name="x")])
    pruned = optuna.trial.create_trial(
        state=optuna.trial.TrialState.PRUNED,
        params={"x": 0.25},
        distributions=distributions(space),
        intermediate_values={2: 5.0, 4: 3.0},
    )
    opt = OptimizerSampler(space, seed=0, n_initial=2).optimizer([pruned], 1)
    assert [(h["point"], h["value"]) for h in opt.history] == [([0.25], 3.0)]
