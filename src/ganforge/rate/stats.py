"""Small statistics for human judgements: Wilson intervals, agreement, drift over time."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ganforge.rate.skill import Z95


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ((0, 1) when there are no trials)."""
    if trials <= 0:
        return (0.0, 1.0)
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must lie in [0, {trials}], got {successes}")
    p = successes / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)


def win_rates(wins: np.ndarray) -> np.ndarray:
    """Row model's share of wins against the column model (NaN where they never met)."""
    wins = np.asarray(wins, dtype=float)
    games = wins + wins.T
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(games > 0, wins / games, np.nan)
    np.fill_diagonal(rates, np.nan)
    return rates


def krippendorff_alpha(
    units: Mapping[Hashable, Sequence[float | str]], metric: str = "nominal"
) -> float:
    """Krippendorff's alpha over units (items) each with the values coders gave it.

    Units with fewer than two values are not pairable and are ignored. ``metric`` is
    ``nominal`` (any difference counts 1) or ``interval`` (squared difference). NaN when
    there is no variation to measure.
    """
    if metric not in ("nominal", "interval"):
        raise ValueError(f"metric must be 'nominal' or 'interval', got {metric!r}")
    pairable = [list(v) for v in units.values() if len(v) >= 2]
    if not pairable:
        return math.nan
    values = sorted({v for unit in pairable for v in unit}, key=str)
    index = {v: i for i, v in enumerate(values)}
    coincidence = np.zeros((len(values), len(values)))
    for unit in pairable:
        m = len(unit)
        counts = np.zeros(len(values))
        for v in unit:
            counts[index[v]] += 1
        pair_counts = np.outer(counts, counts) - np.diag(counts)
        coincidence += pair_counts / (m - 1)
    if metric == "nominal":
        delta = 1.0 - np.eye(len(values))
    else:
        numeric = np.asarray(values, dtype=float)
        delta = (numeric[:, None] - numeric[None, :]) ** 2
    marginals = coincidence.sum(1)
    total = marginals.sum()
    observed = (coincidence * delta).sum() / total
    expected = (np.outer(marginals, marginals) * delta).sum() / (total * (total - 1))
    if expected == 0:
        return math.nan
    return float(1.0 - observed / expected)


@dataclass
class Agreement:
    """How often one rater's answers match other raters' answers on the same items."""

    rater: str
    compared: int  # (this rater's answer, another rater's answer) pairs on shared items
    agreed: float  # matches (nominal) or summed closeness
    mean_abs_diff: float  # interval data: mean |difference| (NaN for nominal)


def rater_agreement(
    answers: Sequence[tuple[str, Hashable, float | str]], metric: str = "nominal"
) -> dict[str, Agreement]:
    """Per rater, agreement with every other rater who judged the same item.

    ``answers`` holds (rater, item, value). Nominal data count exact matches; interval data
    report the mean absolute difference and count answers within one point as agreeing.
    """
    by_item: dict[Hashable, list[tuple[str, float | str]]] = defaultdict(list)
    for rater, item, value in answers:
        by_item[item].append((rater, value))
    compared: dict[str, int] = defaultdict(int)
    agreed: dict[str, float] = defaultdict(float)
    diffs: dict[str, float] = defaultdict(float)
    for entries in by_item.values():
        for i, (rater, value) in enumerate(entries):
            for j, (other, other_value) in enumerate(entries):
                if i == j or other == rater:
                    continue
                compared[rater] += 1
                if metric == "nominal":
                    agreed[rater] += float(value == other_value)
                else:
                    diff = abs(float(value) - float(other_value))
                    diffs[rater] += diff
                    agreed[rater] += float(diff <= 1.0)
    raters = sorted({rater for rater, _, _ in answers})
    return {
        r: Agreement(
            r,
            compared[r],
            agreed[r],
            (diffs[r] / compared[r]) if metric != "nominal" and compared[r] else math.nan,
        )
        for r in raters
    }


@dataclass
class Block:
    """One block of consecutive judgements (pooled over raters) with its accuracy interval."""

    index: int
    start: int  # first within-rater position (0-based) in the block
    correct: int
    total: int
    low: float
    high: float


def accuracy_by_block(sequences: Mapping[str, Sequence[bool]], block: int = 10) -> list[Block]:
    """Accuracy of each rater's 1st..block-th, next block, ... answers, pooled over raters."""
    if block < 1:
        raise ValueError(f"block must be at least 1, got {block}")
    correct: dict[int, int] = defaultdict(int)
    total: dict[int, int] = defaultdict(int)
    for seq in sequences.values():
        for position, ok in enumerate(seq):
            correct[position // block] += int(ok)
            total[position // block] += 1
    return [
        Block(b, b * block, correct[b], total[b], *wilson(correct[b], total[b]))
        for b in sorted(total)
    ]


@dataclass
class Trend:
    """Least-squares slope of a 0/1 or numeric outcome on within-rater position."""

    slope: float  # change per judgement
    se: float
    n: int


def trend(sequences: Mapping[str, Sequence[float]]) -> Trend:
    """Pooled slope of the outcome on position, with each rater's own mean removed (drift)."""
    xs, ys = [], []
    for seq in sequences.values():
        if len(seq) < 2:
            continue
        position = np.arange(len(seq), dtype=float)
        values = np.asarray(seq, dtype=float)
        xs.append(position - position.mean())
        ys.append(values - values.mean())
    if not xs:
        return Trend(math.nan, math.nan, 0)
    x, y = np.concatenate(xs), np.concatenate(ys)
    sxx = float((x * x).sum())
    if sxx == 0:
        return Trend(math.nan, math.nan, len(x))
    slope = float((x * y).sum() / sxx)
    dof = len(x) - len(xs) - 1
    residual = y - slope * x
    se = math.sqrt(float((residual**2).sum()) / dof / sxx) if dof > 0 else math.nan
    return Trend(slope, se, len(x))
