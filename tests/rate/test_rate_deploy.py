"""Serving behind a reverse proxy: a root path, forwarded headers, public links, any ASGI server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import uvicorn

import ganforge.rate
from ganforge.rate import Limits, RatingApp, make_server
from ganforge.rate.security import Limit
from ganforge.rate.server import announcement, bind

from ..conftest import run_cli
from .rate_helpers import Rater, folder_study, running


@pytest.fixture()
def study(tmp_path: Path):
    opened = folder_study(tmp_path, n=2)
    yield opened
    opened.close()


def test_under_a_root_path_every_link_the_app_makes_carries_it(study) -> None:
    # the proxy strips /rate before forwarding, so requests arrive without it
    with running(study, root_path="/rate") as server:
        assert server.links()["rater"] == f"{server.base_url}/rate/join/{study.rater_token}"
        rater = Rater(server.base_url)
        status, headers, _ = rater.request("GET", f"/join/{study.rater_token}")
        assert status == 303 and headers["Location"] == "/rate/"
        assert "Path=/rate/" in headers["Set-Cookie"]
        assert rater.join(study.rater_token) == 200
        status, _, page = rater.request("GET", "/")
        assert b'src="static/app.js"' in page and b'href="static/style.css"' in page
        trial = rater.next("pair")
        urls = [im["url"] for im in trial["images"]]
        assert all(url == f"/rate/img/{im['id']}.png" for url, im in zip(urls, trial["images"]))
        status, headers, body = rater.request("GET", urls[0].removeprefix("/rate"))
        assert status == 200 and body[:4] == b"\x89PNG"
        assert rater.answer(trial, choice=trial["images"][0]["id"])[0] == 200
        status, _, page = rater.request("GET", f"/admin/{study.admin_token}")
        assert status == 200 and b'href="/rate/static/style.css"' in page
        text = "\n".join(announcement(server))
    assert "--root-path" in text and "--public-url" in text


def test_public_url_gives_the_printed_links(study) -> None:
    server = make_server(RatingApp(study), port=0, public_url="https://lab.example.org/rate/")
    try:
        links = server.links()
        assert links["rater"] == f"https://lab.example.org/rate/join/{study.rater_token}"
        assert links["admin"] == f"https://lab.example.org/rate/admin/{study.admin_token}"
        assert not any("note" in line for line in announcement(server))
    finally:
        server.close()


def _join_as(rater: Rater, token: str, address: str) -> tuple[int, str]:
    headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
    status, reply, _ = rater.request("GET", f"/join/{token}", headers=headers)
    return status, reply["Set-Cookie"] or ""


def test_forwarded_headers_count_only_with_proxy_headers(
    study, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)  # trust this machine only
    limits = Limits(join=Limit(rate=0.01, burst=2))
    addresses = ("203.0.113.1", "203.0.113.2", "203.0.113.3")
    with running(study, limits=limits) as server:  # a client cannot pose as many
        results = [_join_as(Rater(server.base_url), study.rater_token, a) for a in addresses]
        assert [status for status, _ in results] == [303, 303, 429]
        assert "Secure" not in results[0][1]
    with running(study, limits=limits, proxy_headers=True) as server:  # raters behind a proxy
        results = [_join_as(Rater(server.base_url), study.rater_token, a) for a in addresses]
        assert [status for status, _ in results] == [303, 303, 303]
        assert all("Secure" in cookie for _, cookie in results)  # the proxy spoke HTTPS
        again = [_join_as(Rater(server.base_url), study.rater_token, addresses[0]) for _ in "ab"]
        assert [status for status, _ in again] == [303, 429]  # the limit is per rater address
        rater = Rater(server.base_url)
        assert rater.join(study.rater_token) == 200
        proxied = {"Origin": "https://lab.example.org", "Host": "lab.example.org"}
        assert rater.post("/api/next", {"task": "rating"}, extra=proxied)[0] == 200


def test_the_app_runs_on_a_plain_uvicorn_server(study) -> None:
    free = Limit(rate=1e6, burst=1e6)
    app = ganforge.rate.app(study, limits=Limits(free, free, free), exposure_ms=300)
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        rater = Rater(f"http://127.0.0.1:{sock.getsockname()[1]}")
        assert rater.join(study.rater_token) == 200
        trial = rater.next("rapid")
        assert trial["exposure_ms"] == 300
        assert rater.answer(trial, choice="real", shown_ms=301.0)[0] == 200
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    assert [j.task for j in study.store.judgements()] == ["rapid"]


def test_serving_options_a_user_gets_wrong_are_one_line_errors(
    study, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(study.path)
    code, _, err = run_cli(capsys, "rate", "--study", path, "--port", "0", "--workers", "2")
    assert code == 2 and "several workers need a PostgreSQL store" in err
    code, _, err = run_cli(capsys, "rate", "--study", path, "--port", "0", "--root-path", "rate")
    assert code == 2 and "--root-path must look like /rate" in err
    assert "Traceback" not in err
