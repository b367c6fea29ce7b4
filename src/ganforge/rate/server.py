"""The rating web server, on the standard library's ThreadingHTTPServer (no framework).

Routes: ``GET /join/<rater token>`` starts a rater session (signed cookie) and redirects to
``/``, the task page; ``POST /api/next`` issues a trial and ``POST /api/answer`` stores its
judgement (both need the session cookie and the page's CSRF token); ``GET /img/<id>.png``
serves a study image to a rater; ``GET /admin/<admin token>`` shows the results (and
``.../results.json`` gives them as data). Every GET route answers HEAD with the same headers
and no body; HEAD on a study link checks it without starting a session. Every write is
committed before the reply is sent.
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import json
import math
import signal
import socket
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.rate.html import render_html, static_text
from ganforge.rate.results import compute
from ganforge.rate.schedule import choose_image, choose_least, choose_pair
from ganforge.rate.security import (
    Limit,
    RateLimiter,
    csrf_token,
    rater_from_cookie,
    same,
    session_cookie,
)
from ganforge.rate.store import RAPID_ANSWERS, TASKS, Trial
from ganforge.rate.study import Study, check_exposure

MAX_BODY = 4096
REQUEST_TIMEOUT_S = 30.0  # a client silent this long mid-request is dropped (frees its thread)
MAX_MS = 3_600_000.0
WILDCARD_HOSTS = ("", "0.0.0.0", "::")  # "every interface": an address to bind, not to visit
STATIC = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass(frozen=True)
class Limits:
    """Rate limits: API calls per rater, new sessions per address, all requests per address."""

    api: Limit = field(default_factory=lambda: Limit(rate=10.0, burst=30.0))
    join: Limit = field(default_factory=lambda: Limit(rate=0.5, burst=20.0))
    requests: Limit = field(default_factory=lambda: Limit(rate=200.0, burst=400.0))


@dataclass
class Response:
    """Status, body and headers of one reply."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    """A request refused with ``status`` and a message for the rater."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def json_response(status: int, data: dict[str, Any], headers: dict | None = None) -> Response:
    """A JSON reply that is never cached."""
    body = json.dumps(data).encode()
    extra = {"Cache-Control": "no-store", **(headers or {})}
    return Response(status, body, "application/json", extra)


def _number(payload: dict[str, Any], key: str, required: bool = True) -> float | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise HttpError(400, f"{key} must be a number of milliseconds")
    if not math.isfinite(value) or not 0 <= value <= MAX_MS:
        raise HttpError(400, f"{key} must lie in [0, {int(MAX_MS)}] ms")
    return float(value)


