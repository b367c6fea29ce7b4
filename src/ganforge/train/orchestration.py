"""Run orchestration: build dataset, recipe and run directory from a config, run the engine,
then finish the run (the evaluator's closing work, the report, written once)."""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import math
import platform
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

import torch

from ganforge import config as config_mod
from ganforge.checkpoints import WRITE_FAILURES
from ganforge.config import SELECTABLE, Choice, Config
from ganforge.data import Dataset, build_dataset
from ganforge.device import resolve_device
from ganforge.errors import ConfigError
from ganforge.registry import LOSSES, MODELS, RECIPES
from ganforge.report import write_report
from ganforge.runs import DEFAULT_ROOT, RunDir, RunLogHandler, default_run_name
from ganforge.train import distributed
from ganforge.train.engine import Callback, Engine, Evaluator, TrainResult
from ganforge.train.loggers import check_installed
from ganforge.train.rng import seed_everything

log = logging.getLogger("ganforge.train")

RESUMABLE_SECTIONS = ("train", "eval")


class RunEvaluator(Protocol):
    """What the engine calls to score the run (see ``Evaluator``), plus its closing work."""

    def __call__(
        self, step: int, sample_fn: Callable[[int], torch.Tensor], generators: dict
    ) -> dict[str, float]:
        """Scores at ``step``."""
        ...

    def finish(self, run: Path) -> None:
        """After a completed run, before its report is written (e.g. the real-vs-real floor)."""
        ...


# Builds the engine's evaluator from the resolved config and the training dataset (or None).
EvaluatorFactory = Callable[[Config, Dataset], Evaluator | RunEvaluator | None]


def with_defaults(cfg: Config) -> Config:
    """The config with every selectable section's defaults written out (as saved with a run)."""
    out = dataclasses.replace(cfg)
    for section in SELECTABLE:
        choice = getattr(cfg, section)
        full = config_mod.section_defaults(section, choice)
        setattr(out, section, Choice(choice.name, full))
    builder = config_mod.schedule_builder(cfg.model.name)
    out.schedule = {**config_mod.defaults(builder), **cfg.schedule}
    return out


def check_loss_fits(cfg: Config, recipe: str) -> None:
    """A loss tied to one recipe (``recipe=`` in its registration) only trains with that one."""
    owner = LOSSES.entry(cfg.loss.name).meta.get("recipe")
    if owner is not None and owner != recipe:
        fitting = [e.name for e in LOSSES if e.meta.get("recipe") in (None, recipe)]
        raise ConfigError(
            f"loss {cfg.loss.name!r} belongs to the {owner} recipe, but model "
            f"{cfg.model.name!r} trains with the {recipe} recipe; use one of: {', '.join(fitting)}"
        )


