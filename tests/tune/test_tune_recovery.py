"""Tuning survives damage: a journal file with a torn or garbled end is repaired before it is
opened, and a full disk (the --out folder or the storage) stops the worker in one line without
using up the search."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

optuna = pytest.importorskip("optuna", reason="the tune extra: pip install -e '.[tune]'")

import torch  # noqa: E402
from optuna.storages.journal import JournalFileBackend  # noqa: E402
from optuna.trial import TrialState  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from ganforge.bayes.optimize.optuna_sampler import suggest  # noqa: E402
from ganforge.errors import ConfigError  # noqa: E402
from ganforge.tune import search as tune_mod  # noqa: E402
from ganforge.tune import storage as tune_storage  # noqa: E402

from ..conftest import run_cli  # noqa: E402
from .test_tune_storage import FAST, cheap_trials, load, space_file  # noqa: E402, F401

ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _tune(url: str, out: Path, space: Path, trials: int, **extra: Any) -> Any:
    return tune_storage.tune(
        "toy-grid", space, trials, 2, "modes", storage=url, folder=out, overrides=FAST, **extra
    )


def _cli_args(space: Path, out: Path, trials: int, *storage: str) -> list[str]:
    args = ["tune", "toy-grid", "--space", str(space), "--trials", str(trials), "--steps", "2"]
    args += ["--metric", "modes", "--out", str(out), *storage]
    for item in FAST:
        args += ["--set", item]
    return args


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    "damage",
    ["cut-40", "garbage", "garbage-line"],
)
def test_a_journal_with_a_damaged_end_is_repaired_and_the_search_goes_on(
    tmp_path: Path,
    space_file: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    damage: str,
) -> None:
    """Without the repair, the next append lands on the damaged line and every later read of
    the journal fails with a JSONDecodeError."""
    log, out = tmp_path / "tune.log", tmp_path / "search"
    url = f"journal:{log}"
    cheap_trials(monkeypatch)
    _tune(url, out, space_file, 2, heartbeat=1)
    whole = log.read_bytes()
    if damage == "cut-40":  # head -c -40: the last record (trial 1 complete) is torn
        log.write_bytes(whole[:-40])
        kept, cut = whole[: whole.rindex(b"\n", 0, len(whole) - 40) + 1], None
    else:
        extra = b"\x00\xffnot json{" + (b"\n" if damage == "garbage-line" else b"")
        log.write_bytes(whole + extra)
        kept, cut = whole, extra
    before = len(kept.splitlines())
    with caplog.at_level("WARNING", logger="ganforge"):
        result = _tune(url, out, space_file, 3, heartbeat=1)
    (side,) = tmp_path.glob("tune.log.torn*")
    assert side.name == "tune.log.torn"
    assert side.read_bytes() == (cut if cut is not None else whole[len(kept) : -40])
    assert log.read_bytes().startswith(kept)  # every complete record is still there
    (line,) = [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]
    assert f"after line {before}" in line and str(side) in line
    assert [t["status"] for t in result.trials if t["status"] == "ok"] == ["ok"] * 3
    trials = load(url, out).get_trials()  # the whole journal reads again
    assert trials[0].state == TrialState.COMPLETE
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 3


def test_a_whole_journal_is_left_as_it_is_and_damage_before_records_is_refused(
    tmp_path: Path,
    space_file: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log, out = tmp_path / "tune.log", tmp_path / "search"
    cheap_trials(monkeypatch)
    _tune(f"journal:{log}", out, space_file, 1)
    whole = log.read_bytes()
    assert tune_storage.repair_journal(log) is None and log.read_bytes() == whole
    lines = whole.splitlines(keepends=True)
    log.write_bytes(b"".join([*lines[:2], lines[2][:10], *lines[2:]]))  # torn, then appended
    with pytest.raises(ConfigError, match="line 3 is damaged and complete records follow it"):
        tune_storage.open_storage(f"journal:{log}")
    assert not list(tmp_path.glob("*.torn*"))


def _full_disk_for_checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every checkpoint write stops with ENOSPC after writing part of the file."""

    def full(obj: Any, handle: Any, *args: Any, **kwargs: Any) -> None:
        handle.write(b"x" * 1024)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(torch, "save", full)


