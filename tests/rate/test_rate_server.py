"""The rating server over real HTTP: sessions, CSRF, validation, rate limits, admin view."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from ganforge.rate import Limits
from ganforge.rate.security import Limit, RateLimiter, csrf_token, session_cookie

from .rate_helpers import Rater, db_url, folder_study, postgres_url, running  # noqa: F401


@pytest.fixture()
def server(tmp_path: Path):
    study = folder_study(tmp_path)
    with running(study) as srv:
        yield srv
    study.close()


def _joined(server) -> Rater:
    rater = Rater(server.base_url)
    assert rater.join(server.app.study.rater_token) == 200
    return rater


def test_each_task_stores_a_judgement_with_rater_images_exposure_and_timing(
    tmp_path: Path,
    db_url: str,  # noqa: F811  (SQLite, then PostgreSQL)
) -> None:
    study = folder_study(tmp_path, db_url=db_url)
    with running(study) as server:
        _all_tasks(server)
    study.close()


def _all_tasks(server) -> None:
    rater = _joined(server)
    pair = rater.next("pair")
    assert len(pair["images"]) == 2 and pair["exposure_ms"] is None
    status, reply = rater.answer(pair, choice=pair["images"][1]["id"])
    assert status == 200 and reply == {"recorded": True, "count": 1}
    rating = rater.next("rating")
    assert rater.answer(rating, rating=4)[0] == 200
    rapid = rater.next("rapid")
    assert rapid["exposure_ms"] == 500
    status, reply = rater.answer(rapid, choice="real", shown_ms=503.2)
    assert status == 200 and reply == {"recorded": True, "count": 3}  # no feedback by default
    rows = {j.task: j for j in server.app.store.judgements()}
    assert set(rows) == {"pair", "rating", "rapid"}
    assert len({j.rater_id for j in rows.values()}) == 1
    assert rows["pair"].choice == pair["images"][1]["id"]
    assert (rows["pair"].image_a, rows["pair"].image_b) == tuple(i["id"] for i in pair["images"])
    assert rows["rating"].rating == 4 and rows["rating"].response_ms == 800
    assert (rows["rapid"].exposure_ms, rows["rapid"].shown_ms) == (500, 503.2)
    assert rows["rapid"].answered_at >= rows["rapid"].issued_at


def test_images_are_served_to_raters_only_and_only_from_the_study(server) -> None:
    rater = _joined(server)
    trial = rater.next("rating")
    status, headers, body = rater.request("GET", trial["images"][0]["url"])
    assert status == 200 and headers["Content-Type"] == "image/png" and body[:4] == b"\x89PNG"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert rater.request("GET", "/img/0123456789abcdef.png")[0] == 404
    assert rater.request("GET", "/img/../study.json")[0] == 404
    assert Rater(server.base_url).request("GET", trial["images"][0]["url"])[0] == 403


def test_wrong_study_token_is_403_and_no_session_is_started(server) -> None:
    rater = Rater(server.base_url)
    assert rater.join("not-the-token") == 403
    assert rater.join(server.app.study.admin_token) == 403
    assert rater.request("GET", "/")[0] == 403
    status, data = rater.post("/api/next", {"task": "pair"}, csrf="x")
    assert status == 403 and "study link" in data["error"]


def test_opening_the_link_again_keeps_the_same_rater(server) -> None:
    rater = _joined(server)
    first = rater.cookie
    status, headers, _ = rater.request("GET", f"/join/{server.app.study.rater_token}")
    assert status == 303 and "Set-Cookie" not in headers
    trial = rater.next("rating")
    rater.answer(trial, rating=3)
    assert rater.cookie == first and server.app.store.count() == 1


def test_forged_session_cookie_is_refused(server) -> None:
    rater = _joined(server)
    name, value = rater.cookie.split("=", 1)
    rater.cookie = f"{name}=someone-else.{value.rsplit('.', 1)[1]}"
    assert rater.request("GET", "/")[0] == 403


def test_missing_or_wrong_csrf_token_is_rejected(server) -> None:
    rater = _joined(server)
    status, data = rater.post("/api/next", {"task": "pair"}, csrf=None)
    assert status == 403 and "CSRF" in data["error"]
    other = _joined(server)
    assert rater.post("/api/next", {"task": "pair"}, csrf=other.csrf)[0] == 403
    status, data = rater.post(
        "/api/next", {"task": "pair"}, extra={"Origin": "http://evil.example"}
    )
    assert status == 403 and "cross-origin" in data["error"]
    assert server.app.store.count() == 0


def test_out_of_range_and_malformed_answers_are_rejected(server) -> None:
    rater = _joined(server)
    trial = rater.next("rating")
    for bad in (0, 6, 3.5, True, "4", None):
        status, data = rater.answer(trial, rating=bad)
        assert status == 400 and "1 to 5" in data["error"], bad
    status, data = rater.answer(trial, rating=3, response_ms=-5)
    assert status == 400 and "response_ms" in data["error"]
    status, data = rater.answer(trial, rating=3, admin=True)
    assert status == 400 and "unexpected field" in data["error"]
    rapid = rater.next("rapid")
    assert rater.answer(rapid, choice="maybe")[0] == 400
    assert rater.post("/api/next", {"task": "dance"})[0] == 400
    status, _, _ = rater.request(
        "POST",
        "/api/answer",
        b"{not json",
        {"Content-Type": "application/json", "X-CSRF-Token": rater.csrf},
    )
    assert status == 400
    big = json.dumps({"trial": "x" * 5000}).encode()
    headers = {"Content-Type": "application/json", "X-CSRF-Token": rater.csrf}
    assert rater.request("POST", "/api/answer", big, headers)[0] == 413
    assert server.app.store.count() == 0
    assert rater.answer(trial, rating=3)[0] == 200


def test_foreign_image_ids_and_other_raters_trials_are_rejected(server, tmp_path: Path) -> None:
    other_study = folder_study(tmp_path / "other", db_url=server.app.study.db_url)
    foreign = other_study.store.images()[0].id  # same database, another study
    rater = _joined(server)
    pair = rater.next("pair")
    ids = [i["id"] for i in pair["images"]]
    status, data = rater.post(
        "/api/answer",
        {"trial": pair["trial"], "images": [ids[0], foreign], "choice": foreign, "response_ms": 1},
    )
    assert status == 400 and "does not belong to this study" in data["error"]
    status, data = rater.answer(pair, choice=foreign)
    assert status == 400 and "one of the two images" in data["error"]
    status, data = rater.post(
        "/api/answer",
        {"trial": pair["trial"], "images": ids[::-1], "choice": ids[0], "response_ms": 1},
    )
    assert status == 400 and "do not match" in data["error"]
    intruder = _joined(server)
    status, data = intruder.answer(pair, choice=ids[0])
    assert status == 403 and "another rater" in data["error"]
    assert intruder.post("/api/answer", {"trial": "nope", "images": []})[0] == 404
    assert server.app.store.count() == 0
    other_study.close()


def test_a_trial_is_answered_once(server) -> None:
    rater = _joined(server)
    trial = rater.next("rating")
    assert rater.answer(trial, rating=2)[0] == 200
    status, data = rater.answer(trial, rating=5)
    assert status == 409 and "already answered" in data["error"]
    (row,) = server.app.store.judgements()
    assert row.rating == 2


def test_rate_limit_triggers_with_retry_after(tmp_path: Path) -> None:
    study = folder_study(tmp_path)
    limits = Limits(api=Limit(rate=0.5, burst=3), join=Limit(rate=0.01, burst=2))
    with running(study, limits=limits) as server:
        rater = _joined(server)
        codes = [rater.post("/api/next", {"task": "rating"})[0] for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        status, headers, _ = rater.request(
            "POST",
            "/api/next",
            b'{"task": "rating"}',
            {"Content-Type": "application/json", "X-CSRF-Token": rater.csrf},
        )
        assert status == 429 and int(headers["Retry-After"]) >= 1
        second = Rater(server.base_url)
        assert second.join(study.rater_token) == 200  # second join from this address: allowed
        assert Rater(server.base_url).join(study.rater_token) == 429  # third: limited
    study.close()


def test_token_bucket_refills_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(Limit(rate=2.0, burst=2.0), clock=lambda: now[0])
    assert [limiter.allow("k") for _ in range(2)] == [0.0, 0.0]
    assert limiter.allow("k") == pytest.approx(0.5)
    assert limiter.allow("other") == 0.0
    now[0] = 0.5
    assert limiter.allow("k") == 0.0


def test_admin_view_needs_the_admin_token(server) -> None:
    rater = _joined(server)
    trial = rater.next("pair")
    rater.answer(trial, choice=trial["images"][0]["id"])
    study = server.app.study
    assert rater.request("GET", f"/admin/{study.rater_token}")[0] == 403
    assert rater.request("GET", "/admin/")[0] == 403
    assert rater.request("GET", f"/admin/{study.rater_token}/results.json")[0] == 403
    status, _, page = rater.request("GET", f"/admin/{study.admin_token}")
    assert status == 200 and b"Bradley-Terry" in page
    status, _, body = rater.request("GET", f"/admin/{study.admin_token}/results.json")
    data = json.loads(body)
    assert status == 200 and data["counts"]["pair"] == 1 and len(data["skill"]) == 3


def test_only_get_and_the_api_posts_are_allowed(server) -> None:
    rater = _joined(server)
    assert rater.request("DELETE", "/")[0] == 501
    status, headers, _ = rater.request("POST", "/", b"", {"Content-Length": "0"})
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert rater.request("GET", "/static/app.js")[0] == 200
    assert rater.request("GET", "/static/../study.json")[0] == 404


def test_head_answers_every_get_route_with_the_get_headers_and_no_body(server) -> None:
    rater = _joined(server)
    trial = rater.next("rating")
    study = server.app.study
    for path in ("/", trial["images"][0]["url"], "/static/app.js", f"/admin/{study.admin_token}"):
        get_status, get_headers, get_body = rater.request("GET", path)
        status, headers, body = rater.request("HEAD", path)
        assert (status, body) == (get_status, b""), path
        assert headers["Content-Type"] == get_headers["Content-Type"], path
        assert int(headers["Content-Length"]) == len(get_body) > 0, path
    assert Rater(server.base_url).request("HEAD", "/")[0] == 403
    assert rater.request("HEAD", "/no/such/page")[0] == 404


def test_head_on_the_study_link_checks_it_without_starting_a_session(server) -> None:
    visitor = Rater(server.base_url)
    status, headers, _ = visitor.request("HEAD", f"/join/{server.app.study.rater_token}")
    assert status == 303 and headers["Location"] == "/" and "Set-Cookie" not in headers
    assert visitor.request("HEAD", "/join/not-the-token")[0] == 403
    rows = server.app.store.db.query("SELECT COUNT(*) FROM raters")
    assert rows[0][0] == 0


def test_signed_cookie_of_a_rater_missing_from_the_database_must_join_again(server) -> None:
    study = server.app.study
    ghost = "00ghost00rater00"  # e.g. a rater of a database that was since replaced
    rater = Rater(server.base_url)
    rater.cookie = f"{server.app.cookie_name}={session_cookie(study.secret, ghost)}"
    rater.csrf = csrf_token(study.secret, ghost)
    assert rater.request("GET", "/")[0] == 403
    status, data = rater.post("/api/next", {"task": "rating"})
    assert status == 403 and "study link" in data["error"]
    status, headers, _ = rater.request("GET", f"/join/{study.rater_token}")
    assert status == 303 and ghost not in headers["Set-Cookie"]
    assert server.app.store.rater_exists(headers["Set-Cookie"].split("=", 1)[1].split(".")[0])


def _raw(server, data: bytes) -> socket.socket:
    """A raw client socket that sends ``data`` and then nothing."""
    sock = socket.create_connection(server.server_address[:2], timeout=10)
    sock.sendall(data)
    return sock


def _pending(sock: socket.socket) -> bool:
    """True while the server has neither answered nor closed ``sock``."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)
    return False


