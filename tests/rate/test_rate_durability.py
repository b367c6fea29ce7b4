"""A server killed with SIGKILL loses no acknowledged judgement (one commit per answer)."""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import threading
import time
from pathlib import Path

from ganforge.rate import open_study

from .rate_helpers import Rater, folder_study, start_server


def test_sigkill_loses_no_acknowledged_judgement(tmp_path: Path) -> None:
    study = folder_study(tmp_path)
    study.close()
    command = ["-m", "ganforge.cli", "rate", "--study", str(study.path), "--port", "0"]
    proc, base, token, _ = start_server([sys.executable, *command])
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        rater = Rater(base)
        assert rater.join(token) == 200
        for k in range(12):
            task = ("pair", "rating", "rapid")[k % 3]
            trial = rater.next(task)
            fields = {
                "pair": {"choice": trial["images"][0]["id"]},
                "rating": {"rating": 1 + k % 5},
                "rapid": {"choice": "fake", "shown_ms": 500.0},
            }[task]
            status, _ = rater.answer(trial, **fields)
            assert status == 200
            acked.append(trial["trial"])

        def hammer(own: Rater) -> None:  # answers still in flight when the server dies
            while not stop.is_set():
                try:
                    status, trial = own.post("/api/next", {"task": "rating"})
                    if status == 200:
                        status, _ = own.answer(trial, rating=3)
                except OSError:
                    return
                if status == 200:
                    with lock:
                        acked.append(trial["trial"])
                elif status == 429:
                    time.sleep(0.05)

        raters = [Rater(base) for _ in range(4)]
        assert all(r.join(token) == 200 for r in raters)
        threads = [threading.Thread(target=hammer, args=(r,)) for r in raters]
        for t in threads:
            t.start()
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    for t in threads:
        t.join(10)
        assert not t.is_alive()
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) > 12  # some answers were acknowledged while the server was being killed

    raw = sqlite3.connect(study.path / "study.db")  # recovers the WAL like any new reader
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = [row[0] for row in raw.execute("SELECT trial_id FROM judgements")]
    raw.close()
    assert len(stored) == len(set(stored))
    assert set(acked) <= set(stored)
    reopened = open_study(study.path)
    assert reopened.store.count() == len(stored)
    reopened.close()
