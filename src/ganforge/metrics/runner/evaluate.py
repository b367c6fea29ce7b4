"""Evaluate a run or checkpoint: sample, extract features once, run the metrics, add the
real-vs-real floor, and write everything (with provenance) as JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ganforge import config as config_mod
from ganforge.checkpoints import atomic_write_text
from ganforge.config import Choice
from ganforge.data.base import DataInfo
from ganforge.data.grid import to_uint8
from ganforge.errors import GanforgeError
from ganforge.metrics.runner.base import Context, jsonable
from ganforge.metrics.runner.featureset import FeatureSet, extract
from ganforge.metrics.runner.plan import Plan, make_plan
from ganforge.metrics.runner.reference import DEFAULT_REAL_LIMIT, dataset_features, real_side
from ganforge.metrics.runner.suite import flat_values, run_metrics
from ganforge.nn.cond_norm import BNStats, batch_norm_statistics
from ganforge.registry import DATASETS
from ganforge.runs import Loaded, RunDir, load


def as_samples(x: torch.Tensor, info: DataInfo) -> torch.Tensor:
    """Generator output as metric input: uint8 images, or float points for point data."""
    return x.float().cpu() if info.kind == "points" else to_uint8(x)


STANDING_PASSES = 16  # forward passes that re-estimate standing batch-norm statistics
STANDING_BATCH = 64


def sample_model(
    model: Loaded,
    n: int,
    seed: int,
    truncation: float | None = None,
    bn_stats: BNStats = "eval",
) -> torch.Tensor:
    """``n`` metric-ready samples from the generator's one sampler (uint8 images, or points),
    with the batch norms in mode ``bn_stats``; standing statistics are re-estimated at this
    truncation from latents of their own seed, and the generator is restored afterwards."""
    if n < 2:
        raise GanforgeError(f"--n must be at least 2, got {n}")
    g = model.g
    gen = torch.Generator().manual_seed(seed + 1_000_003)
    device = next(g.parameters()).device

    @torch.no_grad()
    def forward(i: int) -> None:
        z = g.latent(STANDING_BATCH, gen, truncation, device)
        y = None
        if g.n_classes:
            y = torch.randint(g.n_classes, (STANDING_BATCH,), generator=gen).to(device)
        g.generate(z, y, truncation)

    with batch_norm_statistics(g, bn_stats, forward, STANDING_PASSES):
        return model.sample(
            n, seed, truncation=truncation, post=lambda x: as_samples(x, model.info)
        )


def needs_real(plan: Plan) -> bool:
    """Whether any planned metric compares with real data."""
    return any(call.real != "none" for call in plan.calls)


def check_stats_only(plan: Plan, real: FeatureSet) -> None:
    """A statistics file serves FID only: fail before sampling if other metrics need samples."""
    if real.outputs:
        return
    bad = [call.name for call in plan.calls if call.real == "features"]
    if bad:
        raise GanforgeError(
            f"{', '.join(bad)} need per-sample real features but the real side "
            f"({real.provenance.get('source')}) is a statistics file (mu/sigma only); "
            "pass a dataset as --real, or use --metrics fid"
        )


def floor_pair(choice: Choice) -> tuple[Choice, Choice]:
    """Two disjoint real samples of a dataset: train vs test split, or two seeds of a mixture."""
    builder = DATASETS.get(choice.name)
    accepted = config_mod.parameters(builder)
    if "split" in accepted:
        return (
            Choice(choice.name, {**choice.params, "split": "train"}),
            Choice(choice.name, {**choice.params, "split": "test"}),
        )
    if "seed" in accepted:
        seed = int(choice.params.get("seed", config_mod.defaults(builder).get("seed", 0)))
        return choice, Choice(choice.name, {**choice.params, "seed": seed + 1})
    raise GanforgeError(f"dataset {choice.name} has no held-out split: no real-vs-real floor")


def compute_floors(
    plan: Plan,
    choice: Choice,
    info: DataInfo,
    n: int,
    seed: int,
    real_limit: int | None = DEFAULT_REAL_LIMIT,
) -> list[dict[str, Any]]:
    """The planned metrics with held-out real data (at most ``n`` samples) in place of fakes."""
    train, held_out = floor_pair(choice)
    real = dataset_features(train, plan.extractor, real_limit, seed)
    other = dataset_features(held_out, plan.extractor, n, seed + 1)
    return run_metrics(plan.calls, real, other, Context(info, seed, None, "floor"), strict=False)


def write_floors(run: Path, values: dict[str, float]) -> Path:
    """Merge real-vs-real values into the run's ``floors.json`` (drawn dashed in the report)."""
    path = run / "floors.json"
    current = json.loads(path.read_text()) if path.is_file() else {}
    current.update({k: v for k, v in values.items() if math.isfinite(v)})
    return atomic_write_text(path, json.dumps(current, indent=1, sort_keys=True))


@dataclass
class Evaluation:
    """Records (values, extras, intervals, provenance) of one evaluation, with its floors."""

    source: str
    step: int
    records: list[dict[str, Any]]
    floors: list[dict[str, Any]] | None = None
    notes: list[str] = field(default_factory=list)
    json_path: Path | None = None

    @property
    def values(self) -> dict[str, float]:
        """Every score in one mapping."""
        return flat_values(self.records)

    @property
    def floor_values(self) -> dict[str, float]:
        """Every real-vs-real score in one mapping."""
        return flat_values(self.floors or [])

    def to_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return jsonable(
            {
                "source": self.source,
                "step": self.step,
                "values": self.values,
                "floors": self.floor_values if self.floors is not None else None,
                "notes": self.notes,
                "results": self.records,
                "floor_results": self.floors,
            }
        )


