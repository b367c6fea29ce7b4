"""Maximising an acquisition over the encoded unit box: random candidates, then L-BFGS-B.

Candidates are uniform draws plus small perturbations of the best observed points (where a
converging search needs its precision). The top few become starts for one joint L-BFGS-B run
(the sum of independent scores, so each start follows its own gradient). Results are snapped to
valid points of the space (rounded integers, one-hot categories); a point already evaluated is
passed over in favour of the next best, so discrete spaces do not repeat themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from ganforge.bayes.optimize.acquisition import score
from ganforge.bayes.optimize.gp import GaussianProcess
from ganforge.bayes.optimize.space import Space


@dataclass(frozen=True)
class SearchSettings:
    """How hard to search the acquisition: candidate count, local starts, L-BFGS-B iterations."""

    n_candidates: int = 2000
    n_local: int = 5
    n_incumbents: int = 3
    perturb: tuple[float, ...] = (0.002, 0.02, 0.1)
    maxiter: int = 100


@dataclass(frozen=True)
class Acquisition:
    """A named acquisition with its parameters, bound to a fitted GP and incumbent."""

    name: str
    gp: GaussianProcess
    best: float
    xi: float = 0.0
    kappa: float = 1.96
    noise_std: float = 0.0

    def _score(self, mu: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, ...]:
        return score(
            self.name, mu, sd, self.best, xi=self.xi, kappa=self.kappa, noise_std=self.noise_std
        )

    def values(self, u: np.ndarray) -> np.ndarray:
        """Scores (higher is better) at rows of ``u``."""
        return self._score(*self.gp.predict(u))[0]

    def values_and_grads(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores and their gradients (m, D) with respect to ``u``."""
        mu, sd, dmu, dsd = self.gp.predict_with_grad(u)
        v, dv_dmu, dv_dsd = self._score(mu, sd)
        return v, dv_dmu[:, None] * dmu + dv_dsd[:, None] * dsd


def _candidates(
    space: Space,
    centres: tuple[np.ndarray, np.ndarray] | None,
    rng: np.random.Generator,
    s: SearchSettings,
) -> np.ndarray:
    cands = [rng.random((s.n_candidates, space.n_columns))]
    if centres is not None and len(centres[0]):
        top = centres[0][np.argsort(centres[1])[: s.n_incumbents]]
        for scale in s.perturb:
            noise = rng.standard_normal((len(top) * 20, space.n_columns)) * scale
            cands.append(np.clip(np.repeat(top, 20, axis=0) + noise, 0.0, 1.0))
    u = np.vstack(cands)
    return u if space.is_continuous else space.snap(u)


def _local_search(acq: Acquisition, starts: np.ndarray, maxiter: int) -> np.ndarray:
    shape = starts.shape

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = acq.values_and_grads(flat.reshape(shape))
        bad = ~np.isfinite(v)
        v, g = np.where(bad, -1e10, v), np.where(bad[:, None], 0.0, g)
        g = np.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0)
        return -float(v.sum()), -g.ravel()

    res = minimize(
        objective,
        starts.ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * starts.size,
        options={"maxiter": maxiter},
    )
    return np.clip(res.x.reshape(shape), 0.0, 1.0)


def _is_new(u: np.ndarray, seen: np.ndarray | None) -> np.ndarray:
    """Mask of rows of ``u`` that differ from every seen row (beyond round-off)."""
    if seen is None or not len(seen):
        return np.ones(len(u), dtype=bool)
    dist = np.abs(u[:, None, :] - seen[None, :, :]).max(-1)
    return dist.min(1) > 1e-9


def maximize(
    acq: Acquisition,
    space: Space,
    rng: np.random.Generator,
    *,
    centres: tuple[np.ndarray, np.ndarray] | None = None,
    exclude: np.ndarray | None = None,
    settings: SearchSettings = SearchSettings(),
) -> tuple[np.ndarray, float]:
    """The best valid point (encoded, shape (n_columns,)) and its score. ``centres`` (encoded
    points, values) adds candidates around the lowest values; points in ``exclude`` are passed
    over while any other candidate remains."""
    cands = _candidates(space, centres, rng, settings)
    scores = acq.values(cands)
    order = np.argsort(-scores)
    starts = cands[order[: settings.n_local]]
    refined = _local_search(acq, starts, settings.maxiter)
    if not space.is_continuous:
        refined = space.snap(refined)
    pool = np.vstack([refined, cands[order]])
    pool_scores = np.concatenate([acq.values(refined), scores[order]])
    pool_scores = np.where(np.isfinite(pool_scores), pool_scores, -np.inf)
    new = _is_new(pool, exclude)
    if new.any():
        pool, pool_scores = pool[new], pool_scores[new]
    i = int(np.argmax(pool_scores))
    return pool[i], float(pool_scores[i])
