"""GAN hyperparameter search: each trial trains a preset with proposed overrides for a few steps,
scores one metric on the result and reports it to the Bayesian optimiser (``ganforge.bayes``).

The search lives in one folder: ``journal.json`` (the optimiser's state, every trial with its
run, value or error), ``trials/trial-NNN/`` (the runs), ``results.md``, ``convergence.png`` and
``best.yaml`` (the preset with the best trial's values: ``ganforge train best.yaml``). Running the
same command again continues from the journal: finished trials are never repeated, an
interrupted one is run again. ``tune_storage`` runs the same trials from many workers that share
an Optuna storage instead of the journal.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ganforge import config as config_mod
from ganforge.bayes import ACQUISITION_CHOICES, Optimizer, Space
from ganforge.bayes.optimize.plots import plot_convergence
from ganforge.checkpoints import DISK_FULL, describe_write_failure, is_disk_full
from ganforge.errors import ConfigError, GanforgeError
from ganforge.metrics.runner.evaluate import evaluate
from ganforge.metrics.runner.evaluator import training_evaluator
from ganforge.registry import METRICS
from ganforge.runs import DEFAULT_ROOT
from ganforge.train import train

JOURNAL = "journal.json"
SETUP = "setup.json"


class OutOfSpace(GanforgeError):
    """A trial could not be written (its disk is full): the search stops there, and the trial
    is not counted as failed (a rerun of the same command runs it)."""


@dataclass
class Objective:
    """Which metric scores a trial: the registered metric, the score key and its direction."""

    metric: str
    key: str
    higher_is_better: bool

    def to_loss(self, value: float) -> float:
        """The value the optimiser minimises."""
        return -value if self.higher_is_better else value


def objective_for(name: str) -> Objective:
    """Resolve ``--metric``: a score key (``modes``, ``fid``, ``recall``) or ``metric:key``."""
    metric, _, key = name.partition(":")
    candidates = []
    for entry in METRICS:
        better = entry.meta.get("better") or {}
        if key and entry.name == metric and key in better:
            candidates.append((entry.name, key, better[key]))
        elif not key and name in better:
            candidates.append((entry.name, name, better[name]))
    usable = [c for c in candidates if c[2] in ("lower", "higher")]
    if not usable:
        scores = sorted(
            k for e in METRICS for k, d in (e.meta.get("better") or {}).items() if d is not None
        )
        raise ConfigError(
            f"--metric {name}: not a score with a direction; choose one of {', '.join(scores)}"
        )
    if len(usable) > 1:
        both = ", ".join(f"{m}:{k}" for m, k, _ in usable)
        raise ConfigError(
            f"--metric {name}: several metrics have a score {name!r} ({both}); "
            f"name one as metric:score, e.g. --metric {usable[0][0]}:{usable[0][1]}"
        )
    metric, key, direction = usable[0]
    return Objective(metric, key, direction == "higher")


def load_space(path: str | Path) -> Space:
    """A search space from YAML: ``config.key: {low, high[, log]} | {choices: [...]}``."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"search space file {path} does not exist")
    raw = config_mod.read_yaml(path)  # a syntax error is one line naming the file and line
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(
            f"{path}: expected a mapping of config keys to ranges, e.g. "
            "'optim.lr_g: {low: 1.0e-5, high: 1.0e-3, log: true}'"
        )
    try:
        return Space({str(k): _tuple_ranges(v) for k, v in raw.items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _tuple_ranges(spec: Any) -> Any:
    # YAML has no tuples: [low, high] of two numbers is a range, anything else a choice list
    if (
        isinstance(spec, list)
        and len(spec) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in spec)
    ):
        return tuple(spec)
    return spec


def _corners(space: Space) -> list[list[Any]]:
    """Both ends of every range and every categorical choice, a few points in all."""
    low, high = space.decode([[0.0] * space.n_columns, [1.0] * space.n_columns])
    points = [low, high]
    for i, dim in enumerate(space.dimensions):
        for choice in getattr(dim, "choices", ())[1:]:
            points.append([*low[:i], choice, *low[i + 1 :]])
    return points


def check_space(preset: str, space: Space, overrides: Iterable[str] = ()) -> None:
    """Resolve ``preset`` at the corners of ``space``: a typo is one error now, not N failed
    trials (raises the ConfigError of the first key or value the preset does not accept)."""
    base = list(overrides)
    for point in _corners(space):
        config_mod.resolve(preset, [*base, *overrides_for(space.as_dict(point))])


def overrides_for(params: Mapping[str, Any]) -> list[str]:
    """``--set`` strings for a trial's values (JSON literals are valid YAML)."""
    return [f"{key}={json.dumps(value)}" for key, value in params.items()]


@dataclass
class TuneResult:
    """The finished search: the trials in order, the best one, the files written."""

    folder: Path
    trials: list[dict[str, Any]]
    best: dict[str, Any] | None
    objective: Objective
    files: dict[str, Path] = field(default_factory=dict)
    status: str = "completed"
    storage: str | None = None  # a shared search: "study NAME in URL"


def check_arguments(
    preset: str,
    space: str | Path | Space,
    trials: int,
    steps: int,
    metric: str,
    acquisition: str,
    overrides: Iterable[str],
    folder: str | Path | None,
) -> tuple[Space, Objective, list[str], Path]:
    """Check a search's arguments before anything runs (the ConfigError of the first problem);
    returns the space, the objective, the fixed overrides and the search folder."""
    if trials < 1 or steps < 1:
        raise ConfigError(f"--trials and --steps must be positive, got {trials} and {steps}")
    if acquisition not in ACQUISITION_CHOICES:
        raise ConfigError(
            f"--acquisition {acquisition}: choose one of {', '.join(ACQUISITION_CHOICES)}"
        )
    space = space if isinstance(space, Space) else load_space(space)
    objective = objective_for(metric)
    base = list(overrides)
    check_space(preset, space, base)
    return space, objective, base, search_folder(preset, folder)


def search_folder(preset: str, folder: str | Path | None = None) -> Path:
    """The search's folder: ``folder``, by default ``runs/tune-PRESET``."""
    return Path(folder) if folder else DEFAULT_ROOT / f"tune-{Path(preset).stem}"


def optuna_journal(preset: str, folder: str | Path | None = None) -> str:
    """The storage of a one-process search that needs Optuna (its samplers or pruners): a
    journal file in the search folder, resumed like ``journal.json``."""
    return f"journal:{search_folder(preset, folder) / 'optuna.journal'}"


def default_initial(trials: int) -> int:
    """How many trials of a search are its initial Sobol design: max(2, N/3), at most 10."""
    return min(max(2, trials // 3), 10)


SAMPLERS = ("gp", "tpe", "random")  # gp: ours (ganforge.bayes); tpe, random: Optuna's
PRUNERS = ("none", "median", "halving")  # Optuna's MedianPruner, SuccessiveHalvingPruner
PRUNED = "pruned"  # the stop reason of a trial its pruner ended


def default_report_every(steps: int) -> int:
    """Steps between a pruned search's intermediate scores: five reports per trial."""
    return max(1, steps // 5)


@dataclass
class Reporter:
    """An engine callback that reports each periodic evaluation's ``key`` to ``report``
    (``report(step, value) -> prune?``) and stops the training when it says so."""

    key: str
    report: Callable[[int, float], bool]
    last: float | None = None

    def __call__(self, engine: Any, step: int, logs: Any) -> None:
        """Nothing per step."""

    def on_evaluation(self, engine: Any, step: int, scores: Mapping[str, float]) -> None:
        """Report the score; stop the run if the pruner says so."""
        value = scores.get(self.key)
        if value is None or not math.isfinite(value):
            return
        self.last = float(value)
        if self.report(step, self.last):
            engine.request_stop(PRUNED)


def run_trial(
    preset: str,
    base: list[str],
    params: Mapping[str, Any],
    steps: int,
    objective: Objective,
    run_path: Path,
    report: Callable[[int, float], bool] | None = None,
    report_every: int | None = None,
) -> dict[str, Any] | None:
    """Train one trial in ``run_path`` (anything left there is removed) and score it: a record
    with score, status ("ok", "failed" or "pruned"), error and seconds; None when training was
    interrupted. With ``report``, the objective is also scored every ``report_every`` steps
    during training and handed to ``report(step, value)``; when that returns True the trial
    stops there as "pruned" (its score: the last value reported). A full disk is no result of
    the trial's values: it raises OutOfSpace."""
    if run_path.exists():  # left by an interrupted trial
        shutil.rmtree(run_path)
    start = time.perf_counter()
    record: dict[str, Any] = {}
    sets = [*base, *overrides_for(params), f"train.steps={steps}", "train.progress=false"]
    reporter = None
    if report is not None:
        every = report_every or default_report_every(steps)
        sets += [f"eval.every={every}", f"eval.metrics=[{json.dumps(objective.metric)}]"]
        reporter = Reporter(objective.key, report)
    try:
        cfg = config_mod.resolve(preset, sets)
        cfg.name = run_path.name
        result = train(
            cfg,
            runs_root=run_path.parent,
            evaluator=training_evaluator if reporter else None,
            callbacks=[reporter] if reporter else None,
        )
        if result.status == "interrupted" and result.stop_reason == PRUNED and reporter:
            record.update(score=reporter.last, status=PRUNED)
            record["seconds"] = round(time.perf_counter() - start, 2)
            return record
        if result.status == "interrupted":
            return None
        value = evaluate(result.run.path, metrics=[objective.metric]).values[objective.key]
        if value is None or not math.isfinite(value):
            raise GanforgeError(f"{objective.key} is {value}")
        record.update(score=float(value), status="ok")
    except Exception as exc:
        if is_disk_full(exc):
            full = OSError(DISK_FULL[0], os.strerror(DISK_FULL[0]))
            raise OutOfSpace(
                f"{describe_write_failure(run_path, full)}; the trial was not counted. Free "
                "space and rerun the same command to continue the search"
            ) from None
        if not isinstance(exc, (GanforgeError, RuntimeError, ValueError, FloatingPointError)):
            raise
        record.update(score=None, status="failed", error=f"{type(exc).__name__}: {exc}")
    record["seconds"] = round(time.perf_counter() - start, 2)
    return record


def tune(
    preset: str,
    space: str | Path | Space,
    trials: int,
    steps: int,
    metric: str,
    *,
    folder: str | Path | None = None,
    overrides: Iterable[str] = (),
    seed: int = 0,
    n_initial: int | None = None,
    acquisition: str = "ei",
    on_trial: Callable[[dict[str, Any]], None] | None = None,
) -> TuneResult:
    """Run (or continue) a search of ``trials`` trials of ``steps`` training steps each."""
    space, objective, base, folder = check_arguments(
        preset, space, trials, steps, metric, acquisition, overrides, folder
    )
    journal = folder / JOURNAL
    setup = {"preset": preset, "steps": steps, "metric": metric, "overrides": base}
    if journal.is_file():
        opt = Optimizer.load(journal)
        before = json.loads((folder / SETUP).read_text())
        used = {**before, **{k: opt.settings[k] for k in ("seed", "acquisition", "n_initial")}}
        asked = {**setup, "seed": seed, "acquisition": acquisition, "n_initial": n_initial}
        conflicts = setup_conflicts(used, asked, opt.space == space)
        if conflicts:
            raise ConfigError(
                f"{folder} holds a search with another space or setup: {'; '.join(conflicts)}. "
                "Rerun with the search's arguments to resume, or use a new --out folder"
            )
    else:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SETUP).write_text(json.dumps(setup, indent=1))
        initial = n_initial if n_initial is not None else default_initial(trials)
        opt = Optimizer(space, n_initial=initial, acquisition=acquisition, seed=seed)
        opt.save(journal)
    status = "completed"
    while opt.n_told < trials:
        point = opt.ask()
        params = space.as_dict(point)
        number = opt.n_told
        run_path = folder / "trials" / f"trial-{number:03d}"
        record = run_trial(preset, base, params, steps, objective, run_path)
        if record is None:
            status = "interrupted"
            break
        record = {"trial": number, "params": params, "run": str(run_path), **record}
        loss = objective.to_loss(record["score"]) if record["score"] is not None else None
        opt.tell(point, loss, **{k: v for k, v in record.items() if k != "params"})
        opt.save(journal)
        if on_trial is not None:
            on_trial(record)
    files = {"journal": journal}
    return finish(preset, base, folder, space.names, _trials(opt), objective, status, files)


_FLAGS = {
    "preset": "PRESET",
    "steps": "--steps",
    "metric": "--metric",
    "overrides": "--set",
    "seed": "--seed",
    "acquisition": "--acquisition",
    "n_initial": "n_initial",
    "sampler": "--sampler",
    "pruner": "--pruner",
}
# what a search made before --sampler and --pruner existed used
_SETUP_DEFAULTS = {"sampler": "gp", "pruner": "none"}


def setup_conflicts(used: dict[str, Any], asked: dict[str, Any], same_space: bool) -> list[str]:
    """What a resumed command asks for that differs from the search it continues."""
    if asked["n_initial"] is None:  # not given: whatever the search used
        asked = {**asked, "n_initial": used["n_initial"]}
    used, asked = {**_SETUP_DEFAULTS, **used}, {**_SETUP_DEFAULTS, **asked}
    out = [] if same_space else ["--space (another search space)"]
    for key, flag in _FLAGS.items():
        if asked.get(key) != used.get(key):
            out.append(f"{flag} {asked.get(key)} (the search used {used.get(key)})")
    return out


def _trials(opt: Optimizer) -> list[dict[str, Any]]:
    out = []
    for entry in opt.history:
        row = {k: v for k, v in entry.items() if k not in ("point", "source", "value")}
        row["params"] = opt.space.as_dict(entry["point"])
        row.setdefault("score", None)
        out.append(row)
    return out


def finish(
    preset: str,
    base: list[str],
    folder: Path,
    names: list[str],
    trials: list[dict[str, Any]],
    objective: Objective,
    status: str,
    files: dict[str, Path],
) -> TuneResult:
    """Write the results table, the convergence plot and best.yaml for ``trials`` (rows with
    trial, params, score, status, error, seconds) and return the search's result."""
    ok = [t for t in trials if t.get("status") == "ok"]
    best = None
    if ok:
        pick = max if objective.higher_is_better else min
        best = pick(ok, key=lambda t: t["score"])
    files = {**files, "results": _write_table(folder, names, trials, objective)}
    if ok:
        scores = [t["score"] if t.get("status") == "ok" else math.nan for t in trials]
        files["convergence"] = _replace(
            folder / "convergence.png",
            lambda tmp: plot_convergence(
                scores,
                tmp,
                maximize=objective.higher_is_better,
                title=f"{objective.metric} search over trials",
                ylabel=f"best {objective.key} so far",
            ),
        )
    if best is not None:
        files["best"] = _write_best(preset, base, folder, best, objective)
    return TuneResult(folder, trials, best, objective, files, status)


def _replace(path: Path, write: Callable[[Path], Any]) -> Path:
    """Write ``path`` through a temporary file beside it, so that a reader (or another worker
    writing the same file) never sees half of it."""
    tmp = path.with_name(f".{path.stem}-{os.getpid()}{path.suffix}")
    write(tmp)
    os.replace(tmp, path)
    return path


def _write_table(
    folder: Path, keys: list[str], trials: list[dict[str, Any]], objective: Objective
) -> Path:
    lines = [
        "| trial | " + " | ".join(keys) + f" | {objective.key} | status | seconds |",
        "|" + "---|" * (len(keys) + 4),
    ]
    for t in trials:
        values = [_fmt(t["params"][k]) for k in keys]
        score = _fmt(t["score"]) if t["score"] is not None else "-"
        status = t.get("status", "?") + (f" ({t['error']})" if t.get("error") else "")
        lines.append(
            f"| {t.get('trial', '')} | "
            + " | ".join(values)
            + f" | {score} | {status} | {t.get('seconds', '')} |"
        )
    text = "\n".join(lines) + "\n"
    return _replace(folder / "results.md", lambda tmp: tmp.write_text(text))


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _write_best(
    preset: str, base: list[str], folder: Path, best: dict[str, Any], objective: Objective
) -> Path:
    cfg = config_mod.resolve(preset, [*base, *overrides_for(best["params"])])
    cfg.name = None
    cfg.preset = f"{Path(preset).stem}-tuned"
    header = (
        f"# {preset} tuned by `ganforge tune`: trial {best['trial']} scored "
        f"{objective.key}={best['score']:.6g}\n# values: {json.dumps(best['params'])}\n"
    )
    text = header + yaml.safe_dump(config_mod.to_dict(cfg), sort_keys=False)
    return _replace(folder / "best.yaml", lambda tmp: tmp.write_text(text))
