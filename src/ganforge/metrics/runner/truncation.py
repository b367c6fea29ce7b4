"""The truncation trade-off (Brock et al. 2018, fig. 2 and 4): quality against variety.

For each threshold (BigGAN) or psi (StyleGAN) the sweep scores the same number of samples with
the run's metrics (FID and IS by default, or the dataset's domain-classifier scores), draws one
grid row of the same latents per threshold, and writes ``truncation.json``, the grid
``truncation-grid.png`` and the curve ``truncation.png`` into the run, which its report shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from ganforge.data.grid import save_grid
from ganforge.errors import GanforgeError
from ganforge.metrics.runner.evaluate import evaluate, sample_model
from ganforge.nn.cond_norm import BNStats
from ganforge.report import plot_truncation, write_report
from ganforge.runs import RunDir, load

DEFAULT_THRESHOLDS = (2.0, 1.5, 1.0, 0.75, 0.5, 0.25)
GRID_COLUMNS = 10


def truncation_sweep(
    source: str | Path,
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS,
    *,
    metrics: str = "fid,is",
    n: int | None = None,
    seed: int = 0,
    bn_stats: BNStats = "eval",
) -> Path:
    """Score and draw a run's samples at each truncation threshold; returns truncation.json."""
    model = load(source)
    if not getattr(model.g, "supports_truncation", False):
        raise GanforgeError(
            f"model {model.config.model.name!r} has no truncation trick; the sweep works with "
            "biggan and stylegan runs"
        )
    run = RunDir.of_checkpoint(model.checkpoint)
    if run is None:
        raise GanforgeError(f"{source} is not in a run directory; give the run")
    out = run.path / "eval"
    rows: list[dict[str, Any]] = []
    grids = []
    for t in thresholds:
        result = evaluate(
            source,
            metrics=metrics,
            n=n,
            seed=seed,
            truncation=t,
            bn_stats=bn_stats,
            json_path=out / f"truncation-{t:g}.json",
        )
        rows.append({"truncation": t, "bn_stats": bn_stats, "step": model.step, **result.values})
        grids.append(sample_model(model, GRID_COLUMNS, seed, t, bn_stats))
    path = run.path / "truncation.json"
    path.write_text(json.dumps(rows, indent=1))
    labels = [f"{t:g}" if i % GRID_COLUMNS == 0 else "" for t in thresholds for i in range(10)]
    scale = max(1, 64 // max(model.info.size))  # small images enlarged, as the sample grids
    save_grid(
        torch.cat(grids),
        run.path / "truncation-grid.png",
        nrow=GRID_COLUMNS,
        labels=labels,
        scale=scale,
    )
    plot_truncation(rows, run.path / "truncation.png")
    write_report(run.path)
    return path
