"""The public Python surface: train, load, sample, evaluate, list. The CLI calls only this."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import torch

from ganforge import config as config_mod
from ganforge import rate as _rate
from ganforge import tune as _tune
from ganforge.bayes.naive_bayes import MODELS as _NB_MODELS
from ganforge.bayes.naive_bayes import NaiveBayesError
from ganforge.bayes.nb_cli_support import NaiveBayesRun, run_naive_bayes
from ganforge.errors import DataError, GanforgeError
from ganforge.metrics.evaluate import Evaluation, evaluate, table
from ganforge.metrics.evaluator import TrainingEvaluator
from ganforge.metrics.features import extractor_rows, inception_weights
from ganforge.metrics.reference import dataset_stats
from ganforge.metrics.select import select
from ganforge.metrics.stats import FeatureStats
from ganforge.registry import DATASETS, LOSSES, METRICS, MODELS, PRESETS
from ganforge.report import save_samples, write_report
from ganforge.runs import DEFAULT_ROOT, Loaded, RunDir, load
from ganforge.train import RESUMABLE_SECTIONS, TrainResult
from ganforge.train import train as _train


def train(
    preset: str | None = None,
    overrides: Iterable[str] = (),
    *,
    config: config_mod.Config | None = None,
    resume: str | Path | None = None,
    runs_root: str | Path = DEFAULT_ROOT,
    name: str | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train a preset (default ``dcgan-digits``) or a Config; ``resume`` continues a run."""
    sets = list(overrides)
    if not progress:
        sets.append("train.progress=false")
    if resume is not None:
        evaluator = _resume_evaluator(resume, sets, runs_root)
        result = _train(resume=resume, overrides=sets, runs_root=runs_root, evaluator=evaluator)
        return _with_floors(result, evaluator)
    cfg = config if config is not None else config_mod.resolve(preset, sets)
    if config is not None and sets:
        cfg = config_mod.from_dict(config_mod.apply_overrides(config_mod.to_dict(cfg), sets))
    if name:
        cfg.name = name
    evaluator = _evaluator(cfg)
    return _with_floors(_train(cfg, runs_root=runs_root, evaluator=evaluator), evaluator)


def _evaluator(cfg: config_mod.Config) -> TrainingEvaluator | None:
    """The metrics evaluator for ``eval.metrics`` (prepared now, so bad settings fail early)."""
    if not cfg.eval.metrics:
        return None
    evaluator = TrainingEvaluator(cfg)
    evaluator.prepare()
    return evaluator


def _resume_evaluator(
    resume: str | Path, sets: list[str], runs_root: str | Path
) -> TrainingEvaluator | None:
    """The evaluator of a run to resume; None where resuming will fail (train says why)."""
    if any(o.split(".", 1)[0] not in RESUMABLE_SECTIONS for o in sets):
        return None
    try:
        saved = config_mod.load(RunDir.find(resume, runs_root).config_path)
    except GanforgeError:
        return None
    return _evaluator(
        config_mod.from_dict(config_mod.apply_overrides(config_mod.to_dict(saved), sets))
    )


