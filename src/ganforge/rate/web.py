"""The rating page as an ASGI application on Starlette (serve it with uvicorn or any ASGI server).

Routes: ``GET /join/<rater token>`` starts a rater session (signed cookie) and redirects to
the task page ``/``; ``POST /api/next`` issues a trial and ``POST /api/answer`` stores its
judgement; ``GET /img/<id>.png`` serves a study image to a rater; ``/static/`` the script and
style; ``GET /admin/<admin token>`` shows the results (``.../results.json`` gives them as
data). Every GET route answers HEAD; HEAD on a study link checks it without starting a
session. Every write is committed before the reply is sent. The request rules (sizes, time,
rate limits, sessions, CSRF, headers) are middleware (``rate.middleware``); the handlers only
call ``RatingApp``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ganforge.rate.html import rater_page, render_html
from ganforge.rate.middleware import (
    REQUEST_TIMEOUT_S,
    AddressLimit,
    ApiGuard,
    KnownMethods,
    RaterSession,
    RequestBody,
    SecurityHeaders,
    app_root,
    refusal,
    starts_session,
)
from ganforge.rate.rating import DEFAULT_LIMITS, HttpError, Limits, RatingApp
from ganforge.rate.security import (
    SESSION_MAX_AGE_S,
    Limit,
    RateLimiter,
    csrf_token,
    same,
    session_cookie,
)
from ganforge.rate.store import TASKS
from ganforge.rate.study import Study, open_study

ENV_STUDY = "GANFORGE_RATE_STUDY"  # the study folder, for app_from_env
ENV_OPTIONS = "GANFORGE_RATE_OPTIONS"  # JSON: exposure_ms, feedback, limits, request_timeout


def _rating(request: Request) -> RatingApp:
    return request.app.state.rating


def _rater(request: Request, refused: str) -> str:
    rater = request.scope.get("rater")
    if rater is None:
        raise HttpError(403, refused)
    return rater


def _no_store(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


def join(request: Request) -> Response:
    """The study link: a new session (cookie) for a browser without one, then the task page."""
    rating = _rating(request)
    if not same(request.path_params["token"], rating.study.rater_token):
        raise HttpError(403, "this study link is not valid; ask the organiser for a new one")
    home = app_root(request.scope) + "/"
    if request.method == "HEAD" or request.scope.get("rater") is not None:
        # HEAD (a link checker) starts no session; a joined browser carries on as itself
        return Response(status_code=303, headers={"Location": home})
    rater = rating.join()
    response = Response(status_code=303, headers={"Location": home})
    response.set_cookie(
        rating.cookie_name,
        session_cookie(rating.study.secret, rater),
        max_age=SESSION_MAX_AGE_S,
        path=home,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


def page(request: Request) -> Response:
    """The task page, carrying the rater's CSRF token."""
    rating = _rating(request)
    rater = _rater(request, "this page needs your study link (ask the organiser)")
    values = {
        "csrf": csrf_token(rating.study.secret, rater),
        "exposure": str(rating.exposure_ms),
        "tasks": ",".join(rating.tasks()),
        "feedback": "1" if rating.feedback else "0",
    }
    return HTMLResponse(rater_page(values), headers={"Cache-Control": "no-store"})


def image(request: Request) -> Response:
    """A study image, for raters only."""
    _rater(request, "images are shown to raters only")
    file = _rating(request).files.get(request.path_params["image"])
    if file is None:
        raise HttpError(404, "no such image in this study")
    return FileResponse(file, media_type="image/png", headers={"Cache-Control": "private"})


def admin(request: Request) -> Response:
    """The results page (``<token>``) or their data (``<token>/results.json``)."""
    rating = _rating(request)
    token, _, tail = request.path_params["rest"].partition("/")
    if not same(token, rating.study.admin_token):
        raise HttpError(403, "the admin view needs the admin link")
    if tail == "results.json":
        return _no_store(rating.results())
    if tail:
        raise HttpError(404, "not found")
    html = render_html(rating.results(), stylesheet=app_root(request.scope) + "/static/style.css")
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def favicon(request: Request) -> Response:
    """No icon."""
    return Response(status_code=204)


