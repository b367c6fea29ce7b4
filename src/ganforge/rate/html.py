"""The results page: the tables of ``results.tables`` plus a small SVG of rater drift."""

from __future__ import annotations

import html
from importlib import resources
from typing import Any

from ganforge.rate.results import summary_lines, tables

SVG_W, SVG_H, PAD = 420, 180, 30


def static_text(name: str) -> str:
    """A file of the packaged static folder (script, style)."""
    return resources.files("ganforge.rate").joinpath("static", name).read_text()


def rater_page(values: dict[str, str]) -> str:
    """The task page, its ``{{key}}`` placeholders filled with the HTML-escaped ``values``."""
    page = resources.files("ganforge.rate").joinpath("templates", "index.html").read_text()
    for key, value in values.items():
        page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
    return page


def drift_svg(drift: dict[str, Any]) -> str:
    """Accuracy per block with its 95% interval, chance at 50% (SVG attributes only, no CSS)."""
    blocks = drift["rapid_blocks"]
    if len(blocks) < 2:
        return ""
    step = (SVG_W - 2 * PAD) / (len(blocks) - 1)

    def y(v: float) -> float:
        return SVG_H - PAD - v * (SVG_H - 2 * PAD)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_W}" height="{SVG_H}" '
        f'role="img" aria-label="rapid accuracy by block">',
        f'<line x1="{PAD}" y1="{y(0.5):.1f}" x2="{SVG_W - PAD}" y2="{y(0.5):.1f}" '
        'stroke="#999" stroke-dasharray="4 3"/>',
        f'<text x="2" y="{y(0.5) + 4:.1f}" font-size="10" fill="#666">50%</text>',
        f'<text x="2" y="{y(1.0) + 4:.1f}" font-size="10" fill="#666">100%</text>',
    ]
    points = []
    for i, b in enumerate(blocks):
        x = PAD + i * step
        parts.append(
            f'<line x1="{x:.1f}" y1="{y(b["low"]):.1f}" x2="{x:.1f}" y2="{y(b["high"]):.1f}" '
            'stroke="#89a"/>'
        )
        points.append(f"{x:.1f},{y(b['accuracy']):.1f}")
        parts.append(
            f'<text x="{x:.1f}" y="{SVG_H - 8}" font-size="10" fill="#666" '
            f'text-anchor="middle">{b["start"] + 1}-{b["start"] + drift["block"]}</text>'
        )
    parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#235" />')
    parts.append("</svg>")
    return "".join(parts)


def render_html(results: dict[str, Any], stylesheet: str | None = None) -> str:
    """A complete HTML page; ``stylesheet`` links a CSS URL, else the CSS is embedded."""
    style = (
        f'<link rel="stylesheet" href="{html.escape(stylesheet)}">'
        if stylesheet
        else f"<style>{static_text('style.css')}</style>"
    )
    body = [f"<p>{html.escape(line)}</p>" for line in summary_lines(results)]
    for title, header, rows in tables(results):
        body.append(f"<h2>{html.escape(title)}</h2><table><thead><tr>")
        body += [f"<th>{html.escape(h)}</th>" for h in header]
        body.append("</tr></thead><tbody>")
        for row in rows:
            body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
        body.append("</tbody></table>")
        if title.startswith("Rater drift"):
            body.append(drift_svg(results["drift"]))
    if not any(results["counts"].values()):
        body.append("<p>No judgements yet.</p>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>ganforge rating results</title>"
        f'{style}</head><body class="results"><h1>Rating results</h1>'
        + "".join(body)
        + "</body></html>"
    )
