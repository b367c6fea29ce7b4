"""The Bayesian-optimisation loop: ``Optimizer`` (ask/tell, JSON state) and ``minimize``.

``ask`` returns the next point: first the initial design, then the maximiser of the acquisition
on a GP fitted to everything told so far. ``tell`` records a value (``None`` or NaN marks a
failed evaluation: kept in the history, left out of the model, never proposed again). The whole
state (observations, random generator, GP hyperparameters, portfolio gains, pending proposal)
is saved as JSON, so a loaded optimiser proposes exactly what the original would have.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ganforge.bayes.optimize.acquisition import ACQUISITION_CHOICES, Portfolio
from ganforge.bayes.optimize.design import DESIGNS
from ganforge.bayes.optimize.design import initial_design as make_design
from ganforge.bayes.optimize.gp import GaussianProcess
from ganforge.bayes.optimize.kernels import KERNELS
from ganforge.bayes.optimize.proposal import Acquisition, SearchSettings, maximize
from ganforge.bayes.optimize.space import Space
from ganforge.bayes.optimize.threads import single_threaded_blas

STATE_VERSION = 1
# fitted noise variance (relative to the targets' variance) below which the objective is treated
# as deterministic and EI is not augmented; a GP fitted to a smooth noise-free function stays
# well under it, a metric with 1% relative noise is at it.
DETERMINISTIC_NOISE = 1e-4


@dataclass
class OptimizeResult:
    """Outcome of a search: best point and value, and every evaluation in order."""

    x: list[Any] | None
    fun: float
    x_iters: list[list[Any]]
    func_vals: np.ndarray
    history: list[dict[str, Any]]
    space: Space
    optimizer: Optimizer | None = field(default=None, repr=False)

    @property
    def best_so_far(self) -> np.ndarray:
        """Running minimum of the successful values (NaN before the first success)."""
        vals = np.where(np.isfinite(self.func_vals), self.func_vals, np.inf)
        best = np.minimum.accumulate(vals) if len(vals) else vals
        return np.where(np.isfinite(best), best, np.nan)


class Optimizer:
    """Ask/tell Bayesian optimiser over a ``Space`` (minimisation)."""

    def __init__(
        self,
        space: Space | Sequence[Any] | dict[str, Any],
        *,
        n_initial: int = 10,
        initial_design: str = "sobol",
        acquisition: str = "ei",
        kernel: str = "matern52",
        noise: float | None = None,
        xi: float = 0.0,
        kappa: float = 1.96,
        eta: float = 1.0,
        augmented: bool = True,
        gp_restarts: int = 2,
        n_candidates: int = 2000,
        n_local: int = 5,
        seed: int | None = None,
    ) -> None:
        self.space = space if isinstance(space, Space) else Space(space)
        if acquisition not in ACQUISITION_CHOICES:
            raise ValueError(
                f"unknown acquisition {acquisition!r}; choose one of {list(ACQUISITION_CHOICES)}"
            )
        if kernel not in KERNELS:
            raise ValueError(f"unknown kernel {kernel!r}; choose one of {sorted(KERNELS)}")
        if initial_design not in DESIGNS:
            raise ValueError(f"unknown initial design {initial_design!r}; choose one of {DESIGNS}")
        if n_initial < 1:
            raise ValueError(f"n_initial must be at least 1, got {n_initial}")
        self.settings: dict[str, Any] = {
            "n_initial": int(n_initial),
            "initial_design": initial_design,
            "acquisition": acquisition,
            "kernel": kernel,
            "noise": noise,
            "xi": float(xi),
            "kappa": float(kappa),
            "eta": float(eta),
            "augmented": bool(augmented),
            "gp_restarts": int(gp_restarts),
            "n_candidates": int(n_candidates),
            "n_local": int(n_local),
            "seed": seed,
        }
        self.rng = np.random.default_rng(seed)
        self.design = make_design(self.space, int(n_initial), initial_design, self.rng)
        self.x_iters: list[list[Any]] = []
        self.values: list[float | None] = []
        self.history: list[dict[str, Any]] = []
        self.theta: list[float] | None = None
        self.portfolio = Portfolio(eta=eta) if acquisition == "portfolio" else None
        self.last_proposals: list[list[float]] | None = None  # encoded, one per portfolio member
        self.pending: dict[str, Any] | None = None
        self.model: GaussianProcess | None = None

    # ----- observations ------------------------------------------------------------------
    def _ok(self) -> tuple[list[list[Any]], np.ndarray]:
        pairs = [(x, v) for x, v in zip(self.x_iters, self.values) if v is not None]
        return [x for x, _ in pairs], np.array([v for _, v in pairs], dtype=float)

    @property
    def n_told(self) -> int:
        """How many evaluations (successful or failed) have been told."""
        return len(self.values)

    def best(self) -> tuple[list[Any] | None, float]:
        """Best successful point and value so far (None, inf before any)."""
        xs, ys = self._ok()
        if not len(ys):
            return None, math.inf
        i = int(np.argmin(ys))
        return xs[i], float(ys[i])

    def tell(self, point: Sequence[Any], value: float | None, **info: Any) -> None:
        """Record the value at ``point``; None or a non-finite value marks a failed evaluation.
        Keyword arguments (JSON-ready values) are kept with the evaluation in the history."""
        point = self.space.check(point)
        if value is not None:
            value = float(value)
            if not math.isfinite(value):
                value = None
        entry: dict[str, Any] = {"point": point, "value": value}
        if self.pending is not None and self.pending["point"] == point:
            entry["source"] = self.pending["source"]
            self.pending = None
        else:
            entry.setdefault("source", "told")
        entry.update(info)
        self.x_iters.append(point)
        self.values.append(value)
        self.history.append(entry)

    # ----- proposals ---------------------------------------------------------------------
    def ask(self) -> list[Any]:
        """The next point to evaluate (the same one again until it is told)."""
        if self.pending is None:
            with single_threaded_blas():
                point, source = self._propose()
            self.pending = {"point": point, "source": source}
        return list(self.pending["point"])

    def _propose(self) -> tuple[list[Any], str]:
        while self.design:
            point = self.design.pop(0)
            if point not in self.x_iters:
                return point, "initial"
        xs, ys = self._ok()
        if len(ys) < 2:
            return self._random_new(), "random"
        self.model = self._fit(self.space.encode(xs), ys, self.rng)
        self.theta = self.model.theta.tolist()
        incumbent = float(self.model.predict(self.space.encode(xs), return_std=False).min())
        members = self.portfolio.members if self.portfolio else (self.settings["acquisition"],)
        if self.portfolio is not None and self.last_proposals is not None:
            means = self.model.predict(np.array(self.last_proposals), return_std=False)
            self.portfolio.update((means - self.model.y_mean) / self.model.y_scale)
        proposals = [
            self._maximize(self._acquisition(name, incumbent), self.rng, exclude_seen=True)[0]
            for name in members
        ]
        pick = self.portfolio.choose(self.rng) if self.portfolio is not None else 0
        if self.portfolio is not None:
            self.last_proposals = [p.tolist() for p in proposals]
        return self.space.decode(proposals[pick][None, :])[0], members[pick]

    def _acquisition(self, name: str, incumbent: float) -> Acquisition:
        noise_std = self._effective_noise_std() if self.settings["augmented"] else 0.0
        s = self.settings
        return Acquisition(
            name, self.model, incumbent, xi=s["xi"], kappa=s["kappa"], noise_std=noise_std
        )

    def _maximize(
        self, acq: Acquisition, rng: np.random.Generator, exclude_seen: bool
    ) -> tuple[np.ndarray, float]:
        search = SearchSettings(
            n_candidates=self.settings["n_candidates"], n_local=self.settings["n_local"]
        )
        encoded = self.space.encode(self.x_iters)
        values = np.array([np.inf if v is None else v for v in self.values], dtype=float)
        return maximize(
            acq,
            self.space,
            rng,
            centres=(encoded, values),
            exclude=encoded if exclude_seen else None,
            settings=search,
        )

    def _effective_noise_std(self) -> float:
        """Noise std for augmented EI: the fitted noise beyond what a deterministic objective
        shows (a noise variance under 1e-4 of the targets' variance counts as none)."""
        excess = self.model.noise / self.model.y_scale**2 - DETERMINISTIC_NOISE
        return math.sqrt(max(excess, 0.0)) * self.model.y_scale

    def _fit(
        self, encoded: np.ndarray, ys: np.ndarray, rng: np.random.Generator
    ) -> GaussianProcess:
        gp = GaussianProcess(
            self.settings["kernel"],
            noise=self.settings["noise"],
            n_restarts=self.settings["gp_restarts"],
            seed=rng,
        )
        if self.theta is not None:
            gp.theta = np.array(self.theta)
        return gp.fit(encoded, ys)

    def fit_model(self) -> GaussianProcess | None:
        """A GP fitted to the successful evaluations so far (None with fewer than two); leaves
        the optimiser's own state, and so its next proposals, untouched."""
        xs, ys = self._ok()
        if len(ys) < 2:
            return None
        with single_threaded_blas():
            return self._fit(self.space.encode(xs), ys, np.random.default_rng(0))

    def expected_minimum(self) -> tuple[list[Any], float]:
        """The point where the GP mean is lowest and that mean: the best estimate when the
        objective is noisy (the lowest observed value is then biased low)."""
        model = self.fit_model()
        if model is None:
            raise ValueError("expected_minimum needs at least two successful evaluations")
        with single_threaded_blas():
            # LCB with kappa 0 is minus the mean; nothing of the optimiser's own state is used
            acq = Acquisition("lcb", model, 0.0, kappa=0.0)
            u, _ = self._maximize(acq, np.random.default_rng(0), exclude_seen=False)
            value = float(model.predict(u[None, :], return_std=False)[0])
        return self.space.decode(u[None, :])[0], value

    def _random_new(self) -> list[Any]:
        for _ in range(100):
            point = self.space.sample(1, self.rng)[0]
            if point not in self.x_iters:
                return point
        return point

    # ----- results and state -------------------------------------------------------------
    def result(self) -> OptimizeResult:
        """Best point, best value and the full history."""
        x, fun = self.best()
        vals = np.array([np.nan if v is None else v for v in self.values], dtype=float)
        return OptimizeResult(
            x, fun, [list(p) for p in self.x_iters], vals, list(self.history), self.space, self
        )

    def to_json(self) -> dict[str, Any]:
        """Everything needed to continue the search exactly."""
        return {
            "version": STATE_VERSION,
            "space": self.space.to_json(),
            "settings": self.settings,
            "rng": self.rng.bit_generator.state,
            "design": self.design,
            "history": self.history,
            "theta": self.theta,
            "portfolio": self.portfolio.to_json() if self.portfolio else None,
            "last_proposals": self.last_proposals,
            "pending": self.pending,
        }

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> Optimizer:
        """Rebuild an optimiser written by ``to_json``."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"optimiser state version {state.get('version')} is not supported")
        opt = cls(Space.from_json(state["space"]), **{**state["settings"], "n_initial": 1})
        opt.settings = dict(state["settings"])
        opt.rng.bit_generator.state = state["rng"]
        opt.design = [list(p) for p in state["design"]]
        opt.history = [dict(h) for h in state["history"]]
        opt.x_iters = [list(h["point"]) for h in opt.history]
        opt.values = [h["value"] for h in opt.history]
        opt.theta = state["theta"]
        if state["portfolio"] is not None:
            opt.portfolio = Portfolio.from_json(state["portfolio"])
        opt.last_proposals = state["last_proposals"]
        opt.pending = state["pending"]
        return opt

    def save(self, path: str | Path) -> Path:
        """Write the state as JSON atomically (a crash never leaves a half-written file)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1))
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Optimizer:
        """Read a state file written by ``save``."""
        return cls.from_json(json.loads(Path(path).read_text()))