def _with_floors(result: TrainResult, evaluator: TrainingEvaluator | None) -> TrainResult:
    """After a completed run with metrics: the real-vs-real floor and a refreshed report."""
    completed = evaluator is not None and result.status == "completed"
    if completed and evaluator.write_floors(result.run.path) is not None:  # type: ignore[union-attr]
        write_report(result.run.path)
    return result


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between latent batches ``a`` and ``b`` at fractions ``t``."""
    a_n, b_n = a / a.norm(dim=-1, keepdim=True), b / b.norm(dim=-1, keepdim=True)
    omega = torch.acos((a_n * b_n).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    t = t[:, None]
    return torch.sin((1 - t) * omega) / so * a + torch.sin(t * omega) / so * b


def sample(
    path: str | Path,
    n: int = 64,
    seed: int = 0,
    out: str | Path | None = None,
    interpolate: bool = False,
    steps: int = 10,
    use_ema: bool = True,
) -> list[Path]:
    """Write a grid of ``n`` samples (and a latent interpolation strip) from a run or checkpoint."""
    if n < 1:
        raise GanforgeError(f"--n must be at least 1, got {n}")
    model = load(path, use_ema=use_ema)
    if out is None:
        base = (
            model.checkpoint.parent.parent
            if model.checkpoint.parent.name == "checkpoints"
            else Path(".")
        )
        out = base / f"sample-step{model.step}-seed{seed}.png"
    out = Path(out)
    written = [save_samples(model.sample(n, seed), model.info, out, nrow=None)]
    if interpolate:
        written.append(_interpolation(model, seed, steps, out.with_name(out.stem + "-interp.png")))
    return written


def _interpolation(model: Loaded, seed: int, steps: int, out: Path) -> Path:
    g = model.g
    z0 = g.latent(1, torch.Generator().manual_seed(seed))
    z1 = g.latent(1, torch.Generator().manual_seed(seed + 1))
    z = slerp(z0.expand(steps, -1), z1.expand(steps, -1), torch.linspace(0, 1, steps))
    labels = [0] * steps if getattr(g, "n_classes", 0) else None
    samples = model.sample(steps, labels=labels, z=z)
    return save_samples(samples, model.info, out, nrow=steps)


def listing(kind: str) -> list[tuple[str, str]]:
    """(name, one-line summary) for presets, datasets, models, losses or metrics."""
    registry = {
        "presets": PRESETS,
        "datasets": DATASETS,
        "models": MODELS,
        "losses": LOSSES,
        "metrics": METRICS,
    }[kind]
    return [(e.name, e.summary) for e in registry]


def evaluation_table(result: Evaluation) -> list[tuple[str, str, str, str]]:
    """Printable rows (score, value, spread, real-vs-real) of an evaluation."""
    return table(result)


def stats(
    dataset: str,
    extractor: str = "auto",
    out: str | Path | None = None,
    split: str | None = None,
    limit: int | None = None,
) -> tuple[Path, FeatureStats]:
    """Reference statistics (mu, sigma, count, provenance) of a dataset as a cached .npz."""
    return dataset_stats(dataset, extractor, out, split, limit)


NAIVE_BAYES_MODELS = tuple(_NB_MODELS)


def naive_bayes(
    data: str | Path,
    target: str,
    *,
    model: str = "gaussian",
    cv: int = 5,
    predict: str | Path | None = None,
    seed: int = 0,
    convention: str = "sklearn",
    unseen: str = "error",
    alpha: float = 1.0,
    bandwidth: str | float = "scott",
) -> NaiveBayesRun:
    """Cross-validate a Naive Bayes classifier on a CSV file; ``predict`` classifies new rows."""
    if isinstance(bandwidth, str) and bandwidth not in ("scott", "silverman"):
        try:
            bandwidth = float(bandwidth)
        except ValueError:
            raise DataError(
                f"--bandwidth must be scott, silverman or a number, got {bandwidth!r}"
            ) from None
    try:
        return run_naive_bayes(
            data,
            target,
            model=model,
            cv=cv,
            predict=predict,
            seed=seed,
            convention=convention,
            unseen=unseen,
            alpha=alpha,
            bandwidth=bandwidth,
        )
    except NaiveBayesError as exc:
        raise DataError(str(exc)) from exc


def rate(
    sources: Sequence[str | Path] = (),
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
) -> None:
    """Create a rating study from runs or folders (or reopen ``study``) and serve its web page."""
    if sources:
        params = {}
        for text in real_overrides:
            key, value = config_mod.parse_override(text)
            params[".".join(key)] = value
        folder = (
            Path(study)
            if study
            else Path("studies") / _dt.datetime.now().strftime("rate-%Y%m%d-%H%M%S")
        )
        announce(f"sampling {n_images} images per model into {folder} ...")
        opened = _rate.create_study(
            sources,
            folder,
            real=real,
            real_params=params,
            n_images=n_images,
            seed=seed,
            db_url=db,
            size=size,
            exposure_ms=exposure_ms or _rate.study.DEFAULT_EXPOSURE_MS,
            feedback=True if feedback is None else feedback,
        )
    elif study is not None:
        if real or db or size:
            raise GanforgeError(
                "--real, --db and --size apply when creating a study, not when reopening one"
            )
        opened = _rate.open_study(study)
    else:
        raise GanforgeError("give runs or image folders to compare, or --study DIR to reopen one")
    announce(f"study folder: {opened.path}")
    _rate.serve(opened, host, port, exposure_ms, feedback, announce=announce, verbose=verbose)


def rate_report(study: str | Path) -> tuple[str, Path]:
    """Text tables of a study's results; also writes its report.html and results.json."""
    return _rate.write_report(study)


def fetch_weights(name: str = "inception", path: str | Path | None = None) -> Path:
    """Download named pretrained weights (SHA-256 checked) to ``path`` or the user cache."""
    fetchers = {"inception": inception_weights.fetch}
    if name not in fetchers:
        raise GanforgeError(f"unknown weights {name!r}; valid: {', '.join(sorted(fetchers))}")
    return fetchers[name](path)


def extractor_listing() -> list[tuple[str, str]]:
    """(name, summary and availability) for every feature extractor."""
    return extractor_rows()


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
    on_trial: Callable[[dict], None] | None = None,
) -> _tune.TuneResult:
    """Bayesian search over ``space`` (YAML): ``trials`` trainings of ``steps`` steps, each
    scored by ``metric``; resumes from the journal in ``out``; writes the best as a preset."""
    return _tune.tune(
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


__all__ = [
    "NAIVE_BAYES_MODELS",
    "Loaded",
    "NaiveBayesRun",
    "RunDir",
    "evaluate",
    "evaluation_table",
    "extractor_listing",
    "fetch_weights",
    "listing",
    "load",
    "naive_bayes",
    "rate",
    "rate_report",
    "sample",
    "select",
    "slerp",
    "stats",
    "train",
    "tune",
]
