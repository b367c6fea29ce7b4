"""Distributed tuning: ``ganforge tune ... --storage URL`` runs the trials of one search from any
number of workers (processes, machines) that share an Optuna storage.

The storage is the search's journal: an SQL database (``sqlite:///tune.db`` on one machine,
``postgresql://...`` for many) or a journal file on a shared file system (``journal:PATH``).
The study is named after the ``--out`` folder and records the search's setup; a worker whose
arguments differ is refused. Each proposal comes from ``OptimizerSampler`` (ganforge's GP
optimiser rebuilt from the study's trials), so workers share nothing in memory.

Every running trial sends a heartbeat; a trial silent for twice the interval (its worker was
killed, its machine lost) is failed by the next worker that looks and queued again with the same
values (Optuna's RetryHeartbeatStaleTrialCallback), at most ``MAX_RETRY`` times. A trial whose
training was stopped (Ctrl-C, SIGTERM) is queued again at once. A worker starts a trial while
the study has fewer than ``--trials`` trials done, running or queued; then it waits until none
is running (one might still fail and be queued again) and writes results.md, convergence.png
and best.yaml for the whole study into its ``--out`` folder.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ganforge.errors import ConfigError

try:
    import optuna
except ModuleNotFoundError as exc:  # an extra: pip install 'ganforge[tune]'
    raise ConfigError(
        "--storage needs Optuna: pip install 'ganforge[tune]' (and 'ganforge[postgres]' "
        "for PostgreSQL)"
    ) from exc
import sqlalchemy.exc
from optuna.exceptions import ExperimentalWarning
from optuna.storages import (
    BaseStorage,
    JournalStorage,
    RDBStorage,
    RetryHeartbeatStaleTrialCallback,
    fail_stale_trials,
)
from optuna.storages._heartbeat import BaseHeartbeat  # the interface Optuna's heartbeat calls
from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock
from optuna.storages.journal._file import get_lock_file  # the lock Optuna's appends take
from optuna.trial import FrozenTrial, TrialState
from sqlalchemy.engine import make_url

from ganforge.bayes import Space
from ganforge.bayes.optimize.optuna_sampler import OptimizerSampler, suggest, superseded
from ganforge.checkpoints import DISK_FULL, describe_write_failure, is_disk_full
from ganforge.tune import search as tune_mod
from ganforge.tune.search import Objective, OutOfSpace, TuneResult

HEARTBEAT = 60  # seconds between heartbeats of a running trial; stale after twice that
MAX_RETRY = 3  # a trial whose workers keep dying is run at most this many more times
SETUP = "ganforge:setup"  # study user attribute: the search's arguments
SURPLUS = "surplus"  # trial user attribute: started when the study already had enough trials
BEAT = "ganforge:heartbeat"  # trial system attribute of the journal-file heartbeat
STORAGE_FORMS = "sqlite:///PATH, postgresql://USER@HOST/DB or journal:PATH"
TORN = ".torn"  # suffix of the side file that keeps the bytes cut off a damaged journal's end

log = logging.getLogger(__name__)


def _record(line: bytes) -> bool:
    """Whether one line of a journal file (with its newline) is a complete record."""
    try:
        return line.endswith(b"\n") and isinstance(json.loads(line), dict)
    except ValueError:  # JSONDecodeError, or bytes that are not UTF-8
        return False


def _lines(data: bytes) -> list[bytes]:
    """The file's lines, each with its newline (the last one may have none)."""
    parts = data.split(b"\n")
    return [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _good_end(data: bytes) -> tuple[int, int]:
    """Where the journal's leading complete records end, and the 1-based line of the first
    damaged one (0: none)."""
    end = 0
    for number, line in enumerate(_lines(data), start=1):
        if not _record(line):
            return end, number
        end += len(line)
    return end, 0


def repair_journal(path: Path) -> Path | None:
    """Cut a torn or garbled end off the journal file ``path`` (a write stopped by a full disk
    or a crash, bytes appended from outside) before Optuna appends after it: every complete
    record is kept, the cut bytes are moved to a side file, whose path is returned (None when
    the file was whole). Damage followed by complete records is refused (a ConfigError):
    cutting there would drop records that later ones depend on."""
    if not path.is_file():
        return None
    with get_lock_file(JournalFileSymlinkLock(str(path))):  # no worker appends meanwhile
        data = path.read_bytes()
        end, line = _good_end(data)
        if end == len(data):
            return None
        if any(_record(rest) for rest in _lines(data[end:])[1:]):
            raise ConfigError(
                f"--storage journal:{path}: line {line} is damaged and complete records follow "
                "it; ganforge repairs only a damaged end. Restore the file from a backup or "
                "start a new search (another journal file)"
            )
        side = path.with_name(path.name + TORN)
        number = 1
        while side.exists():
            side, number = path.with_name(f"{path.name}{TORN}.{number}"), number + 1
        side.write_bytes(data[end:])
        with open(path, "r+b") as handle:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
    log.warning(
        "journal %s ended in %d damaged byte(s) after line %d (a write cut short); they were "
        "moved to %s and every complete record was kept",
        path,
        len(data) - end,
        line - 1,
        side,
    )
    return side


class JournalFileHeartbeat(JournalStorage, BaseHeartbeat):
    """A journal-file storage with Optuna's heartbeat (Optuna has it for SQL storages only):
    the last beat of a running trial is a system attribute with the writer's clock, so the
    machines sharing the file need clocks that agree to well within the grace period."""

    def __init__(
        self,
        path: Path,
        interval: int,
        stale_callback: Callable[[optuna.Study, FrozenTrial], None],
    ) -> None:
        super().__init__(JournalFileBackend(str(path)))
        self.interval = interval
        self.grace = 2 * interval
        self.stale_callback = stale_callback

    def record_heartbeat(self, trial_id: int) -> None:
        """Note that the trial's worker is alive now (a beat lost to a full disk is skipped:
        the worker's own next write stops it in one line)."""
        try:
            self.set_trial_system_attr(trial_id, BEAT, time.time())
        except Exception as exc:  # in Optuna's heartbeat thread: a traceback otherwise
            if not is_disk_full(exc):
                raise

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        now = time.time()
        running = self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,))
        return [t._trial_id for t in running if now - self._last_sign(t) > self.grace]

    @staticmethod
    def _last_sign(trial: FrozenTrial) -> float:
        """When the trial's worker was last known alive: its last beat, or its start when no
        beat was written (the first is sent at the start: a write cut short by a full disk)."""
        if BEAT in trial.system_attrs:
            return float(trial.system_attrs[BEAT])
        start = trial.datetime_start
        return start.timestamp() if start is not None else time.time()

    def get_heartbeat_interval(self) -> int:
        """Seconds between beats."""
        return self.interval

    def get_heartbeat_stale_trial_callback(
        self,
    ) -> Callable[[optuna.Study, FrozenTrial], None]:
        """What to do with a trial found stale: queue it again."""
        return self.stale_callback