class RatingApp:
    """Request handling for one study: sessions, security checks, the schedule, storage."""

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
        self.lock = threading.Lock()  # the schedule's tallies and random generator
        self.rater_locks: dict[str, threading.Lock] = {}  # one per rater who asked for a trial
        self.rng = np.random.default_rng(seed)
        n = len(self.models)
        self.wins = np.zeros((n, n))
        self.rated = np.zeros(n, dtype=int)
        self.rapid = np.zeros(n, dtype=int)
        for j in self.store.judgements():
            self._count(j.task, j.image_a, j.image_b, j.choice)
        self.api_limit = RateLimiter(limits.api)
        self.join_limit = RateLimiter(limits.join)
        self.request_limit = RateLimiter(limits.requests)
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

    def _count(self, task: str, image_a: str, image_b: str | None, choice: str | None) -> None:
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

    def next_trial(self, rater: str, task: str) -> Trial:
        """Choose and record the next stimulus for ``rater``."""
        if task not in self.tasks():
            raise HttpError(400, f"task must be one of {', '.join(self.tasks())}")
        with self.lock:
            rater_lock = self.rater_locks.setdefault(rater, threading.Lock())
        with rater_lock:  # read what was seen, choose, record: one step per rater
            return self._issue(rater, task, self.store.seen_images(rater, task))

    def _issue(self, rater: str, task: str, seen: set[str]) -> Trial:
        """Choose the stimulus, preferring images ``rater`` has not seen, and record the trial."""
        with self.lock:
            if task == "pair":
                i, j = choose_pair(self.wins, self.rng)
                left = choose_image(self.by_model[i], seen, self.rng)
                right = choose_image(self.by_model[j], seen, self.rng)
                if self.rng.random() < 0.5:
                    left, right = right, left
                images: tuple[str, str | None] = (left, right)
            elif task == "rating":
                m = choose_least(self.rated, self.rng)
                images = (choose_image(self.by_model[m], seen, self.rng), None)
            else:
                pool = self.real if self.rng.random() < 0.5 else self.generated
                m = pool[choose_least(self.rapid[pool], self.rng)]
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
        with self.lock:
            self._count(trial.task, trial.image_a, trial.image_b, choice)
        reply: dict[str, Any] = {"recorded": True, "count": self.store.count(rater)}
        if trial.task == "rapid" and self.feedback:
            truth = "real" if self.models[self.model_of[trial.image_a]].kind == "real" else "fake"
            reply["feedback"] = {"correct": choice == truth, "truth": truth}
        return reply

    def results(self) -> dict[str, Any]:
        """The results computed from the stored judgements."""
        return compute(self.models, self.images, self.store.judgements(), rounds=self.rounds)

    # request plumbing
    def _rater(self, headers: Any) -> str | None:
        raw = headers.get("Cookie")
        if not raw:
            return None
        try:
            cookie = SimpleCookie(raw)
        except CookieError:
            return None
        morsel = cookie.get(self.cookie_name)
        rater = rater_from_cookie(self.study.secret, morsel.value if morsel else None)
        if rater is None or rater in self.known_raters:
            return rater
        # a well-signed cookie whose rater is not in this study's database (a database that
        # was replaced or restored) is no session: the browser must join again
        if not self.store.rater_exists(rater):
            return None
        self.known_raters.add(rater)
        return rater

    def _limit(self, limiter: RateLimiter, key: str) -> None:
        wait = limiter.allow(key)
        if wait > 0:
            retry = str(max(1, math.ceil(wait)))
            raise HttpError(429, "too many requests; slow down", {"Retry-After": retry})

    def _check_post(self, headers: Any, body: bytes) -> tuple[str, Any]:
        rater = self._rater(headers)
        if rater is None:
            raise HttpError(403, "no rater session: open your study link first")
        origin = headers.get("Origin")
        if origin and urlsplit(origin).netloc != headers.get("Host", ""):
            raise HttpError(403, "cross-origin request refused")
        if not same(headers.get("X-CSRF-Token"), csrf_token(self.study.secret, rater)):
            raise HttpError(403, "missing or wrong CSRF token; reload the page")
        self._limit(self.api_limit, rater)
        if not (headers.get("Content-Type") or "").startswith("application/json"):
            raise HttpError(415, "send JSON (Content-Type: application/json)")
        try:
            return rater, json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise HttpError(400, "the body is not valid JSON") from None

    def _page(self, rater: str) -> Response:
        page = static_text("index.html")
        values = {
            "csrf": csrf_token(self.study.secret, rater),
            "exposure": str(self.exposure_ms),
            "tasks": ",".join(self.tasks()),
            "feedback": "1" if self.feedback else "0",
        }
        for key, value in values.items():
            page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
        return Response(
            200, page.encode(), "text/html; charset=utf-8", {"Cache-Control": "no-store"}
        )

    def _join(self, token: str, client: str, headers: Any, method: str) -> Response:
        if not same(token, self.study.rater_token):
            raise HttpError(403, "this study link is not valid; ask the organiser for a new one")
        if method == "HEAD" or self._rater(headers) is not None:
            # HEAD (a link checker) starts no session; a joined browser carries on as itself
            return Response(303, b"", headers={"Location": "/"})
        self._limit(self.join_limit, client)
        rater = self.store.add_rater()
        self.known_raters.add(rater)
        cookie = (
            f"{self.cookie_name}={session_cookie(self.study.secret, rater)}; "
            "Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000"
        )
        return Response(303, b"", headers={"Location": "/", "Set-Cookie": cookie})

    def _admin(self, rest: str) -> Response:
        token, _, tail = rest.partition("/")
        if not same(token, self.study.admin_token):
            raise HttpError(403, "the admin view needs the admin link")
        if tail == "results.json":
            return json_response(200, self.results())
        if tail:
            raise HttpError(404, "not found")
        page = render_html(self.results(), stylesheet="/static/style.css")
        return Response(
            200, page.encode(), "text/html; charset=utf-8", {"Cache-Control": "no-store"}
        )

    def handle(self, method: str, target: str, headers: Any, body: bytes, client: str) -> Response:
        """Route one request; errors become JSON (API) or text replies."""
        path = urlsplit(target).path
        try:
            self._limit(self.request_limit, client)
            return self._route(method, path, headers, body, client)
        except HttpError as exc:
            if path.startswith("/api/"):
                return json_response(exc.status, {"error": exc.message}, exc.headers)
            return Response(exc.status, exc.message.encode(), headers=exc.headers)

    def _route(self, method: str, path: str, headers: Any, body: bytes, client: str) -> Response:
        if method == "POST" and path in ("/api/next", "/api/answer"):
            rater, payload = self._check_post(headers, body)
            if path == "/api/answer":
                return json_response(200, self.answer(rater, payload))
            task = payload.get("task") if isinstance(payload, dict) else None
            if task not in TASKS:
                raise HttpError(400, f"task must be one of {', '.join(self.tasks())}")
            trial = self.next_trial(rater, task)
            shown = [trial.image_a] + ([trial.image_b] if trial.image_b else [])
            return json_response(
                200,
                {
                    "trial": trial.id,
                    "task": trial.task,
                    "images": [{"id": i, "url": f"/img/{i}.png"} for i in shown],
                    "exposure_ms": trial.exposure_ms,
                },
            )
        if method not in ("GET", "HEAD"):
            raise HttpError(405, "method not allowed", {"Allow": "GET, HEAD"})
        if path.startswith("/join/"):
            return self._join(path[len("/join/") :], client, headers, method)
        if path.startswith("/admin/"):
            return self._admin(path[len("/admin/") :])
        if path == "/favicon.ico":
            return Response(204)
        if path.startswith("/static/") and path[len("/static/") :] in STATIC:
            name = path[len("/static/") :]
            return Response(200, static_text(name).encode(), STATIC[name])
        rater = self._rater(headers)
        if path == "/":
            if rater is None:
                raise HttpError(403, "this page needs your study link (ask the organiser)")
            return self._page(rater)
        if path.startswith("/img/") and path.endswith(".png"):
            if rater is None:
                raise HttpError(403, "images are shown to raters only")
            file = self.files.get(path[len("/img/") : -len(".png")])
            if file is None:
                raise HttpError(404, "no such image in this study")
            return Response(200, file.read_bytes(), "image/png", {"Cache-Control": "private"})
        raise HttpError(404, "not found")


