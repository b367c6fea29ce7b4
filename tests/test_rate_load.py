"""Concurrent simulated raters on loopback: no judgement lost, none stored twice."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from ganforge.rate import Limits, RatingApp
from ganforge.rate.security import Limit

from .rate_helpers import concurrent_raters, folder_study, running

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

    assert load.failures == []
    rows = study.store.judgements()
    stored = [r.trial_id for r in rows]
    assert len(stored) == len(set(stored)) == RATERS * ANSWERS  # nothing lost, nothing twice
    assert set(stored) == set(load.acked)
    assert load.refused == RATERS * ((ANSWERS + 3) // 4)
    per_rater = Counter(r.rater_id for r in rows)
    assert len(per_rater) == RATERS and set(per_rater.values()) == {ANSWERS}
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
    store = app.store
    read_seen, issue = store.seen_images, store.issue_trial
    busy: Counter[str] = Counter()  # sequences of a rater between reading 'seen' and recording
    overlaps: list[str] = []
    lock = threading.Lock()

    def slow_seen(rater: str, task: str) -> set[str]:
        with lock:
            busy[rater] += 1
            if busy[rater] > 1:
                overlaps.append(rater)
        seen = read_seen(rater, task)
        time.sleep(0.03)  # widen the window a racing call would slip into
        return seen

    def recorded(rater: str, *args: object, **kwargs: object) -> object:
        try:
            return issue(rater, *args, **kwargs)
        finally:
            with lock:
                busy[rater] -= 1

    monkeypatch.setattr(store, "seen_images", slow_seen)
    monkeypatch.setattr(store, "issue_trial", recorded)
    for _ in range(10):
        rater = store.add_rater()
        start = threading.Barrier(2)

        def ask(rater: str = rater, start: threading.Barrier = start) -> None:
            start.wait(timeout=10)
            app.next_trial(rater, "pair")

        callers = [threading.Thread(target=ask) for _ in range(2)]
        for t in callers:
            t.start()
        for t in callers:
            t.join(30)
        shown = [
            image
            for trial_images in store.db.query(
                "SELECT image_a, image_b FROM trials WHERE rater_id = ?", (rater,)
            )
            for image in trial_images
        ]
        assert len(shown) == 4 and len(set(shown)) == 4, shown
    assert overlaps == []
    study.close()
