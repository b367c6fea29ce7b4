"""The public Python surface: train, load, sample, evaluate, list. The CLI calls only this.

A facade: each function checks the caller's arguments and hands over to the room that does
the work (train, metrics, translation, rate, style_figures, tune, bayes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
import yaml

from ganforge import config as config_mod
from ganforge import generate as _generate
from ganforge import rate as _rate
from ganforge import style_figures
from ganforge.bayes.naive_bayes import NaiveBayesError
from ganforge.bayes.naive_bayes.cli_support import CHOICES as _NB_CHOICES
from ganforge.bayes.naive_bayes.cli_support import NaiveBayesRun, run_naive_bayes
from ganforge.data.base import DataInfo
from ganforge.data.convert import TRANSFORMS as DATASET_TRANSFORMS
from ganforge.data.convert import ConvertReport, convert_dataset
from ganforge.data.faces import CROPS as FACE_CROPS
from ganforge.data.faces import DETECTORS as FACE_DETECTORS
from ganforge.data.faces import FacesReport, prepare_faces
from ganforge.errors import ConfigDeprecationWarning, ConfigWarning, DataError, GanforgeError
from ganforge.limits import MAX_SIDE, SEED_MAX, check_run_name
from ganforge.losses import loss_keys, penalty_keys
from ganforge.metrics.features import extractor_rows, inception_weights
from ganforge.metrics.measures.stats import FeatureStats
from ganforge.metrics.runner import contests as _contests
from ganforge.metrics.runner.compare import Comparison
from ganforge.metrics.runner.compare import compare as _compare
from ganforge.metrics.runner.evaluate import Evaluation, evaluate, table
from ganforge.metrics.runner.evaluator import check_eval_settings, training_evaluator
from ganforge.metrics.runner.reference import dataset_stats
from ganforge.metrics.runner.select import select
from ganforge.metrics.runner.translation import evaluate_run as _evaluate_translation
from ganforge.metrics.runner.translation import table as _translation_table
from ganforge.metrics.runner.truncation import DEFAULT_THRESHOLDS
from ganforge.metrics.runner.truncation import truncation_sweep as _truncation_sweep
from ganforge.models.base import class_rows, count_parameters
from ganforge.models.latent import slerp
from ganforge.nn.cond_norm import BN_STATS
from ganforge.rate.study import EXPOSURE_MS as RATE_EXPOSURE_MS
from ganforge.registry import DATASETS, LOSSES, METRICS, MODELS, PENALTIES, PRESETS
from ganforge.report import save_samples
from ganforge.runs import DEFAULT_ROOT, Loaded, RunDir, load
from ganforge.train import TrainResult
from ganforge.train import train as _train
from ganforge.train.distributed import Launch
from ganforge.train.distributed import launch as _launch
from ganforge.train.engine import Callback
from ganforge.train.orchestration import check_batches
from ganforge.train.orchestration import with_defaults as _with_defaults
from ganforge.translation import Translated, translate
from ganforge.tune import search as _tune

CLASS_GRID_WIDTH = 8  # samples per class row of `sample --class-grid` unless --n is given


def train(
    preset: str | None = None,
    overrides: Iterable[str] = (),
    *,
    config: config_mod.Config | None = None,
    resume: str | Path | None = None,
    runs_root: str | Path = DEFAULT_ROOT,
    name: str | None = None,
    progress: bool = True,
    resume_if_exists: bool = False,
    callbacks: Sequence[Callback] = (),
) -> TrainResult:
    """Train a preset (default ``dcgan-digits``) or a Config; ``resume`` continues a run.

    ``resume_if_exists`` (for jobs a scheduler requeues): when the run ``name`` exists,
    continue it from its latest checkpoint (the same settings, or an error) instead of starting
    ``name-2``; torchrun's restarts of a job continue its run the same way.

    With ``eval.metrics`` set, the metrics are computed during training and, once the run
    completes, the real-vs-real floor is written to ``floors.json`` and drawn in the report.
    Each of ``callbacks`` is called as ``callback(engine, step, logs)`` after every training
    step (docs/training.md, "Callbacks"); ``engine.request_stop()`` ends the run cleanly.
    """
    sets = list(overrides)
    if not progress:
        sets.append("train.progress=false")
    if resume_if_exists and (resume is not None or not name):
        raise GanforgeError("--resume-if-exists needs --name NAME (and no --resume)")
    if resume is not None:
        given = [k for k, v in (("a preset", preset), ("a config", config), ("a name", name)) if v]
        if given:
            raise GanforgeError(
                f"--resume continues a run as it was configured; drop "
                f"{' and '.join(given)} (only train.* and eval.* may change)"
            )
        return _train(
            resume=resume,
            overrides=sets,
            runs_root=runs_root,
            evaluator=training_evaluator,
            callbacks=list(callbacks),
        )
    if config is not None:  # the caller's Config is left untouched
        cfg = config_mod.from_dict(config_mod.apply_overrides(config_mod.to_dict(config), sets))
    else:
        cfg = config_mod.resolve(preset, sets)
    if name:
        cfg.name = name
    check_eval_settings(cfg)  # metric names fail now, not after the data is loaded
    return _train(
        cfg,
        runs_root=runs_root,
        evaluator=training_evaluator,
        callbacks=list(callbacks),
        resume_if_exists=resume_if_exists,
    )


def train_processes(
    processes: int,
    preset: str | None = None,
    overrides: Iterable[str] = (),
    *,
    resume: str | Path | None = None,
    runs_root: str | Path = DEFAULT_ROOT,
    name: str | None = None,
    progress: bool = True,
    resume_if_exists: bool = False,
    launch: Launch | None = None,
) -> int:
    """``train`` in ``processes`` data-parallel processes on this machine, started through
    torchrun's launcher (``python -m ganforge train ...`` in each; ``launch``: several nodes,
    a rendezvous endpoint, restarts); the exit status (0: all finished). The config is checked
    here first, so a mistake is one line, not one per rank."""
    sets = list(overrides)
    how = launch or Launch()
    if resume_if_exists and (resume is not None or not name):
        raise GanforgeError("--resume-if-exists needs --name NAME (and no --resume)")
    if resume is None:
        cfg = config_mod.resolve(preset, sets)
        check_eval_settings(cfg)
    else:
        run = RunDir.find(resume, runs_root)
        cfg = config_mod.from_dict(
            config_mod.apply_overrides(config_mod.to_dict(config_mod.load(run.config_path)), sets)
        )
    check_batches(cfg, processes * how.nnodes)  # before any process starts
    args = ["train", *([preset] if preset else []), "--runs-dir", str(runs_root)]
    args += [a for s in sets for a in ("--set", s)]
    args += ["--resume", str(resume)] if resume is not None else []
    args += (["--name", name] if name else []) + ([] if progress else ["--quiet"])
    args += ["--resume-if-exists"] if resume_if_exists else []
    if how.job == Launch.job and name:
        how = dataclasses.replace(how, job=name)
    return _launch(processes, args, how)


def sample(
    path: str | Path,
    n: int | None = None,
    seed: int = 0,
    out: str | Path | None = None,
    interpolate: bool = False,
    steps: int = 10,
    use_ema: bool = True,
    truncation: float | None = None,
    label: int | None = None,
    class_grid: bool = False,
) -> list[Path]:
    """Write a grid of ``n`` samples (and a latent interpolation strip) from a run or checkpoint.

    ``truncation`` is the truncation psi for generators that have the trick (StyleGAN);
    ``label`` samples one class of a class-conditional generator; ``class_grid`` writes one row
    per class, ``n`` samples wide. ``n`` defaults to 64, or to 8 per row for a class grid (a
    width that stays readable).
    """
    if n is None:
        n = CLASS_GRID_WIDTH if class_grid else 64
    if n < 1:
        raise GanforgeError(f"--n must be at least 1, got {n}")
    if interpolate and steps < 2:
        raise GanforgeError(f"--steps must be at least 2 for an interpolation, got {steps}")
    model = load(path, use_ema=use_ema)
    labels, nrow, captions, suffix = None, None, None, ""
    if label is not None or class_grid:
        classes = _class_count(model, "--class" if label is not None else "--class-grid")
        names = model.info.class_names or [str(i) for i in range(classes)]
        if label is not None:
            if not 0 <= label < classes:
                raise GanforgeError(f"--class must be in 0..{classes - 1}, got {label}")
            labels, suffix = [label] * n, f"-class{label}"
        if class_grid:
            if label is not None:
                raise GanforgeError("--class and --class-grid exclude each other; choose one")
            labels = class_rows(classes, n).tolist()
            nrow, captions, suffix = n, [names[i] for i in labels], "-classes"
    if out is None:
        out = _beside_run(model) / f"sample-step{model.step}-seed{seed}{suffix}.png"
    out = Path(out)
    samples = model.sample(len(labels) if labels else n, seed, labels, truncation=truncation)
    written = [save_samples(samples, model.info, out, captions, nrow=nrow)]
    if interpolate:
        strip = out.with_name(out.stem + "-interp.png")
        line = model.g.interpolate(seed, steps, truncation, label=label or 0)
        written.append(save_samples(line, model.info, strip, nrow=steps))
    return written


def generate(
    path: str | Path,
    seeds: str | Sequence[int],
    out: str | Path,
    label: int | None = None,
    truncation: float | None = None,
    use_ema: bool = True,
) -> list[Path]:
    """One PNG per seed (``seed{NNNN}.png``) in ``out``; ``seeds`` as ``"0-9,20"`` or a list.

    Seed ``s``'s image is ``load(path).sample(1, seed=s)``, the one ``sample --n 1 --seed s``
    draws."""
    chosen = _generate.parse_seeds(seeds) if isinstance(seeds, str) else [int(s) for s in seeds]
    if not chosen:
        raise GanforgeError("no seeds to generate")
    model = load(path, use_ema=use_ema)
    return _generate.generate(model, chosen, out, label, truncation)


def _class_count(model: Loaded, option: str) -> int:
    """The number of classes of a loaded generator, or an error for an unconditional one."""
    classes = int(getattr(model.g, "n_classes", 0))
    if not classes:
        raise GanforgeError(
            f"{option} needs a class-conditional model (cgan, acgan, infogan, dcgan with "
            f"model.conditional=true); {model.config.model.name!r} here is unconditional"
        )
    return classes


LISTINGS = {
    "presets": PRESETS,
    "datasets": DATASETS,
    "models": MODELS,
    "losses": LOSSES,
    "penalties": PENALTIES,
    "metrics": METRICS,
}


def listing(kind: str) -> list[tuple[str, str]]:
    """(name, one-line summary) for presets, datasets, models, losses, penalties or metrics."""
    return [(e.name, e.summary) for e in LISTINGS[kind]]


def preset_yaml(name: str, overrides: Iterable[str] = ()) -> str:
    """A preset's resolved config as YAML (every section's defaults written out, as a run
    saves it in config.yaml), headed by its one-line description."""
    cfg = _with_defaults(config_mod.resolve(name, list(overrides)))
    summary = PRESETS.entry(name).summary if name in PRESETS else ""
    head = f"# {name}: {summary}\n" if summary else f"# {name}\n"
    return head + yaml.safe_dump(config_mod.to_dict(cfg), sort_keys=False)


def parameters(kind: str, name: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The summary and (parameter, type, default) rows of one dataset, model, loss or penalty
    (a loss with its default penalties' keys; a penalty's keys as the loss section spells them)."""
    if kind not in ("datasets", "models", "losses", "penalties"):
        raise GanforgeError(f"{kind} have no parameters to list")
    entry = LISTINGS[kind].entry(name)
    if kind == "losses":
        return entry.summary, config_mod.describe_keys(loss_keys(name, {}))
    if kind == "penalties":
        return entry.summary, config_mod.describe_keys(penalty_keys(name))
    return entry.summary, config_mod.describe_parameters(entry.obj)


