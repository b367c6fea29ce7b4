"""Plots (losses, metrics, toy scatter), sample files and the run's HTML report."""

from __future__ import annotations

import contextlib
import html
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.data.base import DataInfo
from ganforge.data.grid import save_grid, to_uint8

# Log keys shown in the loss plot, grouped into panels; anything else numeric goes in "other".
LOSS_PANELS = {
    "losses": ("d_loss", "g_loss"),
    "discriminator outputs": ("d_real", "d_fake"),
    "critic estimate / penalties": ("wasserstein", "gp", "penalty", "r1"),
    "BEGAN equilibrium": ("k", "m_global", "l_real", "l_fake"),
    "ADA: p and r_t = E[sign D(real)]": ("ada_p", "ada_rt"),
}
NOT_PLOTTED = {
    "step",
    "epoch",
    "time",
    "kind",
    "images_per_s",
    "sec_per_step",
    "lr_g",
    "lr_d",
    "eval_seconds",
}


def figure(width: float, height: float) -> Any:
    """A matplotlib Figure drawn off-screen (no pyplot, no global backend switch)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def save_samples(
    samples: torch.Tensor,
    info: DataInfo,
    path: str | Path,
    captions: Sequence[str] | None = None,
    nrow: int | None = None,
) -> Path:
    """Write samples as a PNG: an image grid, or a scatter plot over the mixture's means."""
    path = Path(path)
    if info.kind == "points":
        return scatter_points(samples.numpy(), path, info)
    scale = max(1, 64 // max(info.size))  # small images are enlarged so a person can see them
    return save_grid(to_uint8(samples), path, labels=captions, nrow=nrow, scale=scale)


def scatter_points(points: np.ndarray, path: str | Path, info: DataInfo) -> Path:
    """Generated 2-D points over the true mixture means (the VEEGAN/PacGAN figure)."""
    path = Path(path)
    fig = figure(4.5, 4.5)
    ax = fig.subplots()
    ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, color="tab:blue", label="generated")
    means = np.asarray(info.extra.get("means", []))
    if len(means):
        ax.scatter(means[:, 0], means[:, 1], s=30, marker="x", color="tab:red", label="modes")
        lim = np.abs(means).max() * 1.5 + 3 * float(info.extra.get("std", 0.0))
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


@contextlib.contextmanager
def _panels(n: int, height: float, path: str | Path) -> Iterator[list[Any]]:
    """A column of ``n`` panels over generator steps; legends, grid and saving on exit."""
    fig = figure(7, height * n)
    axes = fig.subplots(n, 1, squeeze=False)
    yield list(axes[:, 0])
    for ax in axes[:, 0]:
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("generator step")
    fig.tight_layout()
    fig.savefig(path)


def _series(records: list[dict[str, Any]], kind: str) -> dict[str, tuple[list[int], list[float]]]:
    out: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    for rec in records:
        if rec.get("kind", "train") != kind:
            continue
        for key, value in rec.items():
            if key in NOT_PLOTTED or not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            xs, ys = out[key]
            xs.append(int(rec["step"]))
            ys.append(float(value))
    return dict(out)


def plot_losses(records: list[dict[str, Any]], path: str | Path) -> Path | None:
    """Loss curves over steps, one panel per group of related logs."""
    series = _series(records, "train")
    if not series:
        return None
    panels: list[tuple[str, list[str]]] = []
    used: set[str] = set()
    for title, keys in LOSS_PANELS.items():
        present = [k for k in keys if k in series]
        if present:
            panels.append((title, present))
            used.update(present)
    other = sorted(set(series) - used)
    if other:
        panels.append(("other", other))
    with _panels(len(panels), 2.4, path) as axes:
        for ax, (title, keys) in zip(axes, panels):
            for key in keys:
                ax.plot(*series[key], label=key, linewidth=1)
            ax.set_title(title, fontsize=9)
    return Path(path)


def plot_metrics(
    records: list[dict[str, Any]], path: str | Path, floors: dict[str, float] | None = None
) -> Path | None:
    """Evaluation metrics over steps, with the real-vs-real floor as a dashed line."""
    series = {k: v for k, v in _series(records, "eval").items() if len(v[0]) > 1}
    if not series:  # a curve needs two evaluations; a single one is in the report's table
        return None
    keys = sorted(series)
    with _panels(len(keys), 2.2, path) as axes:
        for ax, key in zip(axes, keys):
            ax.plot(*series[key], marker="o", markersize=3, label=key)
            if floors and key in floors:
                ax.axhline(floors[key], linestyle="--", color="gray", label="real vs real")
            ax.set_title(key, fontsize=9)
    return Path(path)


def plot_scores(
    scores: list[tuple[int, float]], key: str, best: int, floor: float | None, path: Path
) -> Path:
    """A score per checkpoint over steps, the chosen step circled, the real-vs-real floor dashed."""
    with _panels(1, 3.2, path) as (ax,):
        steps, values = zip(*scores)
        ax.plot(steps, values, marker="o", markersize=3, label=key)
        ax.scatter(
            [best], [dict(scores)[best]], s=80, facecolors="none", edgecolors="red", label="best"
        )
        if floor is not None:
            ax.axhline(floor, linestyle="--", color="gray", label="real vs real")
        ax.set_title(f"{key} per checkpoint", fontsize=9)
    return path