async def _payload(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HttpError(400, "the body is not valid JSON") from None
    except RecursionError:  # nested deeper than the interpreter's stack
        raise HttpError(400, "the body is nested too deeply") from None


async def api_next(request: Request) -> Response:
    """Issue the next trial of a task to the rater."""
    rating, rater = _rating(request), request.scope["rater"]
    payload = await _payload(request)
    task = payload.get("task") if isinstance(payload, dict) else None
    if task not in TASKS:
        raise HttpError(400, f"task must be one of {', '.join(rating.tasks())}")
    trial = await run_in_threadpool(rating.next_trial, rater, task)
    shown = [trial.image_a] + ([trial.image_b] if trial.image_b else [])
    images = [{"id": i, "url": f"{app_root(request.scope)}/img/{i}.png"} for i in shown]
    return _no_store(
        {"trial": trial.id, "task": trial.task, "images": images, "exposure_ms": trial.exposure_ms}
    )


async def api_answer(request: Request) -> Response:
    """Store the rater's answer to a trial."""
    payload = await _payload(request)
    return _no_store(
        await run_in_threadpool(_rating(request).answer, request.scope["rater"], payload)
    )


def refused(request: Request, exc: Exception) -> Response:
    """A refused request (ours or Starlette's 404/405) as JSON for the API, text elsewhere."""
    if isinstance(exc, HttpError):
        return refusal(request.scope, exc.status, exc.message, exc.headers)
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if "Allow" in headers:  # Starlette lists the allowed methods in set order
        headers["Allow"] = ", ".join(sorted(headers["Allow"].split(", ")))
    return refusal(request.scope, exc.status_code, str(exc.detail).lower(), headers)


def asgi_app(rating: RatingApp, request_timeout: float = REQUEST_TIMEOUT_S) -> Starlette:
    """The Starlette application serving ``rating`` (the app's state holds it as ``rating``)."""
    limits = rating.limits
    api = [
        Route("/next", api_next, methods=["POST"]),
        Route("/answer", api_answer, methods=["POST"]),
    ]
    routes = [
        Route("/", page),
        Route(
            "/join/{token}",
            join,
            middleware=[
                Middleware(AddressLimit, limiter=RateLimiter(limits.join), counts=starts_session)
            ],
        ),
        Route("/img/{image}.png", image),
        Route("/admin/{rest:path}", admin),
        Route("/favicon.ico", favicon),
        Mount("/static", StaticFiles(packages=[("ganforge.rate", "static")])),
        Mount(
            "/api",
            routes=api,
            middleware=[
                Middleware(ApiGuard, rating=rating, limiter=RateLimiter(limits.api)),
            ],
        ),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(KnownMethods),
        Middleware(RequestBody, timeout=request_timeout),
        Middleware(AddressLimit, limiter=RateLimiter(limits.requests)),
        Middleware(RaterSession, rating=rating),
    ]
    handlers = {HttpError: refused, HTTPException: refused}
    web = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    web.state.rating = rating
    return web


def app(
    study: Study,
    exposure_ms: int | None = None,
    feedback: bool | None = None,
    limits: Limits = DEFAULT_LIMITS,
    request_timeout: float = REQUEST_TIMEOUT_S,
    seed: int | None = None,
) -> Starlette:
    """The rating page of ``study`` as an ASGI application (uvicorn, hypercorn, gunicorn, ...)."""
    return asgi_app(RatingApp(study, exposure_ms, feedback, limits, seed), request_timeout)


def options_json(
    exposure_ms: int | None, feedback: bool | None, limits: Limits, request_timeout: float
) -> str:
    """The serving options as the JSON ``app_from_env`` reads from GANFORGE_RATE_OPTIONS."""
    data = {
        "exposure_ms": exposure_ms,
        "feedback": feedback,
        "limits": {name: vars(getattr(limits, name)) for name in ("api", "join", "requests")},
        "request_timeout": request_timeout,
    }
    return json.dumps(data)


def app_from_env() -> Starlette:
    """The app of the study in $GANFORGE_RATE_STUDY (options in $GANFORGE_RATE_OPTIONS, JSON).

    A factory for servers that import the app in each worker process, e.g.
    ``uvicorn --factory ganforge.rate.web:app_from_env --workers 4``.
    """
    folder = os.environ.get(ENV_STUDY)
    if not folder:
        raise RuntimeError(f"set {ENV_STUDY} to the study folder")
    options = json.loads(os.environ.get(ENV_OPTIONS) or "{}")
    limits = Limits(**{k: Limit(**v) for k, v in options.get("limits", {}).items()})
    return app(
        open_study(Path(folder)),
        options.get("exposure_ms"),
        options.get("feedback"),
        limits,
        options.get("request_timeout", REQUEST_TIMEOUT_S),
    )