def _retry(max_retry: int | None) -> RetryHeartbeatStaleTrialCallback:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        return RetryHeartbeatStaleTrialCallback(max_retry=max_retry)


def shown_url(url: str) -> str:
    """The storage URL with any password hidden."""
    if url.startswith("journal:"):
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sqlalchemy.exc.ArgumentError:
        return url


def open_storage(url: str, heartbeat: int = HEARTBEAT) -> BaseStorage:
    """The Optuna storage behind ``--storage URL``, with heartbeats every ``heartbeat``
    seconds and stale trials queued again: ``journal:PATH`` is a journal file, anything else
    an SQLAlchemy URL (``postgresql://`` uses psycopg 3, ganforge's PostgreSQL driver)."""
    stale = _retry(MAX_RETRY)
    if url.startswith("journal:"):
        path = Path(url.removeprefix("journal:")).expanduser()
        if not path.name:
            raise ConfigError(f"--storage {url}: name a file, e.g. journal:/shared/tune.log")
        path.parent.mkdir(parents=True, exist_ok=True)
        repair_journal(path)
        return JournalFileHeartbeat(path, heartbeat, stale)
    try:
        parsed = make_url(url)
    except sqlalchemy.exc.ArgumentError as exc:
        raise ConfigError(f"--storage {url}: not a storage URL; give {STORAGE_FORMS}") from exc
    engine: dict[str, Any] = {}
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.drivername.startswith("sqlite"):
        engine["connect_args"] = {"timeout": 60}  # wait for another worker's write
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        return _rdb(parsed.render_as_string(hide_password=False), engine, heartbeat, stale)
    except (ImportError, sqlalchemy.exc.SQLAlchemyError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, (ImportError, sqlalchemy.exc.NoSuchModuleError)):
            reason = (
                f"no driver for {parsed.drivername} ({reason}); give {STORAGE_FORMS} "
                "(PostgreSQL needs pip install 'ganforge[postgres]')"
            )
        raise ConfigError(f"--storage {shown_url(url)}: {reason}") from exc


