"""Human judgement of generated images: a small web app, its database and the statistics.

Layers: ``db`` (SQLite/PostgreSQL) -> ``store`` (tables) -> ``study`` (images on disk) ->
``server`` (HTTP, security, schedule); ``skill`` and ``stats`` are pure functions used by
``results`` (tables), ``html`` (page) and ``report`` (CLI report).
"""

from __future__ import annotations

from ganforge.rate.report import write_report
from ganforge.rate.results import compute, render_text
from ganforge.rate.server import Limits, RatingApp, make_server, serve
from ganforge.rate.study import Study, create_study, open_study, prepare_study

__all__ = [
    "Limits",
    "RatingApp",
    "Study",
    "compute",
    "create_study",
    "make_server",
    "open_study",
    "prepare_study",
    "render_text",
    "serve",
    "write_report",
]