def parameter_counts(
    name: str,
    overrides: Iterable[str] = (),
    size: int = 128,
    classes: int = 1000,
    channels: int = 3,
) -> list[tuple[str, int]]:
    """(network, parameter count) of model family ``name`` built for ``size`` x ``size`` images
    with ``classes`` classes, with ``model.KEY=VALUE`` overrides; every parameter is counted
    (spectral norm's power-iteration vectors are buffers, not parameters). Nothing is trained."""
    entry = MODELS.entry(name)
    params: dict[str, Any] = {}
    for text in overrides:
        path, value = config_mod.parse_override(text)
        if len(path) != 2 or path[0] != "model" or path[1] == "name":
            raise GanforgeError(f"--set {text!r}: only model.KEY=VALUE (not the name) applies here")
        params[path[1]] = value
    bound = {
        **config_mod.defaults(entry.obj),
        **config_mod.bind(entry.obj, params, f"model {name}"),
    }
    kind = entry.meta.get("data_kind", "image")
    shape = (2,) if kind == "points" else (channels, size, size)
    if "limits" in entry.meta and kind != "points":
        entry.meta["limits"]((size, size), bound)
    info = DataInfo(f"{size}x{size}", kind, shape, 0, classes)
    built = entry.obj(info, **bound)
    return [
        (field.name, count_parameters(getattr(built, field.name), trainable_only=False))
        for field in dataclasses.fields(built)
        if isinstance(getattr(built, field.name), torch.nn.Module)
    ]


