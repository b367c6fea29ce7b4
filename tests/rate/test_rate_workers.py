"""Several server processes on one PostgreSQL store: one schedule, one lock per rater, and under
load through two uvicorn workers no judgement lost or stored twice."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from ganforge.rate import RatingApp, open_study
from ganforge.rate.rating import SETTLE_S, Tallies

from .rate_helpers import (  # noqa: F401  (postgres_url: fixture)
    concurrent_raters,
    folder_study,
    postgres_url,
    race_pair_trials,
    start_server,
)

RATERS = 16
ANSWERS = 10


def test_the_schedule_counts_answers_given_to_another_process(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    first = folder_study(tmp_path, n=2, db_url=postgres_url)
    second = open_study(first.path)  # another process's view: its own connections and tallies
    a, b = RatingApp(first, seed=0), RatingApp(second, seed=1)
    rater = a.join()
    for k in range(6):  # issued by one process, answered through the other
        issuer, receiver = (a, b) if k % 2 else (b, a)
        trial = issuer.next_trial(rater, "rating")
        payload = {"trial": trial.id, "images": [trial.image_a], "rating": 3, "response_ms": 1}
        assert receiver.answer(rater, payload)["recorded"]
    # least-rated first, over everyone's answers: 6 ratings of 3 models are 2 each
    assert a.rated.tolist() == b.rated.tolist() == [2, 2, 2]
    trial = a.next_trial(rater, "pair")
    payload = {"trial": trial.id, "images": [trial.image_a, trial.image_b], "response_ms": 1}
    b.answer(rater, {**payload, "choice": trial.image_b})
    assert a.wins.sum() == b.wins.sum() == 1
    assert a.wins[a.model_of[trial.image_b], a.model_of[trial.image_a]] == 1
    first.close()
    second.close()


def test_tallies_count_every_stored_answer_once_as_time_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = folder_study(tmp_path, n=2)
    app = RatingApp(study, seed=0)
    rater = app.join()
    start = time.time()
    clock = [start]
    monkeypatch.setattr(time, "time", lambda: clock[0])  # answer stamps and the tallies' clock

    def answer(task: str, at: float) -> None:
        clock[0] = at
        trial = app.next_trial(rater, task)
        shown = [trial.image_a] + ([trial.image_b] if trial.image_b else [])
        fields = {"pair": {"choice": shown[-1]}, "rating": {"rating": 2}}[task]
        app.answer(rater, {"trial": trial.id, "images": shown, "response_ms": 5, **fields})

    def matches_a_full_count() -> bool:
        fresh = Tallies(app.store, app.model_of, len(app.models))
        fresh.refresh()  # reads every stored answer
        counted = app.counts()
        return all((x == y).all() for x, y in zip(counted, (fresh.wins, fresh.rated, fresh.rapid)))

    for k in range(3):
        answer("rating", start + k)
    answer("pair", start + 30)
    assert matches_a_full_count() and app.rated.sum() == 3 and app.wins.sum() == 1
    clock[0] = start + 130  # everything so far is settled: counted, never read again
    assert matches_a_full_count() and app.tallies.settled == start + 130 - SETTLE_S
    assert app.tallies.recent == {}
    answer("rating", start + 80)  # stamped before now but after 'settled': a late commit
    clock[0] = start + 200
    assert matches_a_full_count() and app.rated.sum() == 4
    assert len(app.store.answers_since(app.tallies.settled)) == 0
    study.close()


def test_one_rater_never_sees_an_image_twice_across_processes(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two images per model; one rater's two calls reach two processes at once."""
    first = folder_study(tmp_path, n=2, db_url=postgres_url)
    second = open_study(first.path)  # its own connections and thread locks
    apps = [RatingApp(first, seed=0), RatingApp(second, seed=0)]
    shown, overlaps = race_pair_trials(apps, 5, 0.05, monkeypatch)
    for images in shown:
        assert len(images) == 4 and len(set(images)) == 4, images
    assert overlaps == []
    first.close()
    second.close()


SERVE = """
import sys
from ganforge.rate import Limits, open_study, serve
from ganforge.rate.security import Limit
free = Limit(rate=1e6, burst=1e6)
serve(open_study(sys.argv[1]), port=0, workers=2, limits=Limits(free, free, free),
      announce=lambda line: print(line, flush=True))
"""


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _workers(parent: int) -> list[int]:
    """The parent's uvicorn worker processes (spawned by multiprocessing)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _idle_workers(parent: int, deadline: float) -> dict[int, float]:
    """Wait until both workers have started and gone idle; their CPU seconds then."""
    before: dict[int, float] = {}
    while time.monotonic() < deadline:
        now = {pid: _cpu_seconds(pid) for pid in _workers(parent)}
        settled = now.keys() == before.keys() and all(now[p] - before[p] < 0.02 for p in now)
        if len(now) == 2 and settled:
            return now
        before = now
        time.sleep(0.5)
    raise AssertionError("the two workers did not start")


def test_two_uvicorn_workers_on_one_postgresql_store_lose_and_duplicate_nothing(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    study = folder_study(tmp_path, n=8, db_url=postgres_url)
    study.close()
    proc, base, token, printed = start_server([sys.executable, "-c", SERVE, str(study.path)])
    try:
        assert "2 worker processes" in printed[0]
        idle = _idle_workers(proc.pid, time.monotonic() + 90)
        load = concurrent_raters(base, token, RATERS, ANSWERS)  # copies may reach either worker
        busy = {pid: _cpu_seconds(pid) - idle[pid] for pid in idle}
        assert sorted(_workers(proc.pid)) == sorted(idle)  # both still alive
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()

    reopened = open_study(study.path)
    load.check_stored(reopened.store.judgements(), RATERS, ANSWERS)
    # both workers served: each spent a real share of the CPU time the load took
    assert min(busy.values()) > 0.15 * sum(busy.values()), busy
    reopened.close()
