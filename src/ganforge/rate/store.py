"""The study's tables: models, images, raters, issued trials and their judgements.

The same DDL and queries run on SQLite and PostgreSQL. Ids are random text chosen by the
server, so images cannot be told apart by their id; a judgement's primary key is the trial it
answers, so a retried or duplicated answer can never be stored twice.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ganforge.rate.db import Database

TASKS = ("pair", "rating", "rapid")
RAPID_ANSWERS = ("real", "fake")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS studies (
        id TEXT PRIMARY KEY,
        created DOUBLE PRECISION NOT NULL,
        settings TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS models (
        id TEXT PRIMARY KEY,
        study_id TEXT NOT NULL REFERENCES studies(id),
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('generated', 'real')),
        source TEXT NOT NULL,
        position INTEGER NOT NULL,
        UNIQUE (study_id, name)
    )""",
    """CREATE TABLE IF NOT EXISTS images (
        id TEXT PRIMARY KEY,
        study_id TEXT NOT NULL REFERENCES studies(id),
        model_id TEXT NOT NULL REFERENCES models(id),
        file TEXT NOT NULL,
        ordinal INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS raters (
        id TEXT PRIMARY KEY,
        study_id TEXT NOT NULL REFERENCES studies(id),
        created DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS trials (
        id TEXT PRIMARY KEY,
        study_id TEXT NOT NULL REFERENCES studies(id),
        rater_id TEXT NOT NULL REFERENCES raters(id),
        task TEXT NOT NULL CHECK (task IN ('pair', 'rating', 'rapid')),
        image_a TEXT NOT NULL REFERENCES images(id),
        image_b TEXT REFERENCES images(id),
        exposure_ms INTEGER,
        issued_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS judgements (
        trial_id TEXT PRIMARY KEY REFERENCES trials(id),
        study_id TEXT NOT NULL REFERENCES studies(id),
        rater_id TEXT NOT NULL REFERENCES raters(id),
        task TEXT NOT NULL CHECK (task IN ('pair', 'rating', 'rapid')),
        image_a TEXT NOT NULL REFERENCES images(id),
        image_b TEXT REFERENCES images(id),
        exposure_ms INTEGER,
        choice TEXT,
        rating INTEGER CHECK (rating BETWEEN 1 AND 5),
        issued_at DOUBLE PRECISION NOT NULL,
        answered_at DOUBLE PRECISION NOT NULL,
        response_ms DOUBLE PRECISION NOT NULL,
        shown_ms DOUBLE PRECISION
    )""",
    "CREATE INDEX IF NOT EXISTS images_by_study ON images (study_id)",
    "CREATE INDEX IF NOT EXISTS trials_by_rater ON trials (rater_id)",
    "CREATE INDEX IF NOT EXISTS judgements_by_study ON judgements (study_id, answered_at)",
)


def new_id(nbytes: int = 8) -> str:
    """A random hex id (no order or grouping can be read from it)."""
    return secrets.token_hex(nbytes)


@dataclass(frozen=True)
class Model:
    """One contestant of a study: a run, an image folder, or the real data."""

    id: str
    name: str
    kind: str  # generated | real
    source: str
    position: int


@dataclass(frozen=True)
class Image:
    """One stored image of a model."""

    id: str
    model_id: str
    file: str


@dataclass(frozen=True)
class Trial:
    """What the server showed a rater: task, images (left, right), exposure, when."""

    id: str
    rater_id: str
    task: str
    image_a: str
    image_b: str | None
    exposure_ms: int | None
    issued_at: float


@dataclass(frozen=True)
class Judgement:
    """A stored answer with the trial it answers."""

    trial_id: str
    rater_id: str
    task: str
    image_a: str
    image_b: str | None
    exposure_ms: int | None
    choice: str | None
    rating: int | None
    issued_at: float
    answered_at: float
    response_ms: float
    shown_ms: float | None