def truncation_sweep(
    source: str | Path,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    *,
    metrics: str = "fid,is",
    n: int | None = None,
    seed: int = 0,
    bn_stats: str = "eval",
) -> Path:
    """Scores and a grid row per truncation threshold of a BigGAN/StyleGAN run, written into
    the run (truncation.json, truncation-grid.png, truncation.png) and shown in its report."""
    return _truncation_sweep(
        source, tuple(thresholds), metrics=metrics, n=n, seed=seed, bn_stats=bn_stats
    )


def evaluation_table(result: Evaluation) -> list[tuple[str, str, str, str]]:
    """Printable rows (score, value, spread, real-vs-real) of an evaluation."""
    return table(result)


def stats(
    dataset: str,
    *,
    extractor: str = "auto",
    out: str | Path | None = None,
    split: str | None = None,
    limit: int | None = None,
    size: int | tuple[int, int] | None = None,
) -> tuple[Path, FeatureStats]:
    """Reference statistics (mu, sigma, count, provenance) of a dataset as a cached .npz;
    image files at their own size unless ``size`` is given."""
    return dataset_stats(dataset, extractor, out, split, limit, size)


def compare(a: str | Path, b: str | Path | None = None, **options: Any) -> Comparison:
    """Score image set ``a`` against reference ``b``, or alone with one-sided metrics (IS).

    Sources and ``options`` (metrics, extractor, n, seed, size, limit, json_path, bootstrap,
    use_ema) as in ``ganforge.metrics.runner.compare.compare``."""
    return _compare(a, b, **options)