def evaluate(
    source: str | Path,
    *,
    metrics: str | Iterable[str] | None = None,
    real: str | None = None,
    n: int | None = None,
    extractor: str | None = None,
    seed: int | None = None,
    json_path: str | Path | None = None,
    floors: bool = False,
    bootstrap: int = 0,
    use_ema: bool = True,
    real_limit: int | None = DEFAULT_REAL_LIMIT,
    truncation: float | None = None,
    bn_stats: BNStats = "eval",
) -> Evaluation:
    """Score a run's latest checkpoint (or a checkpoint) against real data; see docs/metrics.md.

    Unset options come from the run's ``eval`` config, then from the dataset's defaults.
    ``truncation`` samples with the generator's truncation trick; ``bn_stats`` says which
    batch-norm statistics the generator uses (eval, train or standing); both are recorded.
    """
    model = load(source, use_ema=use_ema)
    settings = model.config.eval
    n = n or settings.n_samples
    seed = settings.seed if seed is None else seed
    real = real if real is not None else settings.real
    plan = make_plan(
        model.info,
        metrics or settings.metrics or None,
        extractor or settings.extractor,
        model.config.data.params,
    )
    run_dir = RunDir.of_checkpoint(model.checkpoint)
    run = run_dir.path if run_dir else None
    out_dir = (run / "eval") if run else Path(".")
    real_set = None
    if needs_real(plan):
        real_set = real_side(real, model.config.data, model.info, plan.extractor, real_limit, seed)
        check_stats_only(plan, real_set)
    fake = fake_features(model, plan, n, seed, truncation, bn_stats)
    out_dir.mkdir(parents=True, exist_ok=True)
    claimed = None if json_path else claim_result_file(out_dir, f"step-{model.step:07d}")
    stem = claimed.stem if claimed else f"step-{model.step:07d}"
    ctx = Context(model.info, seed, out_dir, stem, model=model)  # its figures share the stem
    try:
        records = run_metrics(plan.calls, real_set, fake, ctx, bootstrap)
        floor_records = None
        if floors:
            floor_records = compute_floors(plan, model.config.data, model.info, n, seed, real_limit)
            if run is not None:
                write_floors(run, flat_values(floor_records))
    except BaseException:  # no empty results file left behind
        if claimed is not None:
            claimed.unlink(missing_ok=True)
        raise
    result = Evaluation(str(source), model.step, records, floor_records, plan.notes)
    path = Path(json_path) if json_path else claimed
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_dict(), indent=1))
    result.json_path = path
    return result


def claim_result_file(folder: Path, stem: str) -> Path:
    """A new file for one evaluation's results: ``stem.json``, else ``stem-2.json``, ... (created
    empty here, exclusively, so two evaluations of one checkpoint never share a file)."""
    for number in range(1, 100_000):
        path = folder / (f"{stem}.json" if number == 1 else f"{stem}-{number}.json")
        try:
            path.open("x").close()
        except FileExistsError:
            continue
        return path
    raise GanforgeError(f"{folder} holds 100,000 evaluations of {stem}; move some away")


def fake_features(
    model: Loaded,
    plan: Plan,
    n: int,
    seed: int,
    truncation: float | None = None,
    bn_stats: BNStats = "eval",
) -> FeatureSet:
    """Features of ``n`` samples of a loaded generator (the truncation and the batch-norm
    statistics mode are part of every metric's provenance)."""
    provenance = {
        "source": str(model.checkpoint),
        "step": model.step,
        "ema": model.ema,
        "sample_seed": seed,
        "truncation": truncation,
        "bn_stats": bn_stats,
    }
    samples = sample_model(model, n, seed, truncation, bn_stats)
    features = extract(plan.extractor, samples, provenance)
    label_samples(features, model.g, n)
    return features


def label_samples(features: FeatureSet, g: Any, n: int) -> None:
    """Attach the conditioning labels the one sampler used for ``n`` samples of ``g`` (none
    for an unconditional generator), noting when they are learned categories (InfoGAN)."""
    labels = g.labels(n) if hasattr(g, "labels") else None
    if labels is not None:
        features.labels = labels.numpy()
        if getattr(g, "unsupervised_labels", False):
            features.provenance["unsupervised_labels"] = True


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def table(result: Evaluation) -> list[tuple[str, str, str, str]]:
    """Rows (score, value, spread or interval, real-vs-real) for printing."""
    floors = result.floor_values
    rows = []
    for record in result.records:
        if "error" in record:
            rows.append((record["metric"], "error", record["error"], ""))
            continue
        extra, ci = record.get("extra", {}), record.get("ci", {})
        for key, value in record["values"].items():
            spread = ""
            if key in ci:
                spread = f"[{_number(ci[key][0])}, {_number(ci[key][1])}]"
            elif f"{key}_std" in extra:
                spread = f"± {_number(extra[f'{key}_std'])}"
            rows.append((key, _number(value), spread, _number(floors.get(key))))
    return rows