class Handler(BaseHTTPRequestHandler):
    """Adapts http.server requests to ``RatingApp.handle``."""

    server_version = "ganforge-rate"
    sys_version = ""
    server: RatingServer

    def setup(self) -> None:
        """Give the connection the server's socket timeout before reading anything."""
        self.timeout = self.server.request_timeout
        super().setup()

    def _serve(self, method: str) -> None:
        body = b""
        if method == "POST":
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit():
                self._send(Response(411, b"Content-Length required"))
                return
            if int(length) > MAX_BODY:
                self._send(Response(413, b"request body too large"))
                return
            try:
                body = self.rfile.read(int(length))
            except TimeoutError:
                self.close_connection = True
                self._send(
                    Response(408, b"request body timed out", headers={"Connection": "close"})
                )
                return
            if len(body) < int(length):
                self._send(Response(400, b"request body shorter than its Content-Length"))
                return
        app = self.server.app
        self._send(app.handle(method, self.path, self.headers, body, self.client_address[0]))

    def _send(self, response: Response) -> None:
        self.send_response(response.status, HTTPStatus(response.status).phrase)
        for key, value in {**SECURITY_HEADERS, **response.headers}.items():
            self.send_header(key, value)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def do_GET(self) -> None:
        """GET: pages, images, static files, admin views."""
        self._serve("GET")

    def do_HEAD(self) -> None:
        """HEAD: the headers a GET would get, without the body."""
        self._serve("HEAD")

    def do_POST(self) -> None:
        """POST: the JSON API."""
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet unless the server was started verbose."""
        if self.server.verbose:
            super().log_message(format, *args)


def url_host(host: str) -> str:
    """``host`` as it goes in a URL: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host else host