NAIVE_BAYES_CHOICES = _NB_CHOICES


def naive_bayes(data: str | Path, target: str | int, **options: Any) -> NaiveBayesRun:
    """Cross-validate a Naive Bayes classifier on a CSV file; ``predict`` classifies new rows.

    ``options`` are those of ``ganforge.bayes.naive_bayes.cli_support.run_naive_bayes`` (model, cv,
    header, folds, predict, out, seed, convention, unseen, alpha, bandwidth); ``target`` is a
    column name or index; ``out`` writes the predictions."""
    try:
        return run_naive_bayes(data, target, **options)
    except NaiveBayesError as exc:
        raise DataError(str(exc)) from exc


def rate(
    sources: Sequence[str | Path] = (),
    *,
    study: str | Path | None = None,
    real: str | None = None,
    real_overrides: Iterable[str] = (),
    n_images: int = 64,
    seed: int = 0,
    db: str | None = None,
    size: int | None = None,
    host: str = "127.0.0.1",
    port: int = 8080,
    exposure_ms: int | None = None,
    feedback: bool | None = None,
    announce: Callable[[str], None] = print,
    verbose: bool = False,
    **serving: Any,
) -> None:
    """Create a rating study from runs or folders (or reopen ``study``) and serve its web page.

    ``serving`` goes to ``rate.serve``: proxy_headers, root_path, workers, public_url.
    """
    opened = _rate.prepare_study(
        sources,
        study,
        real=real,
        real_overrides=real_overrides,
        n_images=n_images,
        seed=seed,
        db=db,
        size=size,
        exposure_ms=exposure_ms,
        feedback=feedback,
        announce=announce,
    )
    announce(f"study folder: {opened.path}")
    _rate.serve(
        opened, host, port, exposure_ms, feedback, announce=announce, verbose=verbose, **serving
    )