class StudyStore:
    """Reads and writes one study's rows."""

    def __init__(self, db: Database, study_id: str) -> None:
        self.db = db
        self.study_id = study_id

    @staticmethod
    def init_schema(db: Database) -> None:
        """Create the tables (idempotent)."""
        with db.transaction() as conn:
            for statement in SCHEMA:
                db.execute(statement, conn=conn)

    @classmethod
    def create(cls, db: Database, settings: dict[str, Any]) -> StudyStore:
        """A new study row with its settings."""
        cls.init_schema(db)
        study_id = new_id()
        db.execute(
            "INSERT INTO studies (id, created, settings) VALUES (?, ?, ?)",
            (study_id, time.time(), json.dumps(settings)),
        )
        return cls(db, study_id)

    def exists(self) -> bool:
        """Whether the study row is present."""
        return bool(self.db.query("SELECT 1 FROM studies WHERE id = ?", (self.study_id,)))

    def settings(self) -> dict[str, Any]:
        """The settings stored at creation."""
        rows = self.db.query("SELECT settings FROM studies WHERE id = ?", (self.study_id,))
        return json.loads(rows[0][0]) if rows else {}

    def add_model(
        self, name: str, kind: str, source: str, images: Iterable[tuple[str, str]]
    ) -> Model:
        """Register a model and its (image id, file) rows in one transaction."""
        with self.db.transaction() as conn:
            position = self.db.query(
                "SELECT COUNT(*) FROM models WHERE study_id = ?", (self.study_id,), conn=conn
            )[0][0]
            model = Model(new_id(), name, kind, source, int(position))
            self.db.execute(
                "INSERT INTO models (id, study_id, name, kind, source, position) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (model.id, self.study_id, name, kind, source, model.position),
                conn=conn,
            )
            for ordinal, (image_id, file) in enumerate(images):
                self.db.execute(
                    "INSERT INTO images (id, study_id, model_id, file, ordinal) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (image_id, self.study_id, model.id, file, ordinal),
                    conn=conn,
                )
        return model

    def models(self) -> list[Model]:
        """The study's models in the order they were added."""
        rows = self.db.query(
            "SELECT id, name, kind, source, position FROM models WHERE study_id = ? "
            "ORDER BY position",
            (self.study_id,),
        )
        return [Model(*row) for row in rows]

    def images(self) -> list[Image]:
        """Every image of the study."""
        rows = self.db.query(
            "SELECT id, model_id, file FROM images WHERE study_id = ? ORDER BY model_id, ordinal",
            (self.study_id,),
        )
        return [Image(*row) for row in rows]

    def add_rater(self) -> str:
        """A new rater id."""
        rater = new_id()
        self.db.execute(
            "INSERT INTO raters (id, study_id, created) VALUES (?, ?, ?)",
            (rater, self.study_id, time.time()),
        )
        return rater

    def rater_exists(self, rater_id: str) -> bool:
        """Whether ``rater_id`` joined this study."""
        rows = self.db.query(
            "SELECT 1 FROM raters WHERE id = ? AND study_id = ?", (rater_id, self.study_id)
        )
        return bool(rows)

    def issue_trial(
        self,
        rater_id: str,
        task: str,
        image_a: str,
        image_b: str | None = None,
        exposure_ms: int | None = None,
    ) -> Trial:
        """Record what is about to be shown to a rater."""
        trial = Trial(new_id(), rater_id, task, image_a, image_b, exposure_ms, time.time())
        self.db.execute(
            "INSERT INTO trials (id, study_id, rater_id, task, image_a, image_b, exposure_ms, "
            "issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                trial.id,
                self.study_id,
                rater_id,
                task,
                image_a,
                image_b,
                exposure_ms,
                trial.issued_at,
            ),
        )
        return trial

    def trial(self, trial_id: str) -> Trial | None:
        """The trial ``trial_id`` of this study, or None."""
        rows = self.db.query(
            "SELECT id, rater_id, task, image_a, image_b, exposure_ms, issued_at FROM trials "
            "WHERE id = ? AND study_id = ?",
            (trial_id, self.study_id),
        )
        return Trial(*rows[0]) if rows else None

    def seen_images(self, rater_id: str, task: str) -> set[str]:
        """Images already shown to a rater in a task."""
        rows = self.db.query(
            "SELECT image_a, image_b FROM trials WHERE rater_id = ? AND task = ?",
            (rater_id, task),
        )
        return {image for row in rows for image in row if image is not None}

    def record(
        self,
        trial: Trial,
        choice: str | None,
        rating: int | None,
        response_ms: float,
        shown_ms: float | None,
    ) -> bool:
        """Store the answer to ``trial``; False when that trial was already answered."""
        added = self.db.execute(
            "INSERT INTO judgements (trial_id, study_id, rater_id, task, image_a, image_b, "
            "exposure_ms, choice, rating, issued_at, answered_at, response_ms, shown_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (trial_id) DO NOTHING",
            (
                trial.id,
                self.study_id,
                trial.rater_id,
                trial.task,
                trial.image_a,
                trial.image_b,
                trial.exposure_ms,
                choice,
                rating,
                trial.issued_at,
                time.time(),
                response_ms,
                shown_ms,
            ),
        )
        return added == 1

    def judgements(self) -> list[Judgement]:
        """Every judgement of the study in the order answers arrived."""
        rows = self.db.query(
            "SELECT trial_id, rater_id, task, image_a, image_b, exposure_ms, choice, rating, "
            "issued_at, answered_at, response_ms, shown_ms FROM judgements WHERE study_id = ? "
            "ORDER BY answered_at, trial_id",
            (self.study_id,),
        )
        return [Judgement(*row) for row in rows]

    def answers_since(self, after: float) -> list[tuple]:
        """(trial, task, image_a, image_b, choice, answered_at) of the judgements answered
        after ``after`` (seconds since the epoch)."""
        rows = self.db.query(
            "SELECT trial_id, task, image_a, image_b, choice, answered_at FROM judgements "
            "WHERE study_id = ? AND answered_at > ?",
            (self.study_id, after),
        )
        return [tuple(row) for row in rows]

    def count(self, rater_id: str | None = None) -> int:
        """Number of judgements (of one rater, or of the whole study)."""
        if rater_id is None:
            rows = self.db.query(
                "SELECT COUNT(*) FROM judgements WHERE study_id = ?", (self.study_id,)
            )
        else:
            rows = self.db.query(
                "SELECT COUNT(*) FROM judgements WHERE study_id = ? AND rater_id = ?",
                (self.study_id, rater_id),
            )
        return int(rows[0][0])
