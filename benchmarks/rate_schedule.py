"""Cost of issuing a rating trial as a study grows, and of the schedule's reading of the store.

The schedule counts the stored judgements (``rating.Tallies``) so that several server
processes schedule from the same numbers: each ``/api/next`` reads the answers stamped in the
last minute (older ones are counted once and never read again). This measures, for studies of
3 models holding N judgements answered over the previous day, the median milliseconds of
``RatingApp.next_trial`` (refresh the counts, read what the rater saw, fit Bradley-Terry for
pairs, choose, record the trial), of the refresh alone, and of a process's first, full count.
Results go to ``benchmarks/results/rate_schedule.json``.

    python benchmarks/rate_schedule.py                               # SQLite in a temp folder
    python benchmarks/rate_schedule.py --db postgresql://user@host/db  # a PostgreSQL store
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from rate_helpers import folder_study

from ganforge.rate import RatingApp
from ganforge.rate.rating import Tallies
from ganforge.rate.store import new_id

RESULTS = Path(__file__).parent / "results"
SIZES = (0, 1_000, 10_000, 50_000)
CALLS = 40


def fill(app: RatingApp, until: int, rng: random.Random) -> None:
    """Add judgements (a third of each task, answered over the past day) up to ``until``."""
    store, db = app.store, app.store.db
    missing = until - store.count()
    raters = [app.join() for _ in range(20)]
    ids = sorted(app.image_ids)
    day_ago = time.time() - 86_400
    with db.transaction() as conn:
        for k in range(missing):
            now = day_ago + 86_400 * k / max(missing, 1)
            task = ("pair", "rating", "rapid")[k % 3]
            a, b = rng.sample(ids, 2)
            b = b if task == "pair" else None
            choice = {"pair": a, "rating": None, "rapid": "real"}[task]
            rating = 3 if task == "rating" else None
            trial, rater = new_id(), rng.choice(raters)
            db.execute(
                "INSERT INTO trials (id, study_id, rater_id, task, image_a, image_b, "
                "exposure_ms, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (trial, store.study_id, rater, task, a, b, None, now),
                conn=conn,
            )
            db.execute(
                "INSERT INTO judgements (trial_id, study_id, rater_id, task, image_a, image_b, "
                "exposure_ms, choice, rating, issued_at, answered_at, response_ms, shown_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (trial, store.study_id, rater, task, a, b, None, choice, rating, now, now, 1, None),
                conn=conn,
            )


def median_ms(call, n: int = CALLS) -> float:
    """Median wall milliseconds of ``call()`` over ``n`` calls."""
    times = []
    for _ in range(n):
        began = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - began))
    return statistics.median(times)


def main() -> None:
    """Measure and write the JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a postgresql:// URL (default: SQLite in a temp folder)")
    args = parser.parse_args()
    rng = random.Random(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        study = folder_study(Path(tmp), n=16, db_url=args.db)
        app = RatingApp(study, seed=0)
        rater = app.join()
        for size in SIZES:
            fill(app, size, rng)
            row = {"judgements": app.store.count()}
            for task in ("pair", "rating"):
                row[f"next_{task}_ms"] = round(
                    median_ms(lambda t=task: app.next_trial(rater, t)), 2
                )
            row["refresh_ms"] = round(median_ms(app.counts), 2)
            fresh = Tallies(app.store, app.model_of, len(app.models))
            row["first_count_ms"] = round(median_ms(fresh.refresh, n=1), 2)
            rows.append(row)
            print(row, flush=True)
        study.close()
    out = {
        "store": "postgresql" if args.db else "sqlite",
        "calls_per_median": CALLS,
        "machine": f"{platform.machine()}, Python {platform.python_version()}, shared and busy",
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    name = f"rate_schedule{'-postgresql' if args.db else ''}.json"
    (RESULTS / name).write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {RESULTS / name}")


if __name__ == "__main__":
    main()
