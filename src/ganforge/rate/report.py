"""``ganforge rate --report``: the results of a study as text, ``report.html`` and JSON."""

from __future__ import annotations

import json
from pathlib import Path

from ganforge.rate.html import render_html
from ganforge.rate.results import compute, render_text
from ganforge.rate.study import open_study


def write_report(path: str | Path, rounds: int = 200) -> tuple[str, Path]:
    """Compute a study's results; write report.html and results.json into its folder."""
    study = open_study(path)
    try:
        store = study.store
        results = compute(store.models(), store.images(), store.judgements(), rounds=rounds)
    finally:
        study.close()
    html_path = study.path / "report.html"
    html_path.write_text(render_html(results))
    (study.path / "results.json").write_text(json.dumps(results, indent=1))
    return render_text(results), html_path
