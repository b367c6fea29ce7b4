"""Post-hoc model selection: score every saved checkpoint of a run, plot, keep the best."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganforge import config as config_mod
from ganforge.checkpoints import list_checkpoints
from ganforge.errors import GanforgeError
from ganforge.metrics.runner.base import Context, jsonable
from ganforge.metrics.runner.evaluate import check_stats_only, fake_features, needs_real
from ganforge.metrics.runner.plan import make_plan
from ganforge.metrics.runner.reference import DEFAULT_REAL_LIMIT, real_side
from ganforge.metrics.runner.suite import run_metrics, score_of
from ganforge.report import plot_scores
from ganforge.runs import RunDir, load


@dataclass
class Selection:
    """Scores per step, the best step and where its checkpoint was copied."""

    key: str
    better: str
    scores: list[tuple[int, float]]
    best_step: int
    best_value: float
    best_path: Path
    plot: Path
    json_path: Path


def select(
    run: str | Path,
    *,
    metric: str = "fid",
    n: int | None = None,
    real: str | None = None,
    extractor: str | None = None,
    seed: int | None = None,
    use_ema: bool = True,
    real_limit: int | None = DEFAULT_REAL_LIMIT,
) -> Selection:
    """Score each ``checkpoints/step-*.pt`` on one score; copy the best to ``best-<score>.pt``."""
    folder = RunDir.find(run)
    checkpoints = list_checkpoints(folder.checkpoints)
    if not checkpoints:
        raise GanforgeError(f"run {folder} has no step checkpoints to choose from")
    name, key, better = score_of(metric)
    if better is None:
        raise GanforgeError(f"{metric} has no better direction; choose a score such as fid")
    cfg = config_mod.load(folder.config_path)
    n = n or cfg.eval.n_samples
    seed = cfg.eval.seed if seed is None else seed
    first = load(checkpoints[0][1], use_ema=use_ema)
    spec = name if not cfg.eval.metrics else _spec_from(cfg.eval.metrics, name)
    plan = make_plan(first.info, [spec], extractor or cfg.eval.extractor, cfg.data.params)
    real_set = None
    if needs_real(plan):
        real_set = real_side(
            real or cfg.eval.real, cfg.data, first.info, plan.extractor, real_limit, seed
        )
        check_stats_only(plan, real_set)
    scores, records = [], []
    for step, path in checkpoints:
        model = load(path, use_ema=use_ema)
        fake = fake_features(model, plan, n, seed)
        record = run_metrics(plan.calls, real_set, fake, Context(model.info, seed))[0]
        records.append({"step": step, "checkpoint": str(path), **record})
        scores.append((step, float(record["values"][key])))
    pick = min if better == "lower" else max
    best_step, best_value = pick(scores, key=lambda s: s[1])
    best_path = folder.checkpoints / f"best-{key}.pt"
    shutil.copyfile(dict(checkpoints)[best_step], best_path)
    floors_file = folder.path / "floors.json"
    floor = json.loads(floors_file.read_text()).get(key) if floors_file.is_file() else None
    plot = plot_scores(scores, key, best_step, floor, folder.path / f"select-{key}.png")
    json_path = folder.path / f"select-{key}.json"
    document: dict[str, Any] = {
        "score": key,
        "better": better,
        "best_step": best_step,
        "best_value": best_value,
        "best_checkpoint": str(best_path),
        "scores": scores,
        "notes": plan.notes,
        "results": records,
    }
    json_path.write_text(json.dumps(jsonable(document), indent=1))
    return Selection(key, better, scores, best_step, best_value, best_path, plot, json_path)


def _spec_from(specs: list[str], name: str) -> str:
    """The run's own spec for a metric (keeps its parameters), else the bare name."""
    for spec in specs:
        if spec.split(":", 1)[0].strip() == name:
            return spec
    return name