class _SqlStorage(RDBStorage):
    """Optuna's SQL storage, whose heartbeat skips a beat lost to a full disk (in Optuna's
    heartbeat thread the error is a thread traceback; the worker's own next write stops it in
    one line)."""

    def record_heartbeat(self, trial_id: int) -> None:
        """Note that the trial's worker is alive now."""
        try:
            super().record_heartbeat(trial_id)
        except Exception as exc:
            if not is_disk_full(exc):
                raise

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        """Optuna's stale trials, plus running ones that never got a heartbeat (its first beat
        was lost to a full disk) once their start is older than the grace period."""
        stale = super()._get_stale_trial_ids(study_id)
        grace = self.grace_period or 2 * (self.heartbeat_interval or HEARTBEAT)
        now = datetime.now()  # Optuna writes datetime_start from the worker's local clock
        old = [
            t._trial_id
            for t in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,))
            if t._trial_id not in stale
            and t.datetime_start is not None
            and (now - t.datetime_start).total_seconds() > grace
        ]
        if not old:
            return stale
        query = sqlalchemy.text("SELECT trial_id FROM trial_heartbeats WHERE trial_id IN :ids")
        query = query.bindparams(sqlalchemy.bindparam("ids", expanding=True))
        with self.engine.connect() as connection:
            beating = {row[0] for row in connection.execute(query, {"ids": old})}
        return stale + [i for i in old if i not in beating]


