"""Skill from pairwise wins: Bradley-Terry (MM or Newton, Fisher or bootstrap intervals) and Elo.

``wins[i, j]`` counts the times model ``i`` was preferred to model ``j``. Bradley-Terry gives each
model a log-strength ``theta`` with P(i beats j) = 1 / (1 + exp(theta_j - theta_i)); the values
are centred to mean zero, so only differences mean anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# One unit of Bradley-Terry log-strength on the Elo scale (Elo uses base-10 logistic over 400).
ELO_PER_THETA = 400.0 / math.log(10.0)
Z95 = 1.959963984540054


@dataclass
class BTFit:
    """A Bradley-Terry fit: centred log-strengths, their Fisher standard errors, convergence."""

    theta: np.ndarray
    se: np.ndarray
    iterations: int
    method: str

    def interval(self, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
        """Normal-approximation interval theta -/+ z * se."""
        return self.theta - z * self.se, self.theta + z * self.se


def win_matrix(pairs: Sequence[tuple[int, int]], n: int) -> np.ndarray:
    """Count matrix ``W[i, j]`` = number of (winner i, loser j) pairs."""
    wins = np.zeros((n, n))
    for winner, loser in pairs:
        if winner == loser:
            raise ValueError(f"a model cannot beat itself (index {winner})")
        wins[winner, loser] += 1
    return wins


def _regularised(wins: np.ndarray, prior: float) -> np.ndarray:
    wins = np.asarray(wins, dtype=float)
    if wins.ndim != 2 or wins.shape[0] != wins.shape[1]:
        raise ValueError(f"the win matrix must be square, got shape {wins.shape}")
    if (wins < 0).any():
        raise ValueError("win counts must be non-negative")
    out = wins + prior * (1.0 - np.eye(len(wins)))
    np.fill_diagonal(out, 0.0)
    return out


def _strongly_connected(wins: np.ndarray) -> bool:
    """True when every model beat, directly or through others, every other model (finite MLE)."""
    n = len(wins)
    beats = wins > 0
    for start, edges in ((0, beats), (0, beats.T)):
        seen, todo = {start}, [start]
        while todo:
            i = todo.pop()
            for j in np.flatnonzero(edges[i]):
                if j not in seen:
                    seen.add(int(j))
                    todo.append(int(j))
        if len(seen) < n:
            return False
    return True


def fisher_information(theta: np.ndarray, wins: np.ndarray) -> np.ndarray:
    """Information matrix of the BT log-likelihood at ``theta`` (a graph Laplacian)."""
    games = wins + wins.T
    p = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))
    weight = games * p * (1.0 - p)
    np.fill_diagonal(weight, 0.0)
    return np.diag(weight.sum(1)) - weight


def log_likelihood(theta: np.ndarray, wins: np.ndarray) -> float:
    """BT log-likelihood sum_ij W_ij log sigmoid(theta_i - theta_j)."""
    diff = theta[:, None] - theta[None, :]
    return float(-(wins * np.logaddexp(0.0, -diff)).sum())


def _fit_mm(wins: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """Hunter's (2004) minorise-maximise updates on strengths gamma = exp(theta)."""
    games = wins + wins.T
    total_wins = wins.sum(1)
    gamma = np.ones(len(wins))
    for iteration in range(1, max_iter + 1):
        denom = (games / (gamma[:, None] + gamma[None, :])).sum(1)
        new = total_wins / denom
        new /= np.exp(np.log(new).mean())
        change = np.abs(np.log(new) - np.log(gamma)).max()
        gamma = new
        if change < tol:
            return np.log(gamma), iteration
    return np.log(gamma), max_iter


def _fit_newton(wins: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """Newton-Raphson on theta with theta_0 fixed, step halving to keep the likelihood rising."""
    n = len(wins)
    games = wins + wins.T
    theta = np.zeros(n)
    current = log_likelihood(theta, wins)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        p = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))
        grad = wins.sum(1) - (games * p).sum(1)
        step = np.zeros(n)
        step[1:] = np.linalg.solve(fisher_information(theta, wins)[1:, 1:], grad[1:])
        scale = 1.0
        while True:
            candidate = theta + scale * step
            value = log_likelihood(candidate, wins)
            if value >= current - 1e-12 or scale < 1e-8:
                break
            scale /= 2
        theta, current = candidate, value
        if np.abs(scale * step).max() < tol:
            break
    return theta - theta.mean(), iterations


