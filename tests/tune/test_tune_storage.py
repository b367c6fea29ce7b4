"""ganforge tune --storage: workers sharing one search through Optuna's storages (SQLite,
a journal file, PostgreSQL), lost and interrupted trials run again, setup and URL errors."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

optuna = pytest.importorskip("optuna", reason="the tune extra: pip install -e '.[tune]'")

from optuna.trial import TrialState  # noqa: E402

from ganforge.bayes.optimize.optuna_sampler import suggest  # noqa: E402
from ganforge.errors import ConfigError  # noqa: E402
from ganforge.tune import search as tune_mod  # noqa: E402
from ganforge.tune import storage as tune_storage  # noqa: E402

from ..conftest import run_cli  # noqa: E402
from ..rate.rate_helpers import postgres_url  # noqa: E402, F401  (fixture)

FAST = ["eval.n_samples=200", "train.batch_size=32", "train.log_every=5"]
GANFORGE = str(Path(sys.executable).parent / "ganforge")
SPACE_YAML = (
    "optim.lr_g: {low: 1.0e-4, high: 1.0e-2, log: true}\n"
    "loss.name: {choices: [non-saturating, hinge]}\n"
)

# a worker process whose trials cost nothing: each makes its run folder once (a second run of
# the same trial fails) and sleeps a little; the workers start together once both have loaded
CHEAP_WORKER = textwrap.dedent(
    """
    import math, os, sys, time
    from pathlib import Path
    from ganforge import tune as tune_mod, tune_storage

    def cheap(preset, base, params, steps, objective, run_path):
        run_path.mkdir(parents=True)
        time.sleep(0.3)
        score = (math.log10(params["optim.lr_g"]) + 2.5) ** 2 + (params["loss.name"] == "hinge")
        return {"score": score, "status": "ok", "seconds": 0.3}

    tune_mod.run_trial = cheap
    space, url, out, trials, ready, workers = sys.argv[1:]
    (Path(ready) / str(os.getpid())).touch()
    while len(list(Path(ready).iterdir())) < int(workers):
        time.sleep(0.05)
    tune_storage.tune("toy-grid", space, int(trials), 2, "modes", storage=url, folder=out,
                      on_trial=lambda r: print(f"trial {r['trial']}: ok", flush=True))
    """
)


def cheap_trials(
    monkeypatch: pytest.MonkeyPatch, interrupt: tuple[int, ...] = (), fail: tuple[int, ...] = ()
) -> list[str]:
    """Replace training and scoring by a score computed from the values; the n-th call (from 1)
    in ``interrupt`` is stopped, one in ``fail`` fails. Returns the run folders, in call order."""
    calls: list[str] = []

    def run_trial(*args: Any) -> dict[str, Any] | None:
        params, path = args[2], args[5]
        calls.append(path.name)
        if len(calls) in interrupt:
            return None
        if len(calls) in fail:
            return {
                "score": None,
                "status": "failed",
                "error": "RuntimeError: loss is nan",
                "seconds": 0.1,
            }
        return {"score": params["optim.lr_g"] * 100, "status": "ok", "seconds": 0.1}

    monkeypatch.setattr(tune_mod, "run_trial", run_trial)
    return calls


@pytest.fixture()
def space_file(tmp_path: Path) -> Path:
    path = tmp_path / "space.yaml"
    path.write_text(SPACE_YAML)
    return path


def load(url: str, out: Path) -> optuna.Study:
    return optuna.load_study(study_name=out.name, storage=tune_storage.open_storage(url))


def start_workers(argv: list[str], n: int) -> list[tuple[int, str, str]]:
    """``n`` processes of the same command started together; (exit code, stdout, stderr)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    procs = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(n)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        results.append((proc.returncode, out, err))
    return results