def rate_report(study: str | Path) -> tuple[str, Path]:
    """Text tables of a study's results; also writes its report.html and results.json."""
    return _rate.write_report(study)


WEIGHTS = {"inception": inception_weights.fetch}  # what `ganforge weights fetch` can download


def fetch_weights(name: str = "inception", path: str | Path | None = None) -> Path:
    """Download named pretrained weights (SHA-256 checked) to ``path`` or the user cache."""
    if name not in WEIGHTS:
        raise GanforgeError(f"unknown weights {name!r}; valid: {', '.join(sorted(WEIGHTS))}")
    return WEIGHTS[name](path)


def extractor_listing() -> list[tuple[str, str]]:
    """(name, summary and availability) for every feature extractor."""
    return extractor_rows()


def _beside_run(model: Loaded) -> Path:
    """The run directory of a loaded checkpoint (or the current folder for a loose file)."""
    run = RunDir.of_checkpoint(model.checkpoint)
    return run.path if run else Path(".")


def style_mix(
    path: str | Path,
    out_dir: str | Path | None = None,
    columns: int = 5,
    rows: int = 2,
    seed: int = 0,
    truncation: float | None = None,
    use_ema: bool = True,
) -> list[Path]:
    """Write StyleGAN's style-mixing grid, truncation sweep and noise figure for a checkpoint."""
    if columns < 1 or rows < 1:
        raise GanforgeError("--columns and --rows must be at least 1")
    model = load(path, use_ema=use_ema)
    folder = Path(out_dir) if out_dir is not None else _beside_run(model) / "figures"
    tag = model.checkpoint.stem if model.checkpoint.stem != "latest" else f"step{model.step}"
    return [
        style_figures.style_mixing_figure(
            model, folder / f"style-mixing-{tag}.png", columns, rows, seed, truncation
        ),
        style_figures.truncation_figure(model, folder / f"truncation-{tag}.png", seed=seed),
        style_figures.noise_figure(model, folder / f"noise-{tag}.png", seed=seed),
    ]


TUNE_ACQUISITIONS = _tune.ACQUISITION_CHOICES
TUNE_SAMPLERS = _tune.SAMPLERS
TUNE_PRUNERS = _tune.PRUNERS


def evaluate_translation(
    path: str | Path, use_ema: bool = True, out: str | Path | None = None
) -> dict[str, float]:
    """Held-out scores of a Pix2Pix/CycleGAN run or checkpoint next to the identity baseline;
    also written as JSON to ``out`` (default: ``translation-eval-stepN.json`` in the run)."""
    return _evaluate_translation(path, use_ema, out)


Contest = _contests.Contest


def battle(
    run_a: str | Path,
    run_b: str | Path,
    *,
    n: int = 1000,
    seed: int = 0,
    tolerance: float = 0.1,
    json_path: str | Path | None = None,
) -> Contest:
    """GAM (Im et al. 2016): two runs' discriminators judge held-out real images and each
    other's samples; the result names the winner (or a tie)."""
    return _contests.gam_battle(run_a, run_b, n, seed, tolerance, json_path)


def tournament(
    runs: Sequence[str | Path],
    *,
    n: int = 500,
    seed: int = 0,
    real: bool = True,
    json_path: str | Path | None = None,
) -> Contest:
    """Every run's discriminator judges every run's samples (and held-out real images):
    win rates and Bradley-Terry / Elo skill ratings of each generator and discriminator."""
    return _contests.run_tournament(runs, n, seed, real, json_path)


def nrds(
    runs: Sequence[str | Path],
    *,
    n: int = 1000,
    seed: int = 0,
    epochs: int = 20,
    extractor: str | None = None,
    json_path: str | Path | None = None,
) -> Contest:
    """NRDS (Zhang et al. 2018) of several runs: one classifier learns real against all of
    them; the runs it rejects last score highest (scores sum to 1)."""
    return _contests.run_nrds(runs, n, seed, epochs, extractor, json_path)


def translation_table(scores: dict[str, float]) -> list[tuple[str, str, str, str]]:
    """Printable rows (measure, model, identity, real) of ``evaluate_translation``'s scores."""
    return _translation_table(scores)