def _rdb(
    url: str,
    engine: dict[str, Any],
    heartbeat: int,
    stale: Callable[[optuna.Study, FrozenTrial], None],
) -> RDBStorage:
    """Optuna's SQL storage. Workers that start together race to create its tables (a duplicate
    row, or "table ... already exists"): the loser tries again and finds them made."""
    for attempt in range(5):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExperimentalWarning)
                return _SqlStorage(
                    url,
                    engine_kwargs=engine,
                    heartbeat_interval=heartbeat,
                    grace_period=2 * heartbeat,
                    heartbeat_stale_trial_callback=stale,
                )
        except sqlalchemy.exc.SQLAlchemyError as exc:
            made = isinstance(exc, sqlalchemy.exc.IntegrityError) or "already exists" in str(exc)
            if attempt == 4 or not made:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _study(
    storage: BaseStorage,
    name: str,
    setup: dict[str, Any],
    objective: Objective,
    trials: int,
) -> optuna.Study:
    """Create or join the study ``name``; refuse one whose setup differs from ``setup``."""
    direction = "maximize" if objective.higher_is_better else "minimize"
    placeholder = optuna.samplers.RandomSampler()  # replaced once the setup is known
    try:  # the worker that creates the study records the setup; the others read it
        study = optuna.create_study(
            storage=storage, study_name=name, direction=direction, sampler=placeholder
        )
        n_initial = setup["n_initial"]
        if n_initial is None:
            n_initial = tune_mod.default_initial(trials)
        study.set_user_attr(SETUP, {**setup, "n_initial": n_initial})
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=name, storage=storage, sampler=placeholder)
        deadline = time.monotonic() + 10  # the creator writes it right after creating
        while SETUP not in study.user_attrs:
            if time.monotonic() > deadline:
                raise ConfigError(
                    f"study {name} in the storage has no ganforge setup (not made by "
                    "ganforge tune?); use another --out folder name"
                ) from None
            time.sleep(0.2)
    used = study.user_attrs[SETUP]
    conflicts = tune_mod.setup_conflicts(used, setup, used["space"] == setup["space"])
    if conflicts:
        raise ConfigError(
            f"study {name} holds a search with another space or setup: {'; '.join(conflicts)}. "
            "Rerun with the search's arguments to join it, or use a new --out folder"
        )
    study.sampler = _sampler(used, len(study.get_trials(deepcopy=False)))
    study.pruner = _pruner(used.get("pruner", "none"), used["n_initial"])
    return study


def _sampler(used: dict[str, Any], started: int) -> optuna.samplers.BaseSampler:
    """The search's sampler: ours (gp) or Optuna's TPE or random search. Optuna's are seeded
    with --seed and the trials already in the study, so a worker that joins later does not
    repeat the first worker's draws."""
    kind = used.get("sampler", "gp")
    if kind == "gp":
        return OptimizerSampler(
            Space.from_json(used["space"]),
            seed=used["seed"],
            n_initial=used["n_initial"],
            acquisition=used["acquisition"],
        )
    seed = used["seed"] + 7919 * started
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=used["n_initial"])
    return optuna.samplers.RandomSampler(seed=seed)


def _pruner(kind: str, n_initial: int) -> optuna.pruners.BasePruner:
    """Optuna's pruner for --pruner (median: after the initial design's trials)."""
    if kind == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=n_initial)
    if kind == "halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    return optuna.pruners.NopPruner()


def _counts(trial: FrozenTrial, replaced: dict[int, int]) -> bool:
    """Whether a trial takes one of the search's ``--trials``: done, running or queued, not
    replaced by a retry and not a surplus start."""
    if trial.number in replaced or trial.user_attrs.get(SURPLUS):
        return False
    if trial.state in (
        TrialState.RUNNING,
        TrialState.WAITING,
        TrialState.COMPLETE,
        TrialState.PRUNED,
    ):
        return True
    return trial.state == TrialState.FAIL and bool(trial.params)


def _taken(trials: Sequence[FrozenTrial], below: int | None = None) -> int:
    """How many trials (with a number under ``below``) take a place of the search."""
    replaced = superseded(trials)
    return sum(_counts(t, replaced) for t in trials if below is None or t.number < below)


class _Failed(Exception):
    """A trial's training or scoring failed: recorded, not retried."""


class _Surplus(Exception):
    """The study had all its trials when this one started."""


class _Interrupted(Exception):
    """Training was stopped (Ctrl-C, SIGTERM): the trial is queued again."""


