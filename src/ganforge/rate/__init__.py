"""Human judgement of generated images: a small web app, its database and the statistics.

Layers: ``db`` (SQLite/PostgreSQL) -> ``store`` (tables) -> ``study`` (images on disk) ->
``rating`` (sessions, schedule, answers) -> ``middleware`` (request rules) and ``web`` (the
Starlette app) -> ``protocol`` (uvicorn's HTTP/1.1, slow clients) -> ``server`` (socket,
workers, links); ``skill`` and ``stats`` are pure functions used by ``results`` (tables),
``html`` (pages) and ``report`` (CLI report).
"""

from __future__ import annotations

from ganforge.rate.rating import Limits, RatingApp
from ganforge.rate.report import write_report
from ganforge.rate.results import compute, render_text
from ganforge.rate.server import RatingServer, make_server, serve
from ganforge.rate.study import Study, create_study, open_study, prepare_study
from ganforge.rate.web import app

__all__ = [
    "Limits",
    "RatingApp",
    "RatingServer",
    "Study",
    "app",
    "compute",
    "create_study",
    "make_server",
    "open_study",
    "prepare_study",
    "render_text",
    "serve",
    "write_report",
]