def check_shared_search(url: str, out: Path, results: list[tuple[int, str, str]], n: int) -> None:
    """Every worker exited cleanly; the study holds n complete trials with distinct values, each
    run by exactly one worker (a trial started when the study was already full is marked surplus
    and never gets values)."""
    for code, _, err in results:
        assert code == 0, err
    ran = [[int(m) for m in re.findall(r"^trial (\d+): ok", o, re.M)] for _, o, _ in results]
    assert all(ran), ran  # both workers took part
    every = load(url, out).get_trials()
    trials = [t for t in every if not t.user_attrs.get(tune_storage.SURPLUS)]
    assert all(t.state == TrialState.FAIL and not t.params for t in every if t not in trials)
    numbers = [t.number for t in trials]
    assert sorted(i for worker in ran for i in worker) == numbers  # none lost or run twice
    assert len(numbers) == n and {t.state for t in trials} == {TrialState.COMPLETE}
    assert len({tuple(t.params.values()) for t in trials}) == n
    assert sorted(p.name for p in (out / "trials").iterdir()) == [f"trial-{i:03d}" for i in numbers]


def open_together(url: str, n: int) -> list[Exception]:
    """``n`` threads open the storage at the same moment; the errors they met."""
    barrier = threading.Barrier(n)
    errors: list[Exception] = []

    def open_it() -> None:
        barrier.wait()
        try:
            tune_storage.open_storage(url)
        except ConfigError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_workers_opening_a_new_sqlite_storage_together_all_get_it(tmp_path: Path) -> None:
    # they race to create the tables; without trying again, 9 rounds in 10 had a loser
    for round_ in range(3):
        assert open_together(f"sqlite:///{tmp_path}/{round_}.db", 4) == []


def test_two_worker_processes_on_sqlite_finish_one_search(tmp_path: Path, space_file: Path) -> None:
    url, out = f"sqlite:///{tmp_path}/db/tune.db", tmp_path / "search"
    ready = tmp_path / "ready"
    ready.mkdir()
    argv = [sys.executable, "-c", CHEAP_WORKER, str(space_file), url, str(out), "8", str(ready)]
    check_shared_search(url, out, start_workers([*argv, "2"], 2), 8)