def bradley_terry(
    wins: np.ndarray,
    method: str = "mm",
    prior: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 100_000,
) -> BTFit:
    """Maximum-likelihood BT log-strengths (``prior`` adds that many virtual wins each way)."""
    counts = _regularised(wins, prior)
    n = len(counts)
    if n < 2:
        raise ValueError("Bradley-Terry needs at least two models")
    if not _strongly_connected(counts):
        raise ValueError(
            "no finite Bradley-Terry fit: some model never won (or never lost) against the rest; "
            "pass prior > 0 or collect more judgements"
        )
    if method == "mm":
        theta, iterations = _fit_mm(counts, tol, max_iter)
    elif method == "newton":
        theta, iterations = _fit_newton(counts, tol, min(max_iter, 200))
    else:
        raise ValueError(f"unknown Bradley-Terry method {method!r}; use 'mm' or 'newton'")
    theta = theta - theta.mean()
    cov = np.linalg.pinv(fisher_information(theta, counts))
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return BTFit(theta, se, iterations, method)


def percentile_bootstrap(
    pairs: Sequence[tuple[int, int]],
    n: int,
    statistic: Callable[[np.ndarray], np.ndarray],
    rounds: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of ``statistic`` (per model) over games resampled with replacement.

    ``statistic`` receives a (games, 2) array of (winner, loser) rows in resampled order.
    """
    if not pairs:
        return np.full(n, -np.inf), np.full(n, np.inf)
    rng = np.random.default_rng(seed)
    array = np.asarray(pairs, dtype=int)
    values = np.empty((rounds, n))
    for r in range(rounds):
        values[r] = statistic(array[rng.integers(0, len(array), len(array))])
    tail = (1.0 - level) / 2.0 * 100.0
    return np.percentile(values, tail, axis=0), np.percentile(values, 100.0 - tail, axis=0)


def bootstrap_bt(
    pairs: Sequence[tuple[int, int]],
    n: int,
    rounds: int = 200,
    seed: int = 0,
    prior: float = 0.5,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile intervals of BT log-strengths over judgements resampled with replacement."""

    def fit(sample: np.ndarray) -> np.ndarray:
        wins = np.zeros((n, n))
        np.add.at(wins, (sample[:, 0], sample[:, 1]), 1.0)
        return bradley_terry(wins, prior=prior, tol=1e-8).theta

    return percentile_bootstrap(pairs, n, fit, rounds, seed, level)


def elo(
    pairs: Sequence[tuple[int, int]], n: int, k: float = 32.0, base: float = 1500.0
) -> np.ndarray:
    """Sequential Elo ratings after (winner, loser) games in the given order."""
    ratings = np.full(n, base, dtype=float)
    for winner, loser in pairs:
        expected = 1.0 / (1.0 + 10.0 ** ((ratings[loser] - ratings[winner]) / 400.0))
        ratings[winner] += k * (1.0 - expected)
        ratings[loser] -= k * (1.0 - expected)
    return ratings


def bootstrap_elo(
    pairs: Sequence[tuple[int, int]],
    n: int,
    rounds: int = 200,
    seed: int = 0,
    k: float = 32.0,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile intervals of Elo over resampled, reshuffled game sequences."""

    def rate(sample: np.ndarray) -> np.ndarray:
        return elo([(int(w), int(lo)) for w, lo in sample], n, k=k)

    return percentile_bootstrap(pairs, n, rate, rounds, seed, level)


def to_elo_scale(theta: np.ndarray, base: float = 1500.0) -> np.ndarray:
    """BT log-strengths on the Elo scale (400 points = tenfold odds), centred on ``base``."""
    return base + ELO_PER_THETA * np.asarray(theta)
