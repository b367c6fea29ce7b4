"""The rating API against hostile requests: JSON nested past the interpreter's stack, POSTs
without an Origin; and run names that would print control characters raw."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganforge import api
from ganforge.errors import ConfigError

from ..conftest import run_cli
from .rate_helpers import folder_study, running
from .test_rate_server import _joined

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


@pytest.fixture()
def server(tmp_path: Path):
    study = folder_study(tmp_path)
    with running(study) as srv:
        yield srv
    study.close()


def test_deeply_nested_json_is_a_400_with_the_security_headers(server) -> None:
    rater = _joined(server)
    headers = {"Content-Type": "application/json", "X-CSRF-Token": rater.csrf}
    for path in ("/api/next", "/api/answer"):
        for body in (b"[" * 4000, b'{"task": ' + b"[" * 1900 + b"]" * 1900 + b"}"):
            status, got, data = rater.request("POST", path, body, headers)
            assert status == 400, (path, data[:200])
            assert all(got[h] for h in SECURITY_HEADERS), got
            assert b"nested too deeply" in data or b"task must be" in data
    assert server.app.store.count() == 0


def test_a_post_without_an_origin_is_refused(server) -> None:
    rater = _joined(server)
    status, data = rater.post("/api/next", {"task": "rating"}, extra={"Origin": None})
    assert status == 403 and "no Origin header" in data["error"]
    status, data = rater.post("/api/next", {"task": "rating"}, extra={"Origin": "null"})
    assert status == 403 and "cross-origin" in data["error"]
    assert rater.post("/api/next", {"task": "rating"})[0] == 200  # named: served


@pytest.mark.parametrize("name", ["a\nb", "run\x1b[31mred", "tab\there", "x\u2028y", "c1\x9b"])
def test_run_names_with_control_characters_are_refused(name: str, tmp_path: Path, capsys) -> None:
    with pytest.raises(ConfigError, match="holds control characters"):
        api.check_run_name(name)
    code, _, err = run_cli(capsys, "train", "--runs-dir", str(tmp_path), "--name", name)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "\x1b" not in err
    assert "holds control characters" in err
    assert not list(tmp_path.iterdir())
    assert api.check_run_name("ok-name_1.0/sub") == "ok-name_1.0/sub"
