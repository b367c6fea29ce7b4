"""Concurrent simulated raters on loopback: no judgement lost, none stored twice."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from ganforge.rate import Limits, RatingApp
from ganforge.rate.security import Limit

from .rate_helpers import concurrent_raters, folder_study, race_pair_trials, running

RATERS = 16
ANSWERS = 20


def test_concurrent_raters_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    study = folder_study(tmp_path, n=8)
    unlimited = Limit(rate=1e6, burst=1e6)
    with running(study, limits=Limits(api=unlimited, join=unlimited, requests=unlimited)) as srv:
        began = time.perf_counter()
        load = concurrent_raters(srv.base_url, study.rater_token, RATERS, ANSWERS)
        elapsed = time.perf_counter() - began
        app = srv.app

    rows = study.store.judgements()
    load.check_stored(rows, RATERS, ANSWERS)  # nothing lost, nothing stored twice
    # the schedule's tallies agree with the database
    counts = Counter(r.task for r in rows)
    assert app.wins.sum() == counts["pair"]
    assert app.rated.sum() == counts["rating"] and app.rapid.sum() == counts["rapid"]
    assert elapsed < 60, f"{RATERS * ANSWERS} answers took {elapsed:.1f} s"
    study.close()


def test_quick_next_calls_of_one_rater_never_show_an_image_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two images per model, two calls at once: each call must see what the other recorded."""
    study = folder_study(tmp_path, n=2)
    app = RatingApp(study, seed=0, rounds=20)
    shown, overlaps = race_pair_trials([app, app], 10, 0.03, monkeypatch)
    for images in shown:
        assert len(images) == 4 and len(set(images)) == 4, images
    assert overlaps == []
    study.close()