class RatingServer(ThreadingHTTPServer):
    """A threaded HTTP server carrying the app (IPv6 when the host is an IPv6 address)."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        app: RatingApp,
        verbose: bool = False,
        request_timeout: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self.app = app
        self.verbose = verbose
        self.request_timeout = request_timeout
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        """Bind; an IPv6 wildcard also accepts IPv4 where the system allows it."""
        if self.address_family == socket.AF_INET6 and hasattr(socket, "IPV6_V6ONLY"):
            with contextlib.suppress(OSError):
                self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

    @property
    def all_interfaces(self) -> bool:
        """Whether the server listens on every interface (0.0.0.0 or ::)."""
        return self.server_address[0] in WILDCARD_HOSTS

    @property
    def local_url(self) -> str:
        """``http://host:port`` that reaches the server from this machine."""
        host, port = self.server_address[:2]
        if self.all_interfaces:
            host = "::1" if self.address_family == socket.AF_INET6 else "127.0.0.1"
        return f"http://{url_host(host)}:{port}"

    @property
    def base_url(self) -> str:
        """``http://host:port`` for the links: the machine's name when bound to every interface."""
        host, port = self.server_address[:2]
        if self.all_interfaces:
            name = socket.gethostname()
            if name in ("", "localhost"):
                return self.local_url
            host = name
        return f"http://{url_host(host)}:{port}"

    def links(self) -> dict[str, str]:
        """The rater and admin links."""
        study = self.app.study
        return {
            "rater": f"{self.base_url}/join/{study.rater_token}",
            "admin": f"{self.base_url}/admin/{study.admin_token}",
        }


def make_server(
    app: RatingApp,
    host: str = "127.0.0.1",
    port: int = 8080,
    verbose: bool = False,
    request_timeout: float = REQUEST_TIMEOUT_S,
) -> RatingServer:
    """Bind the server (port 0 picks a free port); silent clients are dropped after the timeout."""
    try:
        return RatingServer((host, port), app, verbose, request_timeout)
    except OSError as exc:
        raise GanforgeError(
            f"cannot listen on {url_host(host)}:{port} ({exc.strerror}); pass --port or --host"
        ) from exc


def announcement(server: RatingServer) -> list[str]:
    """The lines printed when the server starts: address, tasks, links and notes."""
    links = server.links()
    lines = [
        f"rating server on {server.base_url}: tasks {', '.join(server.app.tasks())}",
        f"  rater link (share with raters): {links['rater']}",
        f"  admin link (results; keep it):  {links['admin']}",
    ]
    if server.all_interfaces and server.base_url == server.local_url:
        lines += [
            "  note: listening on every interface, but this machine has no name, so the links",
            "        only work here: give raters the links with the machine's IP address instead",
        ]
    elif server.all_interfaces:
        name = urlsplit(server.base_url).hostname
        lines += [
            f"  note: listening on every interface, so the links use this machine's name {name!r};",
            "        if raters cannot reach that name, replace it by the machine's IP address",
            f"        (on this machine itself, {server.local_url} also works)",
        ]
    if not ipaddress.ip_address(server.server_address[0]).is_loopback:
        lines.append("  note: listening beyond this machine over plain HTTP; share links privately")
    lines.append("every answer is saved when it is acknowledged; Ctrl-C stops the server")
    return lines


def serve(
    study: Study,
    host: str = "127.0.0.1",
    port: int = 8080,
    exposure_ms: int | None = None,
    feedback: bool | None = None,
    limits: Limits = Limits(),
    announce: Callable[[str], None] = print,
    verbose: bool = False,
) -> None:
    """Serve ``study`` until Ctrl-C or SIGTERM, announcing the rater and admin links first."""
    app = RatingApp(study, exposure_ms, feedback, limits)
    server = make_server(app, host, port, verbose)
    for line in announcement(server):
        announce(line)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        study.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
