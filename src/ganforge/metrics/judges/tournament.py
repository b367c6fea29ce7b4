"""Tournament win rate and skill rating (Olsson et al. 2018): generators play discriminators.

Every discriminator judges samples of every generator; each sample is one game, won by the
generator when the discriminator calls it real and by the discriminator otherwise. Held-out real
images join as one more "generator" (the data itself), so a discriminator that calls everything
fake loses those games. The skill of each player comes from the same Bradley-Terry and Elo code
as the human rating page (``ganforge.rate.skill``); Olsson et al. used Glicko-2, an online
relative of both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class Standing:
    """Per player (generators first, then discriminators): games won and played, win rate,
    Bradley-Terry strength on the Elo scale with its standard error, and sequential Elo."""

    players: list[str]
    wins: list[int]
    games: list[int]
    win_rate: list[float]
    skill: list[float]
    skill_se: list[float]
    elo: list[float]


def win_matrix(fooled: np.ndarray, games: np.ndarray) -> np.ndarray:
    """Square wins matrix over generators + discriminators from ``fooled[g, d]`` (games won by
    generator g against discriminator d) out of ``games[g, d]``."""
    n_g, n_d = fooled.shape
    wins = np.zeros((n_g + n_d, n_g + n_d))
    wins[:n_g, n_g:] = fooled
    wins[n_g:, :n_g] = (games - fooled).T
    return wins


def standings(
    fooled: np.ndarray,
    games: np.ndarray,
    generators: Sequence[str],
    discriminators: Sequence[str],
    prior: float = 0.5,
    seed: int = 0,
) -> Standing:
    """Win rates and skill ratings of a tournament's results."""
    from ganforge.rate import skill  # the rating page's code: one Bradley-Terry, one Elo

    fooled = np.asarray(fooled, dtype=np.int64)
    games = np.asarray(games, dtype=np.int64)
    wins = win_matrix(fooled, games)
    played = wins + wins.T
    fit = skill.bradley_terry(wins, prior=prior)
    pairs = [
        (i, j) for i in range(len(wins)) for j in range(len(wins)) for _ in range(int(wins[i, j]))
    ]
    order = np.random.default_rng(seed).permutation(len(pairs))
    elo = skill.elo([pairs[k] for k in order], len(wins))
    won, total = wins.sum(axis=1), played.sum(axis=1)
    return Standing(
        [*generators, *discriminators],
        won.astype(int).tolist(),
        total.astype(int).tolist(),
        (won / np.maximum(total, 1)).tolist(),
        skill.to_elo_scale(fit.theta).tolist(),
        (skill.ELO_PER_THETA * fit.se).tolist(),
        elo.tolist(),
    )