def check_batches(cfg: Config, processes: int) -> None:
    """Every global batch of the config (``train.batch_size``, each phase's of
    ``schedule.batch_sizes`` up to the data's resolution) splits evenly over ``processes``;
    checked before torchrun starts any process, and again in each."""
    batches = [("train.batch_size", cfg.train.batch_size)]
    sizes = list(cfg.schedule.get("batch_sizes") or [])
    if sizes:
        size = cfg.data.params.get("size")
        levels = int(math.log2(size // 4)) + 1 if isinstance(size, int) and size >= 4 else 0
        used = [sizes[min(i, len(sizes) - 1)] for i in range(max(levels, len(sizes)))]
        used = used[:levels] if levels else used
        batches = [(f"schedule.batch_sizes at {4 << i}x{4 << i}", b) for i, b in enumerate(used)]
    bad = [f"{what} ({b})" for what, b in batches if b % processes]
    if bad:
        raise ConfigError(
            f"{', '.join(bad)}: a global batch must be a multiple of the {processes} processes; "
            "choose batch sizes divisible by it"
        )


def _attach_log(run: RunDir) -> logging.Handler:
    """Log the package's INFO messages to the run's log.txt while it trains."""
    handler = RunLogHandler(run.log_path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("ganforge")
    handler.previous_level = root.level  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def _detach_log(handler: logging.Handler) -> None:
    """Undo _attach_log."""
    root = logging.getLogger("ganforge")
    root.removeHandler(handler)
    root.setLevel(handler.previous_level)  # type: ignore[attr-defined]
    handler.close()


def _quiet_console() -> int:
    """Only errors from this process's ganforge loggers (the other ranks of a torchrun job);
    returns the level to restore."""
    root = logging.getLogger("ganforge")
    level = root.level
    root.setLevel(logging.ERROR)
    return level


def _environment(cfg: Config, device: torch.device, world: distributed.World) -> dict[str, object]:
    import numpy

    from ganforge import __version__

    return {
        "ganforge": __version__,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "device": str(device),
        "processes": world.size,
        "threads": torch.get_num_threads(),
        "seed": cfg.train.seed,
        "command": " ".join(sys.argv),
        "job": distributed.job_id(),  # finds the run again when torchrun restarts the job
    }


def existing_run(cfg: Config, runs_root: str | Path) -> RunDir | None:
    """The run a requeued or restarted job continues: ``runs_root/NAME`` for a named run, else
    (under a torchrun restart) the run this torchrun job created; None when there is none yet."""
    root = Path(runs_root)
    if cfg.name:
        path = root / cfg.name
        return RunDir(path) if (path / "config.yaml").is_file() else None
    job = distributed.job_id()
    if not job or not distributed.restart_count() or not root.is_dir():
        return None
    for env in sorted(root.glob("*/env.json"), key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            if json.loads(env.read_text()).get("job") == job:
                return RunDir(env.parent)
        except (OSError, ValueError):
            continue
    return None


def continued_config(cfg: Config, run: RunDir) -> Config:
    """The config a run continued by ``--resume-if-exists`` (or a torchrun restart) trains with:
    the run's saved one with ``cfg``'s train and eval sections; any other setting of ``cfg``
    that differs from the saved run is an error (a requeued job gives the same command)."""
    saved = config_mod.load(run.config_path)
    fixed = ("name", *RESUMABLE_SECTIONS)
    new = config_mod.dotted({k: v for k, v in config_mod.to_dict(cfg).items() if k not in fixed})
    old = config_mod.dotted({k: v for k, v in config_mod.to_dict(saved).items() if k not in fixed})
    # optimiser settings left null were filled in by the recipe when the run started
    changed = [
        f"{key}: {old.get(key)!r} -> {value!r}"
        for key, value in new.items()
        if old.get(key) != value and not (value is None and key.startswith("optim."))
    ]
    if changed:
        raise ConfigError(
            f"run {run.path} exists with other settings ({'; '.join(changed[:4])}); it "
            "continues as it was configured: give the same settings, or another --name"
        )
    return dataclasses.replace(saved, train=cfg.train, eval=cfg.eval)


def train(
    cfg: Config | None = None,
    *,
    resume: str | Path | None = None,
    overrides: Iterable[str] = (),
    runs_root: str | Path = DEFAULT_ROOT,
    evaluator: EvaluatorFactory | None = None,
    callbacks: list[Callback] | None = None,
    resume_if_exists: bool = False,
) -> TrainResult:
    """Train a config in a new run directory, or continue the run at ``resume`` exactly.

    ``resume_if_exists`` (and a torchrun restart, always): when the run named ``cfg.name``
    exists, continue it from its latest checkpoint instead of starting a new one."""
    overrides = list(overrides)
    if resume is not None:
        bad = [o for o in overrides if o.split(".", 1)[0] not in RESUMABLE_SECTIONS]
        if bad:
            raise ConfigError(
                f"--resume can only change {', '.join(RESUMABLE_SECTIONS)} settings "
                f"(got {', '.join(bad)}); start a new run to change the rest"
            )
        run = RunDir.find(resume, runs_root)
        raw = config_mod.apply_overrides(
            config_mod.to_dict(config_mod.load(run.config_path)), overrides
        )
        cfg = config_mod.from_dict(raw)
        checkpoint = run.latest_checkpoint()
    else:
        cfg = cfg if cfg is not None else config_mod.resolve()
        if overrides:
            cfg = config_mod.from_dict(
                config_mod.apply_overrides(config_mod.to_dict(cfg), overrides)
            )
        cfg = with_defaults(cfg)
        run, checkpoint = None, None
        if resume_if_exists or distributed.restart_count():
            run = existing_run(cfg, runs_root)
            if run is not None:
                cfg = continued_config(cfg, run)
                checkpoint = run.latest_checkpoint()
    threads = torch.get_num_threads()
    joins = distributed.launched() and not distributed.world().distributed
    try:
        if cfg.train.threads:
            torch.set_num_threads(cfg.train.threads)
        return _run(cfg, run, checkpoint, runs_root, evaluator, callbacks)
    finally:
        torch.set_num_threads(threads)  # a library call leaves the process as it found it
        if joins:  # under torchrun: leave the process group this call joined
            distributed.teardown()


def _evaluator(
    factory: EvaluatorFactory | None, cfg: Config, dataset: Dataset, world: distributed.World
) -> Evaluator | RunEvaluator | None:
    """Rank 0's evaluator (it scores); under torchrun the other ranks' extract the features of
    their share of the samples when the factory can make that (``scores=False``)."""
    if factory is None:
        return None
    made = factory(cfg, dataset) if world.main else None
    if world.size == 1:
        return made
    distributed.barrier()  # rank 0 first: an extractor that trains on first use trains once
    if not world.main and "scores" in inspect.signature(factory).parameters:
        made = factory(cfg, dataset, scores=False)  # type: ignore[call-arg]
    return made


def _run(
    cfg: Config,
    run: RunDir | None,
    checkpoint: Path | None,
    runs_root: str | Path,
    evaluator: EvaluatorFactory | None,
    callbacks: list[Callback] | None,
) -> TrainResult:
    """Build dataset, recipe and engine for a resolved config, then train.

    Under torchrun every rank runs this; rank 0 creates and writes the run directory."""
    device = resolve_device(cfg.train.device, "train.device")
    world, device = distributed.setup(device)
    entry = MODELS.entry(cfg.model.name)
    recipe_name = entry.meta.get("recipe", "gan")
    check_loss_fits(cfg, recipe_name)  # before any data is loaded
    check_batches(cfg, world.size)
    check_installed(cfg)  # a tracker's missing extra is one line, before the data loads
    seed_everything(cfg.train.seed)  # the same initial weights on every rank
    dataset = build_dataset(cfg.data.name, cfg.data.params)
    recipe = RECIPES.get(recipe_name)(cfg, dataset.info, device)
    if world.size > 1:  # each rank its own noise from here on
        seed_everything(distributed.rank_seed(cfg.train.seed, world))
    for section, values in recipe.resolved_config().items():
        setattr(cfg, section, dataclasses.replace(getattr(cfg, section), **values))
    created = run is None
    if run is None:
        name = cfg.name or default_run_name(cfg)
        path = RunDir.create(name, runs_root).path if world.main else None
        run = RunDir(distributed.broadcast(path))
    handler = None
    if world.main:
        config_mod.save(cfg, run.config_path)
        handler = _attach_log(run)
    quiet = _quiet_console() if not world.main else None  # rank 0 says it once
    started = False
    try:
        if world.main:
            (run.path / "env.json").write_text(
                json.dumps(_environment(cfg, device, world), indent=1)
            )
        for note in dataset.info.notes:  # shown on the console when the data was built
            log.info("data: %s", note)
        scorer = _evaluator(evaluator, cfg, dataset, world)
        engine = Engine(cfg, run, dataset, recipe, scorer, callbacks)
        if checkpoint is not None:
            engine.restore()  # the newest readable checkpoint (a damaged latest.pt is skipped)
            if world.main:
                run.truncate_metrics(engine.step, final=engine.step >= engine.total_steps)
        else:
            if not created and world.main:  # a run that stopped before its first checkpoint
                run.truncate_metrics(0)
            log.info(
                "run %s: %s on %s (%d samples), %d steps, device %s%s",
                run.path,
                cfg.model.name,
                dataset.info.name,
                len(dataset),
                engine.total_steps,
                device,
                f", {world.size} processes" if world.distributed else "",
            )
        started = True
        result = engine.fit()
        if world.main:
            finish = getattr(scorer, "finish", None)  # evaluators without one have none
            if result.status == "completed" and finish is not None:
                finish(run.path)
            write_report(run.path)  # once per run, after everything it shows exists
        # every rank stays in the job until rank 0's final save, evaluation and report are
        # done: a rank that left early would let the launcher stop rank 0 while it writes
        distributed.barrier()
        if result.status == "interrupted":
            distributed.leaving()  # every rank exits with the stop's status (143: SIGTERM)
        return result
    except OSError as exc:
        if exc.errno not in WRITE_FAILURES:
            raise
        raise run.write_failure(exc) from None
    finally:
        if handler is not None:
            _detach_log(handler)
        if quiet is not None:
            logging.getLogger("ganforge").setLevel(quiet)
        # set-up failed: leave no empty run directory behind
        if created and not started and world.main:
            shutil.rmtree(run.path, ignore_errors=True)
