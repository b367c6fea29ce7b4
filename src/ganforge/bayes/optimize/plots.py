"""Figures of a search: the convergence curve and, for 1-D problems, the fitted surrogate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ganforge.bayes.optimize.loop import Optimizer, OptimizeResult
from ganforge.bayes.optimize.space import Categorical


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, bbox_inches="tight")
    return path


def plot_convergence(
    results: OptimizeResult | Sequence[float] | dict[str, OptimizeResult | Sequence[float]],
    path: str | Path,
    *,
    minimum: float | None = None,
    maximize: bool = False,
    title: str = "convergence",
    ylabel: str | None = None,
) -> Path:
    """Best value so far against evaluations (several runs: a dict of label -> run);
    with a known ``minimum`` the y axis is the simple regret on a log scale; ``maximize`` plots
    the running maximum of values that were maximised."""
    sign = -1.0 if maximize else 1.0
    runs = results if isinstance(results, dict) else {"": results}
    fig = Figure(figsize=(6, 4), dpi=100)
    ax = fig.add_subplot()
    for label, run in runs.items():
        vals = run.func_vals if isinstance(run, OptimizeResult) else np.asarray(run, dtype=float)
        vals = np.where(np.isfinite(vals), sign * vals, np.inf)
        best = sign * np.minimum.accumulate(vals)
        vals = sign * vals
        n = np.arange(1, len(best) + 1)
        y = best - minimum if minimum is not None else best
        ax.plot(n, np.where(np.isfinite(y), y, np.nan), marker=".", label=label or None)
        if minimum is None:
            ax.scatter(n, np.where(np.isfinite(vals), vals, np.nan), s=8, alpha=0.3)
    if minimum is not None:
        ax.set_yscale("log")
    ax.set_xlabel("evaluations")
    if ylabel is None:
        ylabel = f"best value so far ({'maximised' if maximize else 'minimised'})"
    ax.set_ylabel("simple regret" if minimum is not None else ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(runs) > 1:
        ax.legend()
    return _save(fig, path)


def plot_surrogate_1d(
    optimizer: Optimizer,
    path: str | Path,
    *,
    truth: Callable[[float], float] | None = None,
    n_samples: int = 3,
    sign: float = 1.0,
    seed: int = 0,
) -> Path:
    """For a one-dimensional real or integer space: observations, the GP mean, a 95% band and
    posterior samples (``sign=-1`` plots a maximisation problem the right way up)."""
    space = optimizer.space
    if len(space) != 1 or isinstance(space.dimensions[0], Categorical):
        raise ValueError("plot_surrogate_1d needs a space with one real or integer dimension")
    model = optimizer.fit_model()
    if model is None:
        raise ValueError("need at least two successful evaluations to plot the surrogate")
    grid_u = np.linspace(0.0, 1.0, 400)[:, None]
    grid_x = np.array([p[0] for p in space.decode(grid_u)], dtype=float)
    mean, std = model.predict(grid_u)
    samples = model.sample_y(grid_u, n_samples, np.random.default_rng(seed)) if n_samples else []
    fig = Figure(figsize=(7, 4), dpi=100)
    ax = fig.add_subplot()
    ax.fill_between(
        grid_x,
        sign * (mean - 1.96 * std),
        sign * (mean + 1.96 * std),
        alpha=0.2,
        color="tab:blue",
        label="95% band",
    )
    ax.plot(grid_x, sign * mean, color="tab:blue", label="GP mean")
    for i, s in enumerate(samples):
        ax.plot(grid_x, sign * s, lw=0.8, alpha=0.6, color="tab:gray", label="samples" * (i == 0))
    if truth is not None:
        ax.plot(grid_x, [truth(x) for x in grid_x], "k--", lw=1, label="objective")
    xs, ys = _observations(optimizer)
    ax.scatter(xs, sign * ys, color="tab:red", s=14, zorder=3, label="evaluations")
    ax.set_xlabel(space.names[0])
    ax.set_ylabel("objective")
    ax.legend(fontsize=8)
    ax.set_title(f"surrogate after {optimizer.n_told} evaluations")
    return _save(fig, path)


def _observations(optimizer: Optimizer) -> tuple[np.ndarray, np.ndarray]:
    pairs: list[tuple[Any, float]] = [
        (p[0], v) for p, v in zip(optimizer.x_iters, optimizer.values) if v is not None
    ]
    return np.array([p for p, _ in pairs], dtype=float), np.array([v for _, v in pairs])