def tune(
    preset: str,
    space: str | Path,
    trials: int,
    steps: int,
    metric: str,
    *,
    out: str | Path | None = None,
    overrides: Iterable[str] = (),
    seed: int = 0,
    acquisition: str = "ei",
    storage: str | None = None,
    on_trial: Callable[[dict], None] | None = None,
    on_wait: Callable[[list[int]], None] | None = None,
    sampler: str = "gp",
    pruner: str = "none",
    report_every: int | None = None,
) -> _tune.TuneResult:
    """Bayesian search over ``space`` (YAML): ``trials`` trainings of ``steps`` steps, each
    scored by ``metric``; resumes from the journal in ``out``; writes the best as a preset.
    With ``storage`` (an Optuna storage URL) this process is one of the search's workers.

    A search whose every trial failed is an error naming the first failure (a bad fixed
    setting fails every trial the same way). ``sampler`` tpe or random (Optuna's) or a
    ``pruner`` (median, halving: trials report their score every ``report_every`` steps and
    stop early when the pruner says so) run the search on Optuna, in a journal file in the
    search folder when no ``storage`` is given."""
    if sampler not in TUNE_SAMPLERS:
        raise GanforgeError(f"--sampler {sampler}: choose one of {', '.join(TUNE_SAMPLERS)}")
    if pruner not in TUNE_PRUNERS:
        raise GanforgeError(f"--pruner {pruner}: choose one of {', '.join(TUNE_PRUNERS)}")
    if report_every is not None and report_every < 1:
        raise GanforgeError(f"--report-every must be at least 1, got {report_every}")
    check_eval_settings(config_mod.resolve(preset, list(overrides)))  # kept in best.yaml
    if storage is None and (sampler != "gp" or pruner != "none"):
        storage = _tune.optuna_journal(preset, out)
    if storage is None:
        result = _tune.tune(
            preset,
            space,
            trials,
            steps,
            metric,
            folder=out,
            overrides=overrides,
            seed=seed,
            acquisition=acquisition,
            on_trial=on_trial,
        )
    else:
        try:
            from ganforge.tune import storage as tune_storage  # needs the `tune` extra (Optuna)
        except ImportError as exc:
            raise GanforgeError(
                f"--storage, --sampler {sampler} and --pruner {pruner} run the search on Optuna, "
                f"which is not installed ({exc}); pip install 'ganforge[tune]'"
            ) from None

        result = tune_storage.tune(
            preset,
            space,
            trials,
            steps,
            metric,
            storage=storage,
            folder=out,
            overrides=overrides,
            seed=seed,
            acquisition=acquisition,
            on_trial=on_trial,
            on_wait=on_wait,
            sampler=sampler,
            pruner=pruner,
            report_every=report_every,
        )
    failed = [t for t in result.trials if t.get("status") == "failed"]
    if result.status == "completed" and failed and len(failed) == len(result.trials):
        raise GanforgeError(
            f"all {len(failed)} trial(s) failed; trial {failed[0]['trial']}: {failed[0]['error']} "
            f"(table: {result.files['results']})"
        )
    return result


__all__ = [
    "BN_STATS",
    "DATASET_TRANSFORMS",
    "FACE_CROPS",
    "FACE_DETECTORS",
    "MAX_SIDE",
    "NAIVE_BAYES_CHOICES",
    "RATE_EXPOSURE_MS",
    "SEED_MAX",
    "TUNE_ACQUISITIONS",
    "TUNE_PRUNERS",
    "TUNE_SAMPLERS",
    "WEIGHTS",
    "Callback",
    "Comparison",
    "ConfigDeprecationWarning",
    "ConfigWarning",
    "Contest",
    "ConvertReport",
    "FacesReport",
    "Loaded",
    "NaiveBayesRun",
    "RunDir",
    "Translated",
    "battle",
    "check_run_name",
    "compare",
    "convert_dataset",
    "evaluate",
    "evaluate_translation",
    "evaluation_table",
    "extractor_listing",
    "fetch_weights",
    "generate",
    "listing",
    "load",
    "naive_bayes",
    "nrds",
    "parameter_counts",
    "prepare_faces",
    "preset_yaml",
    "rate",
    "rate_report",
    "sample",
    "select",
    "slerp",
    "stats",
    "style_mix",
    "tournament",
    "train",
    "translate",
    "translation_table",
    "truncation_sweep",
    "tune",
]