def plot_truncation(rows: list[dict[str, Any]], path: Path) -> Path:
    """Each score against the truncation threshold; FID against IS (the trade-off) when both."""
    keys = [k for k in rows[0] if k not in ("truncation", "bn_stats", "step")]
    both = "fid" in keys and "is" in keys
    fig = figure(7, 3.2 * (len(keys) + both))
    axes = list(fig.subplots(len(keys) + both, 1, squeeze=False)[:, 0])
    t = [r["truncation"] for r in rows]
    for ax, key in zip(axes, keys):
        ax.plot(t, [r[key] for r in rows], marker="o", markersize=3)
        ax.set_xlabel("truncation threshold", fontsize=8)
        ax.set_title(f"{key} against truncation", fontsize=9)
    if both:
        ax = axes[-1]
        ax.plot([r["is"] for r in rows], [r["fid"] for r in rows], marker="o", markersize=3)
        for r in rows:
            ax.annotate(f"{r['truncation']:g}", (r["is"], r["fid"]), fontsize=7)
        ax.set_xlabel("IS (quality)", fontsize=8)
        ax.set_ylabel("FID", fontsize=8)
        ax.set_title("FID against IS: the truncation trade-off", fontsize=9)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    return path


def _table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{body}</table>"


def write_report(run_path: str | Path) -> Path:
    """Write ``report.html`` (and its plots) for a run directory; returns its path."""
    import yaml

    run = Path(run_path)
    records = []
    metrics_file = run / "metrics.jsonl"
    if metrics_file.is_file():
        for line in metrics_file.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    floors_file = run / "floors.json"
    floors = json.loads(floors_file.read_text()) if floors_file.is_file() else None
    loss_png = plot_losses(records, run / "losses.png")
    metric_png = plot_metrics(records, run / "metrics.png", floors)
    samples = sorted((run / "samples").glob("step-*.png"))
    snapshots = sorted(p for p in (run / "samples").glob("*.png") if not p.name.startswith("step-"))
    cfg = (
        yaml.safe_load((run / "config.yaml").read_text()) if (run / "config.yaml").is_file() else {}
    )
    train = [r for r in records if r.get("kind", "train") == "train"]
    evals = [r for r in records if r.get("kind") == "eval"]
    summary: list[tuple[str, Any]] = [
        ("preset", cfg.get("preset")),
        ("data", json.dumps(cfg.get("data"))),
        ("model", json.dumps(cfg.get("model"))),
        ("loss", json.dumps(cfg.get("loss"))),
        ("optimiser", json.dumps(cfg.get("optim"))),
    ]
    if train:
        last = train[-1]
        summary += [
            ("steps", last.get("step")),
            ("elapsed", f"{last.get('time', 0):.1f} s"),
            ("images/s", f"{last.get('images_per_s', 0):.0f}"),
        ]
    parts = [f"<h1>ganforge run: {html.escape(run.name)}</h1>", _table(summary)]
    if samples:
        rel = samples[-1].relative_to(run)
        parts.append(f"<h2>Samples at {samples[-1].stem}</h2><img src='{rel}'>")
    if loss_png:
        parts.append("<h2>Losses</h2><img src='losses.png'>")
    if metric_png:
        parts.append("<h2>Metrics</h2><img src='metrics.png'>")
    if evals:
        last_eval = {k: v for k, v in evals[-1].items() if k not in ("kind", "time")}
        rows = [(k, f"{v:.4g}" if isinstance(v, float) else v) for k, v in last_eval.items()]
        if floors:
            rows += [(f"{k} (real vs real)", f"{v:.4g}") for k, v in floors.items()]
        parts.append("<h2>Final metrics</h2>" + _table(rows))
    sweep_file = run / "truncation.json"
    if sweep_file.is_file():
        sweep = json.loads(sweep_file.read_text())
        parts.append(
            "<h2>Truncation</h2><img src='truncation-grid.png'><img src='truncation.png'>"
            + _table([(f"{r['truncation']:g} ({r['bn_stats']} BN)", json.dumps(r)) for r in sweep])
        )
    if snapshots:
        parts.append(
            "<h2>Snapshots</h2>"
            + "".join(
                f"<figure><img src='samples/{p.name}'>"
                f"<figcaption>{html.escape(p.stem)}</figcaption>"
                "</figure>"
                for p in snapshots
            )
        )
    if len(samples) > 1:
        parts.append(
            "<h2>Progress</h2>"
            + "".join(
                f"<figure><img src='samples/{p.name}' width=160>"
                f"<figcaption>{html.escape(p.stem)}</figcaption></figure>"
                for p in samples[-8:]
            )
        )
    style = (
        "body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px;"
        "text-align:left;font-size:13px}figure{display:inline-block;margin:4px}"
        "figcaption{font-size:11px;text-align:center}img{image-rendering:pixelated}"
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(run.name)}"
        f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )
    out = run / "report.html"
    out.write_text(page)
    return out