def minimize(
    func: Callable[[list[Any]], float],
    space: Space | Sequence[Any] | dict[str, Any],
    n_calls: int = 50,
    *,
    x0: Sequence[Sequence[Any]] = (),
    y0: Sequence[float] | None = None,
    state_path: str | Path | None = None,
    callback: Callable[[OptimizeResult], bool | None] | None = None,
    **options: Any,
) -> OptimizeResult:
    """Minimise ``func(point)`` over ``space`` in ``n_calls`` evaluations (Optimizer options
    as keywords). ``x0``/``y0`` seed the search with known points; with ``state_path`` the state
    is saved after every evaluation and an existing file is resumed. A callback returning True
    stops early."""
    if n_calls < 1:
        raise ValueError(f"n_calls must be at least 1, got {n_calls}")
    if state_path is not None and Path(state_path).exists():
        opt = Optimizer.load(state_path)
    else:
        options.setdefault("n_initial", 10)
        options["n_initial"] = max(1, min(options["n_initial"], n_calls - len(x0)))
        opt = Optimizer(space, **options)
        if y0 is not None and len(y0) != len(x0):
            raise ValueError(f"x0 has {len(x0)} points but y0 has {len(y0)} values")
        for i, point in enumerate(x0):
            opt.tell(point, y0[i] if y0 is not None else func(list(point)), source="x0")
    while opt.n_told < n_calls:
        point = opt.ask()
        start = time.perf_counter()
        value = func(list(point))
        opt.tell(point, value, seconds=time.perf_counter() - start)
        if state_path is not None:
            opt.save(state_path)
        if callback is not None and callback(opt.result()):
            break
    return opt.result()
