"""Storage on SQLite (WAL) and PostgreSQL: durable, duplicate-proof, parameterised."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganforge.errors import GanforgeError
from ganforge.rate.db import Database
from ganforge.rate.schedule import choose_image, choose_least, choose_pair, pair_probabilities
from ganforge.rate.store import StudyStore

from .rate_helpers import db_url, postgres_url  # noqa: F401  (fixtures)

NASTY = "x'); DROP TABLE judgements; --"


def _study(url: str) -> StudyStore:
    store = StudyStore.create(Database(url), {"size": [8, 8]})
    store.add_model(
        "a", "generated", "runs/a", [(f"{store.study_id}-a{i}", f"a{i}.png") for i in range(3)]
    )
    store.add_model(
        NASTY, "real", NASTY, [(f"{store.study_id}-r{i}", f"r{i}.png") for i in range(3)]
    )
    return store


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.db")
    with db.connection() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_round_trip_and_duplicate_answers_are_stored_once(db_url: str) -> None:  # noqa: F811
    store = _study(db_url)
    models = store.models()
    assert [m.name for m in models] == ["a", NASTY]  # stored verbatim: values never touch SQL
    assert store.settings() == {"size": [8, 8]}
    rater = store.add_rater()
    images = store.images()
    trial = store.issue_trial(rater, "pair", images[0].id, images[3].id)
    assert store.trial(trial.id) == trial
    assert store.record(trial, images[3].id, None, 812.5, None) is True
    assert store.record(trial, images[0].id, None, 10.0, None) is False
    (row,) = store.judgements()
    assert (row.rater_id, row.image_a, row.image_b, row.choice) == (
        rater,
        images[0].id,
        images[3].id,
        images[3].id,
    )
    assert row.response_ms == 812.5 and row.answered_at >= row.issued_at
    assert store.count(rater) == 1
    assert store.seen_images(rater, "pair") == {images[0].id, images[3].id}


def test_rapid_trial_keeps_its_exposure(db_url: str) -> None:  # noqa: F811
    store = _study(db_url)
    rater = store.add_rater()
    trial = store.issue_trial(rater, "rapid", store.images()[0].id, exposure_ms=250)
    store.record(trial, "fake", None, 600.0, 251.3)
    (row,) = store.judgements()
    assert (row.exposure_ms, row.shown_ms, row.choice) == (250, 251.3, "fake")


def test_studies_sharing_a_database_do_not_see_each_other(db_url: str) -> None:  # noqa: F811
    first, second = _study(db_url), _study(db_url)
    rater = first.add_rater()
    assert not second.rater_exists(rater) and first.rater_exists(rater)
    trial = first.issue_trial(rater, "rating", first.images()[0].id)
    assert second.trial(trial.id) is None
    assert {im.id for im in first.images()}.isdisjoint(im.id for im in second.images())


def test_database_checks_refuse_out_of_range_values(db_url: str) -> None:  # noqa: F811
    store = _study(db_url)
    rater = store.add_rater()
    trial = store.issue_trial(rater, "rating", store.images()[0].id)
    with pytest.raises(Exception, match=r"(?i)check"):
        store.record(trial, None, 9, 100.0, None)
    assert store.judgements() == []


def test_transaction_rolls_back_on_error(db_url: str) -> None:  # noqa: F811
    store = _study(db_url)
    with pytest.raises(RuntimeError), store.db.transaction() as conn:
        store.db.execute(
            "INSERT INTO raters (id, study_id, created) VALUES (?, ?, ?)",
            ("r-rolled-back", store.study_id, 0.0),
            conn=conn,
        )
        raise RuntimeError("boom")
    assert not store.rater_exists("r-rolled-back")


def test_sql_text_with_percent_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="parameters"):
        Database(tmp_path / "s.db").query("SELECT '100%'")


def test_bad_sqlite_path_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(GanforgeError, match="cannot open SQLite database"):
        Database(tmp_path / "file" / "s.db")
    with pytest.raises(GanforgeError, match="cannot open SQLite database"):
        Database(tmp_path)  # a folder, not a file


def test_schedule_favours_uncertain_and_rarely_compared_pairs() -> None:
    wins = np.zeros((3, 3))
    wins[0, 1], wins[1, 0] = 20, 20  # 0-1 compared 40 times, 0-2 and 1-2 never
    probs = pair_probabilities(wins)
    assert probs[np.triu_indices(3, 1)].sum() == pytest.approx(1.0)
    assert probs[0, 2] > 5 * probs[0, 1] and probs[1, 2] > 5 * probs[0, 1]
    # equal games: the close pair (0 vs 1) beats the lopsided pair (0 vs 2)
    lopsided = np.array([[0, 10, 19], [10, 0, 10], [1, 10, 0]], dtype=float)
    probs = pair_probabilities(lopsided)
    assert probs[0, 1] > probs[0, 2]
    rng = np.random.default_rng(0)
    drawn = [choose_pair(wins, rng) for _ in range(300)]
    assert all(i < j for i, j in drawn)
    assert sum(p == (0, 1) for p in drawn) < 60  # about 5% expected, never starved below 1%
    assert sum(p == (0, 1) for p in drawn) >= 1


def test_balanced_and_fresh_draws() -> None:
    rng = np.random.default_rng(0)
    assert {choose_least([3, 1, 1, 5], rng) for _ in range(50)} == {1, 2}
    assert {choose_image(["a", "b", "c"], {"a", "b"}, rng) for _ in range(20)} == {"c"}
    assert choose_image(["a"], {"a"}, rng) == "a"
