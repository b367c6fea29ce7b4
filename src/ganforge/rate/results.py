"""A study's results from its judgements: skill, win rates, ratings, fool rates, raters, drift.

``compute`` is a pure function of the models, images and judgements, and returns plain data
(JSON-ready); ``render_text`` and ``render_html`` turn it into the CLI table and the page.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from ganforge.rate.skill import (
    Z95,
    bootstrap_bt,
    bootstrap_elo,
    bradley_terry,
    elo,
    to_elo_scale,
    win_matrix,
)
from ganforge.rate.stats import (
    accuracy_by_block,
    krippendorff_alpha,
    rater_agreement,
    trend,
    wilson,
    win_rates,
)
from ganforge.rate.store import Image, Judgement, Model

# Half a virtual win each way per pair (one drawn game) keeps every score finite.
REPORT_PRIOR = 0.5
DRIFT_BLOCK = 10


def _num(value: float) -> float | None:
    """A float for JSON (NaN and infinities become None)."""
    return float(value) if value is not None and math.isfinite(value) else None


def _pairs(judgements: Sequence[Judgement], model_of: dict[str, int]) -> list[tuple[int, int]]:
    """(winner, loser) model indices of the pairwise judgements, in answer order."""
    out = []
    for j in judgements:
        if j.task != "pair" or j.image_b is None:
            continue
        a, b = model_of[j.image_a], model_of[j.image_b]
        if a == b:
            continue
        out.append((a, b) if j.choice == j.image_a else (b, a))
    return out


def _skill(names: list[str], pairs: list[tuple[int, int]], rounds: int, seed: int) -> list[dict]:
    n = len(names)
    if not pairs or n < 2:
        return []
    wins = win_matrix(pairs, n)
    fit = bradley_terry(wins, prior=REPORT_PRIOR)
    low, high = fit.interval()
    b_low, b_high = bootstrap_bt(pairs, n, rounds=rounds, seed=seed, prior=REPORT_PRIOR)
    ratings = elo(pairs, n)
    e_low, e_high = bootstrap_elo(pairs, n, rounds=rounds, seed=seed)
    games = wins + wins.T
    rows = [
        {
            "model": names[i],
            "games": int(games[i].sum()),
            "wins": int(wins[i].sum()),
            "bt": _num(to_elo_scale(fit.theta[i])),
            "bt_low": _num(to_elo_scale(low[i])),
            "bt_high": _num(to_elo_scale(high[i])),
            "bt_boot_low": _num(to_elo_scale(b_low[i])),
            "bt_boot_high": _num(to_elo_scale(b_high[i])),
            "theta": _num(fit.theta[i]),
            "theta_se": _num(fit.se[i]),
            "elo": _num(ratings[i]),
            "elo_low": _num(e_low[i]),
            "elo_high": _num(e_high[i]),
        }
        for i in range(n)
    ]
    return sorted(rows, key=lambda r: -(r["bt"] or 0.0))


def _ratings(names: list[str], judgements: Sequence[Judgement], model_of: dict) -> list[dict]:
    values: dict[int, list[int]] = defaultdict(list)
    for j in judgements:
        if j.task == "rating" and j.rating is not None:
            values[model_of[j.image_a]].append(int(j.rating))
    rows = []
    for i, name in enumerate(names):
        v = np.asarray(values.get(i, []), dtype=float)
        sd = float(v.std(ddof=1)) if len(v) > 1 else math.nan
        half = Z95 * sd / math.sqrt(len(v)) if len(v) > 1 else math.nan
        mean = float(v.mean()) if len(v) else math.nan
        rows.append(
            {
                "model": name,
                "n": len(v),
                "mean": _num(mean),
                "sd": _num(sd),
                "low": _num(mean - half),
                "high": _num(mean + half),
                "histogram": [int((v == k).sum()) for k in range(1, 6)],
            }
        )
    return rows


def _fool(models: list[Model], judgements: Sequence[Judgement], model_of: dict) -> list[dict]:
    said_real: dict[int, int] = defaultdict(int)
    total: dict[int, int] = defaultdict(int)
    for j in judgements:
        if j.task == "rapid":
            m = model_of[j.image_a]
            total[m] += 1
            said_real[m] += int(j.choice == "real")
    rows = []
    for i, model in enumerate(models):
        k, n = said_real[i], total[i]
        low, high = wilson(k, n)
        rows.append(
            {
                "model": model.name,
                "kind": model.kind,
                "judged_real": k,
                "n": n,
                "rate": _num(k / n) if n else None,
                "low": _num(low),
                "high": _num(high),
            }
        )
    return rows


def _rapid_correct(j: Judgement, kind_of_image: dict[str, str]) -> bool:
    return (j.choice == "real") == (kind_of_image[j.image_a] == "real")


def _pair_consensus(
    pairs_by_rater: dict[str, list[tuple[int, int]]], n: int
) -> dict[str, tuple[int, int]]:
    """Per rater: (judgements agreeing with the other raters' BT order, judgements compared)."""
    out = {}
    for rater, own in pairs_by_rater.items():
        others = [p for r, ps in pairs_by_rater.items() if r != rater for p in ps]
        if not others or not own:
            out[rater] = (0, 0)
            continue
        theta = bradley_terry(win_matrix(others, n), prior=REPORT_PRIOR).theta
        decided = [(w, lo) for w, lo in own if theta[w] != theta[lo]]
        out[rater] = (sum(theta[w] > theta[lo] for w, lo in decided), len(decided))
    return out


def _raters(
    models: list[Model], judgements: Sequence[Judgement], model_of: dict, kind_of_image: dict
) -> list[dict]:
    by_rater: dict[str, list[Judgement]] = defaultdict(list)
    for j in judgements:
        by_rater[j.rater_id].append(j)
    rapid_answers = [(j.rater_id, j.image_a, j.choice) for j in judgements if j.task == "rapid"]
    rating_answers = [(j.rater_id, j.image_a, j.rating) for j in judgements if j.task == "rating"]
    rapid_agree = rater_agreement(rapid_answers, "nominal")
    rating_agree = rater_agreement(rating_answers, "interval")
    pairs_by_rater = {r: _pairs(js, model_of) for r, js in by_rater.items()}
    consensus = _pair_consensus(pairs_by_rater, len(models))
    rows = []
    for rater, js in by_rater.items():
        rapid = [_rapid_correct(j, kind_of_image) for j in js if j.task == "rapid"]
        half = len(rapid) // 2
        first, second = rapid[:half], rapid[half:]
        acc_low, acc_high = wilson(sum(rapid), len(rapid))
        ra = rapid_agree.get(rater)
        rt = rating_agree.get(rater)
        agree_pair, n_pair = consensus.get(rater, (0, 0))
        rows.append(
            {
                "rater": rater,
                "n_pair": sum(j.task == "pair" for j in js),
                "n_rating": sum(j.task == "rating" for j in js),
                "n_rapid": len(rapid),
                "rapid_accuracy": _num(sum(rapid) / len(rapid)) if rapid else None,
                "rapid_low": _num(acc_low),
                "rapid_high": _num(acc_high),
                "rapid_agreement": _num(ra.agreed / ra.compared) if ra and ra.compared else None,
                "rating_mean_abs_diff": _num(rt.mean_abs_diff) if rt and rt.compared else None,
                "pair_consensus": _num(agree_pair / n_pair) if n_pair else None,
                "first_half_accuracy": _num(sum(first) / len(first)) if first else None,
                "second_half_accuracy": _num(sum(second) / len(second)) if second else None,
                "median_response_ms": _num(float(np.median([j.response_ms for j in js]))),
            }
        )
    return sorted(rows, key=lambda r: -(r["n_pair"] + r["n_rating"] + r["n_rapid"]))


def _drift(judgements: Sequence[Judgement], kind_of_image: dict, block: int) -> dict[str, Any]:
    rapid: dict[str, list[bool]] = defaultdict(list)
    ratings: dict[str, list[float]] = defaultdict(list)
    for j in judgements:
        if j.task == "rapid":
            rapid[j.rater_id].append(_rapid_correct(j, kind_of_image))
        elif j.task == "rating" and j.rating is not None:
            ratings[j.rater_id].append(float(j.rating))
    acc_trend = trend({r: [float(x) for x in s] for r, s in rapid.items()})
    rating_trend = trend(ratings)
    return {
        "block": block,
        "rapid_blocks": [
            {
                "index": b.index,
                "start": b.start,
                "correct": b.correct,
                "total": b.total,
                "accuracy": b.correct / b.total,
                "low": b.low,
                "high": b.high,
            }
            for b in accuracy_by_block(rapid, block)
        ],
        "rapid_slope": _num(acc_trend.slope),  # accuracy change per judgement
        "rapid_slope_se": _num(acc_trend.se),
        "rating_slope": _num(rating_trend.slope),  # rating change per judgement
        "rating_slope_se": _num(rating_trend.se),
    }


def compute(
    models: Sequence[Model],
    images: Sequence[Image],
    judgements: Sequence[Judgement],
    rounds: int = 200,
    seed: int = 0,
    block: int = DRIFT_BLOCK,
) -> dict[str, Any]:
    """Every table of the results page from the study's rows."""
    models = list(models)
    names = [m.name for m in models]
    index = {m.id: i for i, m in enumerate(models)}
    model_of = {im.id: index[im.model_id] for im in images}
    kind_of_image = {im.id: models[index[im.model_id]].kind for im in images}
    pairs = _pairs(judgements, model_of)
    wins = win_matrix(pairs, len(models))
    units_rapid: dict[str, list[str]] = defaultdict(list)
    units_rating: dict[str, list[float]] = defaultdict(list)
    for j in judgements:
        if j.task == "rapid" and j.choice:
            units_rapid[j.image_a].append(j.choice)
        elif j.task == "rating" and j.rating is not None:
            units_rating[j.image_a].append(float(j.rating))
    rapid_all = [_rapid_correct(j, kind_of_image) for j in judgements if j.task == "rapid"]
    acc_low, acc_high = wilson(sum(rapid_all), len(rapid_all))
    return {
        "models": [{"name": m.name, "kind": m.kind, "source": m.source} for m in models],
        "counts": {t: sum(j.task == t for j in judgements) for t in ("pair", "rating", "rapid")},
        "raters": len({j.rater_id for j in judgements}),
        "prior": REPORT_PRIOR,
        "skill": _skill(names, pairs, rounds, seed),
        "win_matrix": {
            "models": names,
            "wins": wins.astype(int).tolist(),
            "rates": [[_num(v) for v in row] for row in win_rates(wins)],
        },
        "ratings": _ratings(names, judgements, model_of),
        "fool": _fool(models, judgements, model_of),
        "rapid_accuracy": {
            "correct": sum(rapid_all),
            "n": len(rapid_all),
            "low": acc_low,
            "high": acc_high,
        },
        "alpha": {
            "rapid_nominal": _num(krippendorff_alpha(units_rapid, "nominal")),
            "rating_interval": _num(krippendorff_alpha(units_rating, "interval")),
        },
        "rater_table": _raters(models, judgements, model_of, kind_of_image),
        "drift": _drift(judgements, kind_of_image, block),
    }


def _fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = "  ".join(f"{h:<{w}}" for h, w in zip(header, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(f"{c!s:<{w}}" for c, w in zip(row, widths)) for row in rows]
    return out


def tables(results: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every results table, shared by the text and HTML renderings."""
    out = []
    if results["skill"]:
        out.append(
            (
                "Skill (pairwise preference; Bradley-Terry on the Elo scale, 95% intervals)",
                ["model", "games", "wins", "BT", "Fisher CI", "bootstrap CI", "Elo", "Elo CI"],
                [
                    [
                        r["model"],
                        str(r["games"]),
                        str(r["wins"]),
                        _fmt(r["bt"]),
                        f"{_fmt(r['bt_low'])}..{_fmt(r['bt_high'])}",
                        f"{_fmt(r['bt_boot_low'])}..{_fmt(r['bt_boot_high'])}",
                        _fmt(r["elo"]),
                        f"{_fmt(r['elo_low'])}..{_fmt(r['elo_high'])}",
                    ]
                    for r in results["skill"]
                ],
            )
        )
        wm = results["win_matrix"]
        out.append(
            (
                "Win rate of the row model against the column model (games)",
                ["", *wm["models"]],
                [
                    [
                        name,
                        *(
                            "-" if rate is None else f"{_pct(rate)} ({wins + wm['wins'][c][r]})"
                            for c, (rate, wins) in enumerate(zip(wm["rates"][r], wm["wins"][r]))
                        ),
                    ]
                    for r, name in enumerate(wm["models"])
                ],
            )
        )
    if results["counts"]["rating"]:
        out.append(
            (
                "Ratings (1 = clearly fake .. 5 = clearly real; mean with 95% interval)",
                ["model", "n", "mean", "95% CI", "1", "2", "3", "4", "5"],
                [
                    [
                        r["model"],
                        str(r["n"]),
                        _fmt(r["mean"], 2),
                        f"{_fmt(r['low'], 2)}..{_fmt(r['high'], 2)}",
                        *map(str, r["histogram"]),
                    ]
                    for r in results["ratings"]
                ],
            )
        )
    if results["counts"]["rapid"]:
        out.append(
            (
                "Rapid real/fake: judged real (fool rate for generated models; Wilson 95%)",
                ["model", "kind", "judged real", "n", "rate", "95% CI"],
                [
                    [
                        r["model"],
                        r["kind"],
                        str(r["judged_real"]),
                        str(r["n"]),
                        _pct(r["rate"]),
                        f"{_pct(r['low'])}..{_pct(r['high'])}",
                    ]
                    for r in results["fool"]
                ],
            )
        )
        drift = results["drift"]
        out.append(
            (
                f"Rater drift: rapid accuracy by block of {drift['block']} judgements per rater",
                ["judgements", "correct", "n", "accuracy", "95% CI"],
                [
                    [
                        f"{b['start'] + 1}-{b['start'] + drift['block']}",
                        str(b["correct"]),
                        str(b["total"]),
                        _pct(b["accuracy"]),
                        f"{_pct(b['low'])}..{_pct(b['high'])}",
                    ]
                    for b in drift["rapid_blocks"]
                ],
            )
        )
    if results["rater_table"]:
        out.append(
            (
                "Raters (agreement with the other raters on the same images or models)",
                [
                    "rater",
                    "pair",
                    "rating",
                    "rapid",
                    "accuracy",
                    "1st/2nd half",
                    "agree rapid",
                    "|rating diff|",
                    "pair consensus",
                    "median ms",
                ],
                [
                    [
                        r["rater"][:8],
                        str(r["n_pair"]),
                        str(r["n_rating"]),
                        str(r["n_rapid"]),
                        _pct(r["rapid_accuracy"]),
                        f"{_pct(r['first_half_accuracy'])}/{_pct(r['second_half_accuracy'])}",
                        _pct(r["rapid_agreement"]),
                        _fmt(r["rating_mean_abs_diff"], 2),
                        _pct(r["pair_consensus"]),
                        _fmt(r["median_response_ms"]),
                    ]
                    for r in results["rater_table"]
                ],
            )
        )
    return out


def summary_lines(results: dict[str, Any]) -> list[str]:
    """One-line facts shown above the tables."""
    counts = results["counts"]
    lines = [
        f"{results['raters']} rater(s); judgements: {counts['pair']} pairwise, "
        f"{counts['rating']} ratings, {counts['rapid']} rapid real/fake"
    ]
    acc = results["rapid_accuracy"]
    if acc["n"]:
        lines.append(
            f"rapid accuracy {_pct(acc['correct'] / acc['n'])} "
            f"(95% CI {_pct(acc['low'])}..{_pct(acc['high'])}; 50% is chance)"
        )
    drift = results["drift"]
    if drift["rapid_slope"] is not None and len(drift["rapid_blocks"]) >= 2:
        per = 100 * drift["block"]
        lines.append(
            f"drift: rapid accuracy changes {per * drift['rapid_slope']:+.1f} percentage points "
            f"per {drift['block']} judgements (se {_fmt(per * (drift['rapid_slope_se'] or 0), 1)})"
        )
    alpha = results["alpha"]
    if alpha["rapid_nominal"] is not None or alpha["rating_interval"] is not None:
        lines.append(
            f"Krippendorff's alpha: rapid {_fmt(alpha['rapid_nominal'], 2)}, "
            f"ratings {_fmt(alpha['rating_interval'], 2)}"
        )
    return lines


def render_text(results: dict[str, Any]) -> str:
    """The results as plain-text tables for the terminal."""
    lines = summary_lines(results)
    for title, header, rows in tables(results):
        lines += ["", title, *_table(header, rows)]
    if not results["counts"] or not any(results["counts"].values()):
        lines.append("no judgements yet")
    return "\n".join(lines) + "\n"