@pytest.mark.slow
def test_two_cli_workers_on_postgresql_finish_one_search(
    tmp_path: Path,
    space_file: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    out = tmp_path / "search"
    argv = [GANFORGE, "tune", "toy-grid", "--space", str(space_file), "--trials", "6"]
    argv += ["--steps", "20", "--metric", "modes", "--out", str(out), "--storage", postgres_url]
    for item in FAST:
        argv += ["--set", item]
    results = start_workers(argv, 2)
    check_shared_search(postgres_url, out, results, 6)
    table = (out / "results.md").read_text()
    assert table.count("| ok |") == 6
    assert all("best: trial" in o and "storage:     study search in" in o for _, o, _ in results)


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_a_trial_whose_worker_died_is_run_again_with_the_same_values(
    tmp_path: Path, space_file: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/tune.db" if kind == "sqlite" else f"journal:{tmp_path}/tune.log"
    out = tmp_path / "search"
    args: dict[str, Any] = {"storage": url, "folder": out, "heartbeat": 2}  # stale 4 s after a beat
    calls = cheap_trials(monkeypatch)
    tune_storage.tune("toy-grid", space_file, 1, 2, "modes", **args)
    # a worker takes trial 1, sends one heartbeat and dies
    study = load(url, out)
    study.sampler = optuna.samplers.RandomSampler(seed=0)
    with pytest.warns(UserWarning, match="Heartbeat of storage is supposed to be used with"):
        dead = study.ask()
    values = suggest(dead, tune_mod.load_space(space_file))
    study._storage.record_heartbeat(dead._trial_id)
    waited: list[list[int]] = []
    # two trials: nothing to start, so this worker waits for trial 1 until it goes stale
    result = tune_storage.tune("toy-grid", space_file, 2, 2, "modes", on_wait=waited.append, **args)
    assert waited == [[1]]
    trials = load(url, out).get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]
    again = trials[2]
    assert again.system_attrs["failed_trial"] == 1 and list(again.params.values()) == values
    assert again.user_attrs["run"].endswith("trial-002")
    assert [(r["trial"], r["status"]) for r in result.trials] == [
        (0, "ok"),
        (1, "failed"),
        (2, "ok"),
    ]
    assert result.trials[1]["error"] == "stopped; run again as trial 2"
    assert "| 1 | " in result.files["results"].read_text()
    assert calls == ["trial-000", "trial-002"]


@pytest.mark.slow
def test_a_killed_cli_worker_loses_no_trial(
    tmp_path: Path, space_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, out = f"sqlite:///{tmp_path}/tune.db", tmp_path / "search"
    argv = [GANFORGE, "tune", "toy-grid", "--space", str(space_file), "--trials", "2"]
    argv += ["--steps", "1000000", "--metric", "modes", "--out", str(out), "--storage", url]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.time() + 300
        while not (out / "trials" / "trial-000").exists() and time.time() < deadline:
            time.sleep(0.5)  # until trial 0 trains: it has its values and has sent a heartbeat
        proc.send_signal(signal.SIGKILL)  # no handler runs: the trial stays "running"
    finally:
        proc.wait(60)
    (first,) = load(url, out).get_trials()
    assert first.state == TrialState.RUNNING
    values = first.params
    calls = cheap_trials(monkeypatch)
    args: dict[str, Any] = {"storage": url, "folder": out, "heartbeat": 1}
    result = tune_storage.tune("toy-grid", space_file, 2, 1000000, "modes", **args)
    assert [(r["trial"], r["status"]) for r in result.trials] == [
        (0, "failed"),
        (1, "ok"),
        (2, "ok"),
    ]
    # trial 0 went stale (its heartbeat stopped); its rerun is 1 or 2, depending on whether it
    # was already stale when this worker started
    (again,) = [t for t in load(url, out).get_trials() if t.system_attrs.get("failed_trial") == 0]
    assert again.params == values and again.state == TrialState.COMPLETE
    assert result.trials[0]["error"] == f"stopped; run again as trial {again.number}"
    assert calls == ["trial-001", "trial-002"]


def test_an_interrupted_trial_is_queued_again_and_a_failed_one_is_not(
    tmp_path: Path, space_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, out = f"sqlite:///{tmp_path}/tune.db", tmp_path / "search"
    args: dict[str, Any] = {"storage": url, "folder": out}
    calls = cheap_trials(monkeypatch, interrupt=(1,), fail=(3,))  # Ctrl-C in the first
    stopped = tune_storage.tune("toy-grid", space_file, 3, 2, "modes", **args)
    assert stopped.status == "interrupted"
    first = load(url, out).get_trials()
    assert [t.state for t in first] == [TrialState.FAIL, TrialState.WAITING]
    assert first[1].params == first[0].params
    done = tune_storage.tune("toy-grid", space_file, 3, 2, "modes", **args)
    assert calls == ["trial-000", "trial-001", "trial-002", "trial-003"]
    assert [(r["trial"], r["status"]) for r in done.trials] == [
        (0, "failed"),
        (1, "ok"),
        (2, "failed"),
        (3, "ok"),
    ]
    assert done.trials[0]["error"] == "stopped; run again as trial 1"
    assert done.trials[2]["error"] == "RuntimeError: loss is nan"
    assert done.trials[1]["params"] == done.trials[0]["params"]
    assert done.best["trial"] in (1, 3)


def test_cli_joins_a_search_and_refuses_another_setup_or_a_bad_url(
    tmp_path: Path, space_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/tune.db"
    args = ["tune", "toy-grid", "--space", str(space_file), "--trials", "1", "--steps", "2"]
    args += ["--metric", "modes", "--out", str(tmp_path / "s")]
    for item in FAST:
        args += ["--set", item]
    args += ["--storage", url]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    assert "trial 0: ok" in out and f"storage:     study s in {url}" in out
    assert "| 0 | " in out and "best: trial 0" in out
    assert "ganforge train" in out and not (tmp_path / "s" / "journal.json").exists()
    code, _, err = run_cli(capsys, *[a if a != "2" else "3" for a in args])
    assert code == 2
    assert (
        "study s holds a search with another space or setup: --steps 3 (the search used 2)" in err
    )
    assert err.count("\n") == 1
    for bad, message in [
        ("tune.db", "not a storage URL; give sqlite:///PATH, postgresql://"),
        ("nosuchdb://x", "no driver for nosuchdb"),
        ("journal:", "name a file, e.g. journal:/shared/tune.log"),
        ("postgresql://u:secret@127.0.0.1:1/db", "postgresql://u:***@127.0.0.1:1/db"),
    ]:
        code, _, err = run_cli(capsys, *args[:-1], bad)
        assert code == 2 and message in err and "secret" not in err, err
        assert err.count("\n") == 1
