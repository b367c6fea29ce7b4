"""What the rating page does for one study, apart from HTTP: sessions, the schedule, answers.

``RatingApp`` decides which images a rater sees next and validates and stores each answer;
the web layer (``rate.web``) only turns requests into these calls. The schedule counts the
judgements in the store (``Tallies``), so several server processes sharing one PostgreSQL
database schedule from the same numbers, and a per-rater lock held in the database (besides
the process's own) keeps two quick requests of one rater from being shown the same image.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ganforge.rate.results import compute
from ganforge.rate.schedule import choose_image, choose_least, choose_pair
from ganforge.rate.security import Limit, rater_from_cookie
from ganforge.rate.store import RAPID_ANSWERS, StudyStore, Trial
from ganforge.rate.study import Study, check_exposure

MAX_MS = 3_600_000.0
# an answer is committed within this long of the time stamped on it (SQLite waits at most 30 s
# for a lock), so answers stamped earlier are all visible and need not be read again
SETTLE_S = 60.0


@dataclass(frozen=True)
class Limits:
    """Rate limits: API calls per rater, new sessions per address, all requests per address."""

    api: Limit = field(default_factory=lambda: Limit(rate=10.0, burst=30.0))
    join: Limit = field(default_factory=lambda: Limit(rate=0.5, burst=20.0))
    requests: Limit = field(default_factory=lambda: Limit(rate=200.0, burst=400.0))


DEFAULT_LIMITS = Limits()


class HttpError(Exception):
    """A request refused with ``status`` and a message for the rater."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _number(payload: dict[str, Any], key: str, required: bool = True) -> float | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise HttpError(400, f"{key} must be a number of milliseconds")
    if not math.isfinite(value) or not 0 <= value <= MAX_MS:
        raise HttpError(400, f"{key} must lie in [0, {int(MAX_MS)}] ms")
    return float(value)


class Tallies:
    """The schedule's counts of stored judgements, updated by reading only recent answers.

    ``wins[i, j]``: pairwise judgements preferring model i to model j; ``rated`` and ``rapid``:
    judgements per model in those tasks. Each ``refresh`` reads the answers stamped after
    ``settled`` (every older one was counted), skips those already counted, then moves
    ``settled`` up to ``SETTLE_S`` seconds ago. Not thread-safe: the caller holds a lock.
    """

    def __init__(self, store: StudyStore, model_of: dict[str, int], n_models: int) -> None:
        self.store = store
        self.model_of = model_of
        self.wins = np.zeros((n_models, n_models))
        self.rated = np.zeros(n_models, dtype=int)
        self.rapid = np.zeros(n_models, dtype=int)
        self.settled = 0.0
        self.recent: dict[str, float] = {}  # answers stamped after ``settled``, already counted

    def refresh(self) -> None:
        """Count the answers stored since the last refresh (by any process)."""
        for trial, task, image_a, image_b, choice, answered_at in self.store.answers_since(
            self.settled
        ):
            if trial in self.recent:
                continue
            self.recent[trial] = answered_at
            a = self.model_of[image_a]
            if task == "pair" and image_b is not None:
                b = self.model_of[image_b]
                winner, loser = (a, b) if choice == image_a else (b, a)
                if winner != loser:
                    self.wins[winner, loser] += 1
            elif task == "rating":
                self.rated[a] += 1
            elif task == "rapid":
                self.rapid[a] += 1
        self.settled = max(self.settled, time.time() - SETTLE_S)
        self.recent = {t: at for t, at in self.recent.items() if at > self.settled}


