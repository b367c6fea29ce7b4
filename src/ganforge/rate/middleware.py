"""The rating page's request rules as ASGI middleware, outside the route handlers.

From the outside in: security headers on every reply; only GET, HEAD and POST; a POST body
must declare its length, stay under 4 kB and keep arriving (a read silent for the request
timeout gets 408); a rate limit per client address; the rater session from the signed cookie.
The JSON API adds its own guard (session, same origin, CSRF token, rate limit per rater, JSON
content type), and the study link a limit on new sessions per address. A refused request gets
``{"error": ...}`` under ``/api/`` and a line of text elsewhere; a body that breaks the rules of
the transport (length, size, time) gets a line of text everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from urllib.parse import urlsplit

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ganforge.rate.rating import RatingApp
from ganforge.rate.security import RateLimiter, csrf_token, same

MAX_BODY = 4096
REQUEST_TIMEOUT_S = 30.0  # a client silent this long in the middle of a request is dropped
METHODS = ("GET", "HEAD", "POST")
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


def app_root(scope: Scope) -> str:
    """The app's root path (``--root-path``), also inside a mounted sub-app such as ``/api``."""
    return scope.get("app_root_path", scope.get("root_path", ""))


def route_path(scope: Scope) -> str:
    """The request path below the app's root path."""
    path, root = scope["path"], app_root(scope)
    return path[len(root) :] if root and path.startswith(root + "/") else path


def refusal(
    scope: Scope, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The reply to a refused request: JSON for the API, plain text for pages."""
    if route_path(scope).startswith("/api/"):
        return JSONResponse(
            {"error": message}, status, headers={"Cache-Control": "no-store", **(headers or {})}
        )
    return PlainTextResponse(message, status, headers=headers)


def too_many(wait: float) -> tuple[int, str, dict[str, str]]:
    """Status, message and headers of a rate-limited request."""
    return 429, "too many requests; slow down", {"Retry-After": str(max(1, math.ceil(wait)))}


def client_address(scope: Scope) -> str:
    """The client's address (the proxy's client with --proxy-headers)."""
    client = scope.get("client")
    return client[0] if client else ""


class SecurityHeaders:
    """Adds the security headers (CSP, nosniff, no framing, no referrer) to every reply."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers.setdefault(key, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class KnownMethods:
    """Methods other than GET, HEAD and POST are not implemented (501)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in METHODS:
            reply = refusal(scope, 501, "method not implemented", {"Allow": ", ".join(METHODS)})
            await reply(scope, receive, send)
            return
        await self.app(scope, receive, send)


class RequestBody:
    """Reads a POST body whole before the app sees it: declared, small, and arriving in time.

    No Content-Length is 411, a larger one than ``max_body`` 413; a read that waits longer
    than ``timeout`` seconds is 408 and closes the connection; a body that ends before its
    declared length is 400. The app then receives the body in one message.
    """

    def __init__(
        self, app: ASGIApp, max_body: int = MAX_BODY, timeout: float = REQUEST_TIMEOUT_S
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is None or not declared.isdigit():
            await PlainTextResponse("Content-Length required", 411)(scope, receive, send)
            return
        length = int(declared)
        if length > self.max_body:
            await PlainTextResponse("request body too large", 413)(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message: Message | None = None
            with anyio.move_on_after(self.timeout):
                message = await receive()
            if message is None:
                reply = PlainTextResponse(
                    "request body timed out", 408, headers={"Connection": "close"}
                )
                await reply(scope, receive, send)
                return
            if message["type"] == "http.disconnect":
                return  # the client left: nobody to answer
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if len(body) < length:
            reply = PlainTextResponse("request body shorter than its Content-Length", 400)
            await reply(scope, receive, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def every_request(scope: Scope) -> bool:
    """Count every request."""
    return True


def starts_session(scope: Scope) -> bool:
    """A GET (of the study link) by a browser without a session: it would start one."""
    return scope["method"] == "GET" and scope.get("rater") is None


class AddressLimit:
    """A token bucket per client address over the requests ``counts`` selects (429 with
    Retry-After): every request, or (on the study link) those that start a session."""

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        counts: Callable[[Scope], bool] = every_request,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.counts(scope):
            wait = self.limiter.allow(client_address(scope))
            if wait > 0:
                await refusal(scope, *too_many(wait))(scope, receive, send)
                return
        await self.app(scope, receive, send)


class RaterSession:
    """Puts the rater of the signed session cookie (or None) in ``scope["rater"]``."""

    def __init__(self, app: ASGIApp, rating: RatingApp) -> None:
        self.app = app
        self.rating = rating

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            cookies = cookie_parser(Headers(scope=scope).get("cookie", ""))
            value = cookies.get(self.rating.cookie_name)
            scope["rater"] = (
                None if value is None else await run_in_threadpool(self.rating.session_rater, value)
            )
        await self.app(scope, receive, send)


class ApiGuard:
    """The JSON API's POSTs: a rater session, same origin, the page's CSRF token, the per-rater
    rate limit and a JSON content type, checked in that order."""

    def __init__(self, app: ASGIApp, rating: RatingApp, limiter: RateLimiter) -> None:
        self.app = app
        self.rating = rating
        self.limiter = limiter

    def problem(self, scope: Scope) -> tuple[int, str, dict[str, str]] | None:
        """Why the request is refused, or None."""
        headers = Headers(scope=scope)
        rater = scope.get("rater")
        if rater is None:
            return 403, "no rater session: open your study link first", {}
        origin = headers.get("origin")
        if not origin:  # browsers send it with every POST; only scripts leave it out
            return 403, "no Origin header: the API answers the rating page only", {}
        if urlsplit(origin).netloc != headers.get("host", ""):
            return 403, "cross-origin request refused", {}
        expected = csrf_token(self.rating.study.secret, rater)
        if not same(headers.get("x-csrf-token"), expected):
            return 403, "missing or wrong CSRF token; reload the page", {}
        wait = self.limiter.allow(rater)
        if wait > 0:
            return too_many(wait)
        if not headers.get("content-type", "").startswith("application/json"):
            return 415, "send JSON (Content-Type: application/json)", {}
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            problem = self.problem(scope)
            if problem is not None:
                await refusal(scope, *problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)