def test_a_full_out_folder_stops_the_worker_without_using_up_the_search(
    tmp_path: Path,
    space_file: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, out = f"sqlite:///{tmp_path}/tune.db", tmp_path / "search"
    _full_disk_for_checkpoints(monkeypatch)
    code, _, err = run_cli(capsys, *_cli_args(space_file, out, 3, "--storage", url))
    line = _one_line(err)
    assert code == 2
    assert "trial-000" in line and "is full" in line and "free" in line
    assert "the trial was not counted" in line and "rerun the same command" in line
    first = load(url, out).get_trials()
    assert [t.state for t in first] == [TrialState.FAIL, TrialState.WAITING]  # queued again
    assert tune_storage._taken(first) == 1  # one place of three, not three failed trials
    monkeypatch.undo()  # space freed
    calls = cheap_trials(monkeypatch)
    done = _tune(url, out, space_file, 3)
    assert [t["status"] for t in done.trials] == ["failed", "ok", "ok", "ok"]
    assert done.trials[0]["error"] == "stopped; run again as trial 1"
    assert done.trials[1]["params"] == done.trials[0]["params"]
    assert calls == ["trial-001", "trial-002", "trial-003"]


def test_a_full_disk_under_a_search_without_storage_is_one_line_and_counts_nothing(
    tmp_path: Path,
    space_file: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "search"
    _full_disk_for_checkpoints(monkeypatch)
    code, _, err = run_cli(capsys, *_cli_args(space_file, out, 3))
    line = _one_line(err)
    assert code == 2 and "is full" in line and "rerun the same command" in line
    assert json.loads((out / "journal.json").read_text())["history"] == []


def _journal_full_after(monkeypatch: pytest.MonkeyPatch, appends: int) -> None:
    """Journal appends after the first ``appends`` write half their bytes and fail (ENOSPC)."""
    real, count = JournalFileBackend.append_logs, [0]

    def append(self: JournalFileBackend, logs: list[dict[str, Any]]) -> None:
        count[0] += 1
        if count[0] <= appends:
            return real(self, logs)
        data = "".join(json.dumps(entry, separators=(",", ":")) + "\n" for entry in logs)
        with open(self._file_path, "ab") as handle:
            handle.write(data.encode()[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(JournalFileBackend, "append_logs", append)


def _sqlite_full_after(writes: int) -> Any:
    """SQLite's "database or disk is full" for every INSERT or UPDATE after the first few
    (a listener on every engine: remove it after use)."""
    count = [0]

    def full(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            count[0] += 1
            if count[0] > writes:
                raise sqlite3.OperationalError("database or disk is full")

    event.listen(Engine, "before_cursor_execute", full)
    return full


@pytest.mark.parametrize(("kind", "writes"), [("journal", 3), ("journal", 12), ("sqlite", 30)])
def test_a_full_storage_is_one_line_and_the_next_worker_continues(
    tmp_path: Path,
    space_file: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    writes: int,
) -> None:
    """Optuna says AssertionError (journal) or StorageInternalError (SQLite) today."""
    url = f"journal:{tmp_path}/tune.log" if kind == "journal" else f"sqlite:///{tmp_path}/tune.db"
    out = tmp_path / "search"
    cheap_trials(monkeypatch)
    listener = None
    if kind == "journal":
        _journal_full_after(monkeypatch, writes)
    else:
        listener = _sqlite_full_after(writes)
    try:
        code, _, err = run_cli(capsys, *_cli_args(space_file, out, 4, "--storage", url))
    finally:
        if listener is not None:
            event.remove(Engine, "before_cursor_execute", listener)
    line = _one_line(err)
    assert code == 2
    assert f"--storage {url}: could not write {tmp_path / 'tune'}" in line
    assert "is full" in line and "free" in line and "without failing any trial" in line
    monkeypatch.undo()  # space freed
    cheap_trials(monkeypatch)
    done = _tune(url, out, space_file, 4, heartbeat=1)  # a trial left running goes stale
    assert sum(t["status"] == "ok" for t in done.trials) == 4
    assert not any(t.get("error", "").startswith("RuntimeError") for t in done.trials)


@pytest.mark.parametrize("kind", ["journal", "sqlite"])
def test_a_heartbeat_lost_to_a_full_disk_is_skipped_and_other_errors_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Beats are written from Optuna's heartbeat thread, where an error is a thread traceback."""
    url = f"journal:{tmp_path}/tune.log" if kind == "journal" else f"sqlite:///{tmp_path}/t.db"
    storage = tune_storage.open_storage(url)
    study = optuna.create_study(storage=storage, study_name="s")
    with pytest.warns(UserWarning, match="Heartbeat of storage is supposed to be used with"):
        trial_id = study.ask()._trial_id
    where = JournalFileBackend if kind == "journal" else optuna.storages.RDBStorage
    method = "append_logs" if kind == "journal" else "record_heartbeat"
    for error, raised in ((ENOSPC, False), (PermissionError(13, "denied"), True)):

        def fail(*args: Any, error: Exception = error) -> None:
            raise error

        monkeypatch.setattr(where, method, fail)
        if raised:
            with pytest.raises(PermissionError):
                storage.record_heartbeat(trial_id)
        else:
            storage.record_heartbeat(trial_id)
        monkeypatch.undo()


@pytest.mark.parametrize("kind", ["journal", "sqlite"])
def test_a_running_trial_that_never_sent_a_heartbeat_goes_stale(
    tmp_path: Path,
    space_file: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    """A full disk can take a trial's first beat (its creation was written): without a beat it
    was never stale, and every worker waited for it forever."""
    url = f"journal:{tmp_path}/tune.log" if kind == "journal" else f"sqlite:///{tmp_path}/t.db"
    out = tmp_path / "search"
    cheap_trials(monkeypatch)
    _tune(url, out, space_file, 1, heartbeat=1)
    study = load(url, out)
    study.sampler = optuna.samplers.RandomSampler(seed=0)
    with pytest.warns(UserWarning, match="Heartbeat of storage is supposed to be used with"):
        lost = study.ask()  # running, with values, and no heartbeat at all
    values = suggest(lost, tune_mod.load_space(space_file))
    time.sleep(2.5)  # older than the grace period (twice the 1 s heartbeat)
    real, looks = tune_storage._fail_stale, [0]

    def fail_stale(study: optuna.Study) -> None:
        looks[0] += 1
        assert looks[0] < 10, "the trial without a heartbeat never went stale"
        real(study)

    monkeypatch.setattr(tune_storage, "_fail_stale", fail_stale)
    _tune(url, out, space_file, 2, heartbeat=1)
    trials = load(url, out).get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]
    assert trials[2].system_attrs["failed_trial"] == 1
    assert list(trials[2].params.values()) == values