class RatingApp:
    """One study's raters, schedule and answers (thread-safe; one instance per process)."""

    def __init__(
        self,
        study: Study,
        exposure_ms: int | None = None,
        feedback: bool | None = None,
        limits: Limits = Limits(),
        seed: int | None = None,
        rounds: int = 200,
    ) -> None:
        self.study = study
        self.store = study.store
        self.exposure_ms = check_exposure(exposure_ms or study.exposure_ms)
        self.feedback = study.feedback if feedback is None else feedback
        self.limits = limits
        self.rounds = rounds
        self.models = self.store.models()
        self.images = self.store.images()
        self.image_ids = {im.id for im in self.images}
        index = {m.id: i for i, m in enumerate(self.models)}
        self.model_of = {im.id: index[im.model_id] for im in self.images}
        self.by_model: dict[int, list[str]] = defaultdict(list)
        for im in self.images:
            self.by_model[self.model_of[im.id]].append(im.id)
        self.real = [i for i, m in enumerate(self.models) if m.kind == "real"]
        self.generated = [i for i, m in enumerate(self.models) if m.kind != "real"]
        self.files = {im.id: study.images_dir / im.file for im in self.images}
        self.lock = threading.Lock()  # the tallies, the random generator, the rater-lock table
        self.tallies = Tallies(self.store, self.model_of, len(self.models))
        self.rater_locks: dict[str, threading.Lock] = {}  # one per rater who asked for a trial
        self.rng = np.random.default_rng(seed)
        self.cookie_name = f"gf_{study.id[:8]}"
        self.known_raters: set[str] = set()  # raters found in the database (never removed)

    # what can be asked
    def tasks(self) -> list[str]:
        """Tasks this study supports: pairs need two models, rapid needs real and generated."""
        out = ["pair"] if len(self.models) >= 2 else []
        out.append("rating")
        if self.real and self.generated:
            out.append("rapid")
        return out

    # the schedule's tallies over every stored judgement
    def counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(wins, rated, rapid) over every judgement in the store, from any process."""
        with self.lock:
            self.tallies.refresh()
            return self.tallies.wins.copy(), self.tallies.rated.copy(), self.tallies.rapid.copy()

    @property
    def wins(self) -> np.ndarray:
        """wins[i, j]: pairwise judgements in which model i was preferred to model j."""
        return self.counts()[0]

    @property
    def rated(self) -> np.ndarray:
        """Ratings (1-5 task) per model."""
        return self.counts()[1]

    @property
    def rapid(self) -> np.ndarray:
        """Rapid real/fake judgements per model."""
        return self.counts()[2]

    # sessions
    def session_rater(self, cookie: str | None) -> str | None:
        """The rater of a session cookie: well signed, and a rater of this study's database."""
        rater = rater_from_cookie(self.study.secret, cookie)
        if rater is None or rater in self.known_raters:
            return rater
        # a well-signed cookie whose rater is not in this study's database (a database that
        # was replaced or restored) is no session: the browser must join again
        if not self.store.rater_exists(rater):
            return None
        self.known_raters.add(rater)
        return rater

    def join(self) -> str:
        """A new rater of this study."""
        rater = self.store.add_rater()
        self.known_raters.add(rater)
        return rater

    # trials and answers
    def next_trial(self, rater: str, task: str) -> Trial:
        """Choose and record the next stimulus for ``rater``."""
        if task not in self.tasks():
            raise HttpError(400, f"task must be one of {', '.join(self.tasks())}")
        with self.lock:
            rater_lock = self.rater_locks.setdefault(rater, threading.Lock())
        # read what was seen, choose, record: one step per rater, in this process and across
        # the processes that share the database
        with rater_lock, self.store.db.lock(f"ganforge-rate-rater:{rater}"):
            return self._issue(rater, task, self.store.seen_images(rater, task))

    def _issue(self, rater: str, task: str, seen: set[str]) -> Trial:
        """Choose the stimulus, preferring images ``rater`` has not seen, and record the trial."""
        with self.lock:
            self.tallies.refresh()
            if task == "pair":
                i, j = choose_pair(self.tallies.wins, self.rng)
                left = choose_image(self.by_model[i], seen, self.rng)
                right = choose_image(self.by_model[j], seen, self.rng)
                if self.rng.random() < 0.5:
                    left, right = right, left
                images: tuple[str, str | None] = (left, right)
            elif task == "rating":
                m = choose_least(self.tallies.rated, self.rng)
                images = (choose_image(self.by_model[m], seen, self.rng), None)
            else:
                pool = self.real if self.rng.random() < 0.5 else self.generated
                m = pool[choose_least(self.tallies.rapid[pool], self.rng)]
                images = (choose_image(self.by_model[m], seen, self.rng), None)
        exposure = self.exposure_ms if task == "rapid" else None
        return self.store.issue_trial(rater, task, images[0], images[1], exposure)

    def answer(self, rater: str, payload: Any) -> dict[str, Any]:
        """Validate and store one judgement; raises HttpError for anything out of place."""
        if not isinstance(payload, dict):
            raise HttpError(400, "the answer must be a JSON object")
        trial_id = payload.get("trial")
        if not isinstance(trial_id, str) or not 0 < len(trial_id) <= 64:
            raise HttpError(400, "trial must be the id given by /api/next")
        trial = self.store.trial(trial_id)
        if trial is None:
            raise HttpError(404, "unknown trial")
        if trial.rater_id != rater:
            raise HttpError(403, "this trial was issued to another rater")
        allowed = {"trial", "images", "response_ms"} | {
            "pair": {"choice"},
            "rating": {"rating"},
            "rapid": {"choice", "shown_ms"},
        }[trial.task]
        extra = set(payload) - allowed
        if extra:
            raise HttpError(400, f"unexpected field(s): {', '.join(sorted(extra))}")
        images = payload.get("images")
        if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
            raise HttpError(400, "images must be the list of image ids that were shown")
        foreign = [i for i in images if i not in self.image_ids]
        if foreign:
            raise HttpError(400, f"image {foreign[0][:32]!r} does not belong to this study")
        shown = [trial.image_a] + ([trial.image_b] if trial.image_b else [])
        if images != shown:
            raise HttpError(400, "images do not match the trial")
        choice, rating, shown_ms = None, None, None
        if trial.task == "pair":
            choice = payload.get("choice")
            if choice not in shown:
                raise HttpError(400, "choice must be the id of one of the two images")
        elif trial.task == "rating":
            rating = payload.get("rating")
            if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
                raise HttpError(400, "rating must be an integer from 1 to 5")
        else:
            choice = payload.get("choice")
            if choice not in RAPID_ANSWERS:
                raise HttpError(400, "choice must be 'real' or 'fake'")
            shown_ms = _number(payload, "shown_ms", required=False)
        response_ms = _number(payload, "response_ms")
        assert response_ms is not None
        if not self.store.record(trial, choice, rating, response_ms, shown_ms):
            raise HttpError(409, "this trial was already answered")
        reply: dict[str, Any] = {"recorded": True, "count": self.store.count(rater)}
        if trial.task == "rapid" and self.feedback:
            truth = "real" if self.models[self.model_of[trial.image_a]].kind == "real" else "fake"
            reply["feedback"] = {"correct": choice == truth, "truth": truth}
        return reply

    def results(self) -> dict[str, Any]:
        """The results computed from the stored judgements."""
        return compute(self.models, self.images, self.store.judgements(), rounds=self.rounds)