def _read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_stalled_clients_are_dropped_after_the_timeout_and_others_are_served(
    tmp_path: Path,
) -> None:
    study = folder_study(tmp_path)
    with running(study, request_timeout=1.0) as server:
        rater = _joined(server)
        headers = (
            "POST /api/answer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"X-CSRF-Token: {rater.csrf}\r\nCookie: {rater.cookie}\r\n"
        )
        began = time.monotonic()
        stalled_body = _raw(server, f"{headers}Content-Length: 100\r\n\r\n".encode() + b"{" * 10)
        stalled_headers = _raw(server, b"GET / HTTP/1.1\r\nHost: x\r\n")  # never ends its headers
        trial = rater.next("rating")  # served while both hang
        assert rater.answer(trial, rating=3)[0] == 200
        assert _pending(stalled_body) and _pending(stalled_headers)
        reply = _read_until_closed(stalled_body)
        assert reply.startswith(b"HTTP/1.1 408") and reply.endswith(b"request body timed out")
        assert _read_until_closed(stalled_headers) == b""  # dropped without an answer
        assert 1.0 <= time.monotonic() - began < 10
        short = _raw(server, f"{headers}Content-Length: 100\r\n\r\n".encode() + b"{" * 10)
        short.shutdown(socket.SHUT_WR)  # the client gives up: the body ends early
        reply = _read_until_closed(short)
        assert reply.startswith(b"HTTP/1.1 400") and reply.endswith(
            b"shorter than its Content-Length"
        )
        for sock in (stalled_body, stalled_headers, short):
            sock.close()
        assert server.app.store.count() == 1
    study.close()