def tune(
    preset: str,
    space: str | Path | Space,
    trials: int,
    steps: int,
    metric: str,
    *,
    storage: str,
    folder: str | Path | None = None,
    overrides: Iterable[str] = (),
    seed: int = 0,
    n_initial: int | None = None,
    acquisition: str = "ei",
    heartbeat: int = HEARTBEAT,
    on_trial: Callable[[dict[str, Any]], None] | None = None,
    on_wait: Callable[[list[int]], None] | None = None,
    sampler: str = "gp",
    pruner: str = "none",
    report_every: int | None = None,
) -> TuneResult:
    """Work on the shared search in ``storage`` until it has ``trials`` finished trials;
    ``on_wait`` hears the numbers of trials running elsewhere while this worker waits."""
    space, objective, base, folder = tune_mod.check_arguments(
        preset, space, trials, steps, metric, acquisition, overrides, folder
    )
    setup = {
        "preset": preset,
        "steps": steps,
        "metric": metric,
        "overrides": base,
        "seed": seed,
        "acquisition": acquisition,
        "n_initial": n_initial,
        "space": space.to_json(),
        "sampler": sampler,
        "pruner": pruner,
    }
    with _quiet_optuna(), _storage_full(storage):
        study = _study(open_storage(storage, heartbeat), folder.name, setup, objective, trials)
        folder.mkdir(parents=True, exist_ok=True)
        worker = _Worker(study, preset, space, base, steps, objective, folder, trials)
        worker.report_every = report_every
        status = worker.work(min(2, heartbeat), on_trial, on_wait)
        rows = _rows(study.get_trials(deepcopy=False), space)
    result = tune_mod.finish(preset, base, folder, space.names, rows, objective, status, {})
    result.storage = f"study {folder.name} in {shown_url(storage)}"
    return result


def _storage_path(url: str) -> Path | None:
    """The local file behind a journal or SQLite URL (None for a database server)."""
    if url.startswith("journal:"):
        return Path(url.removeprefix("journal:")).expanduser()
    try:
        parsed = make_url(url)
    except sqlalchemy.exc.ArgumentError:
        return None
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database).expanduser()
    return None


@contextmanager
def _storage_full(url: str) -> Iterator[None]:
    """A storage that cannot be written for a full disk (Optuna reports it as an
    AssertionError or a StorageInternalError) becomes one OutOfSpace line naming the storage
    and the free space; the worker stops there, and a trial it was running is queued again
    by the next worker once its heartbeat is stale."""
    try:
        yield
    except OutOfSpace:  # the --out folder is full: said already
        raise
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        path = _storage_path(url)
        if path is not None:
            full = OSError(DISK_FULL[0], os.strerror(DISK_FULL[0]))
            what = describe_write_failure(path, full)
        else:
            what = "the database server's disk is full"
        raise OutOfSpace(
            f"--storage {shown_url(url)}: {what}; this worker stopped without failing any "
            "trial. Free space and rerun the same command to continue the search"
        ) from None


@contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Optuna's own log lines off (ganforge prints one line per trial), restored after."""
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(verbosity)


