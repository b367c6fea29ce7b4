"""Helpers for the rating-server tests: tiny image folders, a study, an HTTP rater client."""

from __future__ import annotations

import http.client
import json
import os
import pwd
import random
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image

from ganforge.rate import Limits, RatingApp, RatingServer, Study, create_study, make_server
from ganforge.rate.store import Judgement


def image_folder(root: Path, n: int, seed: int, smooth: bool) -> Path:
    """``n`` 16x16 RGB PNGs: smooth gradients (the 'real' look) or noise."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        if smooth:
            ramp = np.linspace(0, 255, 16)
            array = np.stack([np.add.outer(ramp, ramp) / 2] * 3, -1) * rng.uniform(0.3, 1.0)
        else:
            array = rng.integers(0, 256, (16, 16, 3))
        Image.fromarray(array.astype(np.uint8)).save(root / f"{i:03d}.png")
    return root


def folder_study(tmp: Path, n: int = 6, db_url: str | None = None, **kwargs: Any) -> Study:
    """A study of two image folders and a real folder (no training needed)."""
    a = image_folder(tmp / "model-a", n, 1, smooth=False)
    b = image_folder(tmp / "model-b", n, 2, smooth=False)
    real = image_folder(tmp / "real-images", n, 3, smooth=True)
    return create_study(
        [a, b], tmp / "study", real=str(real), n_images=n, db_url=db_url, size=16, **kwargs
    )


@contextmanager
def running(
    study: Study,
    limits: Limits | None = None,
    host: str = "127.0.0.1",
    request_timeout: float = 30.0,
    **kwargs: Any,
) -> Iterator[RatingServer]:
    """Serve ``study`` (uvicorn, one process) on a free port of ``host`` in a background thread."""
    serving = {k: kwargs.pop(k) for k in ("proxy_headers", "root_path") if k in kwargs}
    app = RatingApp(study, limits=limits or Limits(), seed=0, rounds=20, **kwargs)
    server = make_server(app, host, 0, request_timeout=request_timeout, **serving)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(10)
        server.close()


class Rater:
    """A scripted rater: joins with a link, keeps its cookie and CSRF token, calls the API."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.origin = f"{parts.scheme}://{parts.netloc}"  # an IPv6 host keeps its brackets
        self.cookie: str | None = None
        self.csrf: str | None = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request on a fresh connection; returns (status, headers, body). A POST
        names this server as its Origin unless ``headers`` give one.

        The headers are looked up without regard to case, as HTTP defines them.
        """
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        sent = dict(headers or {})
        if method == "POST":  # as a browser does; {"Origin": None} leaves it out
            sent.setdefault("Origin", self.origin)
            if sent["Origin"] is None:
                del sent["Origin"]
        if self.cookie and "Cookie" not in sent:
            sent["Cookie"] = self.cookie
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def join(self, token: str) -> int:
        """Open the study link; on success keep the session cookie and the page's CSRF token."""
        status, headers, _ = self.request("GET", f"/join/{token}")
        if status != 303:
            return status
        self.cookie = headers["Set-Cookie"].split(";", 1)[0]
        status, _, page = self.request("GET", "/")
        match = re.search(rb'data-csrf="([0-9a-f]+)"', page)
        assert status == 200 and match, page[:200]
        self.csrf = match.group(1).decode()
        return 200

    def post(
        self, path: str, payload: Any, csrf: str | None = "own", extra: dict | None = None
    ) -> tuple[int, dict[str, Any]]:
        """POST JSON with the session's CSRF token (``csrf=None`` leaves it out)."""
        headers = {"Content-Type": "application/json", **(extra or {})}
        token = self.csrf if csrf == "own" else csrf
        if token is not None:
            headers["X-CSRF-Token"] = token
        status, _, body = self.request("POST", path, json.dumps(payload).encode(), headers)
        return status, json.loads(body) if body else {}

    def next(self, task: str) -> dict[str, Any]:
        """Ask for a trial; fails the test unless it is granted."""
        status, data = self.post("/api/next", {"task": task})
        assert status == 200, data
        return data

    def answer(self, trial: dict[str, Any], **fields: Any) -> tuple[int, dict[str, Any]]:
        """Answer ``trial`` with the shown images and the given fields."""
        payload = {
            "trial": trial["trial"],
            "images": [im["id"] for im in trial["images"]],
            "response_ms": 800,
            **fields,
        }
        return self.post("/api/answer", payload)


def start_server(argv: list[str]) -> tuple[subprocess.Popen, str, str, list[str]]:
    """Run a rating server command until it prints the rater link.

    Returns the process, its base URL, the rater token and the lines it printed so far.
    """
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 90
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(r"(http://127\.0\.0\.1:\d+)/join/(\S+)", line)
        if match:
            return proc, match.group(1), match.group(2), seen
    proc.kill()
    raise AssertionError("server did not start:\n" + "".join(seen))


@dataclass
class Load:
    """What concurrent raters were told: trials acknowledged (200), copies refused (409)."""

    acked: list[str] = field(default_factory=list)
    refused: int = 0
    failures: list[str] = field(default_factory=list)

    def check_stored(self, rows: list[Judgement], raters: int, answers: int) -> None:
        """Nothing lost, nothing stored twice: each acknowledged answer is one stored row,
        every duplicate copy was refused, and each rater has ``answers`` rows."""
        assert self.failures == []
        stored = [r.trial_id for r in rows]
        assert len(stored) == len(set(stored)) == raters * answers
        assert set(stored) == set(self.acked)
        assert self.refused == raters * ((answers + 3) // 4)
        per_rater = Counter(r.rater_id for r in rows)
        assert len(per_rater) == raters and set(per_rater.values()) == {answers}


def concurrent_raters(base: str, token: str, raters: int, answers: int) -> Load:
    """``raters`` threads join and answer ``answers`` trials each (the tasks in turn); every
    fourth answer is sent twice at once (a double click, a client retry), and of the two
    copies exactly one must be acknowledged and the other refused with 409."""
    load = Load()
    lock = threading.Lock()
    start = threading.Barrier(raters)

    def judge(k: int) -> None:
        rng = random.Random(k)
        rater = Rater(base)
        if rater.join(token) != 200:
            load.failures.append(f"rater {k} could not join")
            return
        start.wait(timeout=60)
        for i in range(answers):
            task = ("pair", "rating", "rapid")[(k + i) % 3]
            trial = rater.next(task)
            if task == "pair":
                fields = {"choice": trial["images"][rng.randrange(2)]["id"]}
            elif task == "rating":
                fields = {"rating": rng.randint(1, 5)}
            else:
                fields = {"choice": rng.choice(["real", "fake"]), "shown_ms": 500.0}
            copies = 2 if i % 4 == 0 else 1
            codes: list[int] = []

            def send(trial: dict = trial, fields: dict = fields, codes: list = codes) -> None:
                codes.append(rater.answer(trial, **fields)[0])

            senders = [threading.Thread(target=send) for _ in range(copies)]
            for s in senders:
                s.start()
            for s in senders:
                s.join()
            with lock:
                if sorted(codes) != ([200, 409] if copies == 2 else [200]):
                    load.failures.append(f"rater {k} answer {i}: {codes}")
                load.acked.append(trial["trial"])
                load.refused += codes.count(409)

    def rater_loop(k: int) -> None:
        try:
            judge(k)
        except Exception as exc:  # a crash in a thread must fail the test, not vanish
            load.failures.append(f"rater {k}: {exc!r}")

    threads = [threading.Thread(target=rater_loop, args=(k,)) for k in range(raters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return load


def race_pair_trials(
    apps: list[RatingApp], rounds: int, delay: float, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[list[str]], list[str]]:
    """For ``rounds`` new raters, two ``next_trial(rater, "pair")`` calls at once, one through
    each of the two ``apps`` (the same app twice, or two apps on one database), with the window
    between reading what the rater saw and recording the trial widened by ``delay`` seconds.

    Returns the images each rater was shown and the raters whose windows overlapped.
    """
    busy: Counter[str] = Counter()  # calls of a rater between reading 'seen' and recording
    overlaps: list[str] = []
    lock = threading.Lock()
    for store in {id(app.store): app.store for app in apps}.values():
        read_seen, issue = store.seen_images, store.issue_trial

        def slow_seen(rater: str, task: str, read_seen: Any = read_seen) -> set[str]:
            with lock:
                busy[rater] += 1
                if busy[rater] > 1:
                    overlaps.append(rater)
            seen = read_seen(rater, task)
            time.sleep(delay)  # widen the window a racing call would slip into
            return seen

        def recorded(rater: str, *args: Any, issue: Any = issue, **kwargs: Any) -> Any:
            try:
                return issue(rater, *args, **kwargs)
            finally:
                with lock:
                    busy[rater] -= 1

        monkeypatch.setattr(store, "seen_images", slow_seen)
        monkeypatch.setattr(store, "issue_trial", recorded)
    shown = []
    for _ in range(rounds):
        rater = apps[0].join()
        start = threading.Barrier(2)

        def ask(app: RatingApp, rater: str = rater, start: threading.Barrier = start) -> None:
            start.wait(timeout=10)
            app.next_trial(rater, "pair")

        callers = [threading.Thread(target=ask, args=(app,)) for app in apps]
        for t in callers:
            t.start()
        for t in callers:
            t.join(30)
        rows = apps[0].store.db.query(
            "SELECT image_a, image_b FROM trials WHERE rater_id = ?", (rater,)
        )
        shown.append([image for row in rows for image in row])
    return shown, overlaps


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL server (Debian's package) on a Unix socket for this test session."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install psycopg[binary])")
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="gf-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as 'postgres'
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()
    options = f"-k {root} -c listen_addresses= -p {port} -c fsync=off"
    try:
        subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(root / "log"),
                "start",
            ],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start PostgreSQL: {exc.stderr.decode()[-300:]}")
    try:
        yield f"postgresql://postgres@/postgres?host={root}&port={port}"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each backend in turn: a SQLite file, then the session's PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "db" / "study.db")
    return request.getfixturevalue("postgres_url")


CHROMIUM = Path("/usr/bin/chromium")
# Debian chromium headless as root on a closed network (see the machine notes): no sandbox, no
# background networking, no GPU, a fresh profile per launch (Playwright makes one).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian chromium driven by Playwright; skips when either is missing."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