@dataclass
class _Worker:
    """One worker of a shared search: runs trials while the study needs them."""

    study: optuna.Study
    preset: str
    space: Space
    base: list[str]
    steps: int
    objective: Objective
    folder: Path
    trials: int
    host: str = field(default_factory=socket.gethostname)
    started: list[int] = field(default_factory=list)  # the trial it is running now
    done: list[dict[str, Any]] = field(default_factory=list)  # and its record
    report_every: int | None = None  # with a pruner: steps between scores (None: steps / 5)

    def run(self, trial: optuna.Trial) -> float:
        """Optuna's objective: train and score one trial (or refuse a surplus start)."""
        if _taken(self.study.get_trials(deepcopy=False), below=trial.number) >= self.trials:
            trial.set_user_attr(SURPLUS, True)
            raise _Surplus()
        self.started.append(trial.number)
        params = self.space.as_dict(suggest(trial, self.space))
        run_path = self.folder / "trials" / f"trial-{trial.number:03d}"
        trial.set_user_attr("run", str(run_path))
        trial.set_user_attr("host", self.host)

        def report(step: int, value: float) -> bool:
            trial.report(value, step)
            return trial.should_prune()

        pruned = {"report": report, "report_every": self.report_every}
        record = tune_mod.run_trial(
            self.preset,
            self.base,
            params,
            self.steps,
            self.objective,
            run_path,
            **(pruned if _pruning(self.study) else {}),
        )
        if record is None:
            raise _Interrupted()
        trial.set_user_attr("seconds", record["seconds"])
        self.done.append({"trial": trial.number, "params": params, "run": str(run_path), **record})
        if record["status"] == tune_mod.PRUNED:
            raise optuna.TrialPruned()
        if record["status"] != "ok":
            trial.set_user_attr("error", record["error"])
            raise _Failed(record["error"])
        return record["score"]

    def work(
        self,
        poll: float,
        on_trial: Callable[[dict[str, Any]], None] | None,
        on_wait: Callable[[list[int]], None] | None,
    ) -> str:
        """Run trials until the study has enough, then wait (polling every ``poll`` seconds)
        until none is running; "completed" or "interrupted"."""
        shown: list[int] = []
        try:
            while True:
                _fail_stale(self.study)
                now = self.study.get_trials(deepcopy=False)
                queued = any(t.state == TrialState.WAITING for t in now)
                if queued or _taken(now) < self.trials:
                    self.started.clear()
                    self.done.clear()
                    try:
                        self.study.optimize(self.run, n_trials=1, catch=(_Failed, _Surplus))
                    except (_Interrupted, KeyboardInterrupt):
                        _queue_again(self.study, self.started)
                        return "interrupted"
                    except OutOfSpace:  # --out is full: the trial is run again later
                        _queue_again(self.study, self.started)
                        raise
                    if self.done and on_trial is not None:
                        on_trial(self.done[0])
                    continue
                running = sorted(t.number for t in now if t.state == TrialState.RUNNING)
                if not running:
                    return "completed"
                if running != shown and on_wait is not None:
                    on_wait(running)
                shown = running
                time.sleep(poll)
        except KeyboardInterrupt:
            return "interrupted"


def _pruning(study: optuna.Study) -> bool:
    """Whether the study prunes (a pruner other than Optuna's no-op one)."""
    return not isinstance(study.pruner, optuna.pruners.NopPruner)


def _fail_stale(study: optuna.Study) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        fail_stale_trials(study)


def _queue_again(study: optuna.Study, started: list[int]) -> None:
    """Queue the trial this worker was running (now failed) again with the same values."""
    for t in study.get_trials(deepcopy=False):
        if t.number in started and t.state == TrialState.FAIL:
            _retry(None)(study, t)


def _rows(trials: Sequence[FrozenTrial], space: Space) -> list[dict[str, Any]]:
    """The study's trials as tune's table rows, in number order (surplus starts and trials
    that never got their values left out)."""
    replaced = superseded(trials)
    rows = []
    for t in sorted(trials, key=lambda t: t.number):
        if t.user_attrs.get(SURPLUS) or any(n not in t.params for n in space.names):
            continue
        row: dict[str, Any] = {
            "trial": t.number,
            "params": {n: t.params[n] for n in space.names},
            "score": t.value if t.state == TrialState.COMPLETE else None,
            "seconds": t.user_attrs.get("seconds", ""),
            "run": t.user_attrs.get("run"),
            "host": t.user_attrs.get("host"),
        }
        if t.state == TrialState.COMPLETE:
            row["status"] = "ok"
        elif t.state == TrialState.FAIL:
            row["status"] = "failed"
            if "error" in t.user_attrs:
                row["error"] = t.user_attrs["error"]
            elif t.number in replaced:
                row["error"] = f"stopped; run again as trial {replaced[t.number]}"
            else:
                row["error"] = "no result: its worker stopped"
        elif t.state == TrialState.PRUNED:
            row["status"] = tune_mod.PRUNED
            steps = sorted(t.intermediate_values)
            if steps:  # how far it got, and its last score there
                row["score"] = t.intermediate_values[steps[-1]]
                row["error"] = f"stopped at step {steps[-1]}"
        else:
            row["status"] = t.state.name.lower()  # running or waiting
        rows.append(row)
    return rows
