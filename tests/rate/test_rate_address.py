"""The links the server prints must be usable: no wildcard address, IPv6 in brackets."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from ganforge.errors import GanforgeError
from ganforge.rate import RatingApp, make_server
from ganforge.rate.server import announcement

from .rate_helpers import Rater, folder_study, running


def _ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")


@pytest.fixture()
def study(tmp_path: Path):
    opened = folder_study(tmp_path, n=2)
    yield opened
    opened.close()


def test_all_interfaces_links_name_the_machine_and_say_how_to_reach_it_locally(
    study, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running(study, host="0.0.0.0") as server:
        monkeypatch.setattr(socket, "gethostname", lambda: "lab-pc")  # after binding: no lookup
        port = server.server_address[1]
        assert server.base_url == f"http://lab-pc:{port}"
        assert server.links()["rater"] == f"http://lab-pc:{port}/join/{study.rater_token}"
        assert server.local_url == f"http://127.0.0.1:{port}"
        assert Rater(server.local_url).join(study.rater_token) == 200
        text = "\n".join(announcement(server))
    assert "0.0.0.0" not in text and f"http://lab-pc:{port}/join/" in text
    assert "IP address" in text and f"http://127.0.0.1:{port}" in text and "plain HTTP" in text


def test_a_nameless_machine_falls_back_to_the_loopback_link(
    study, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running(study, host="0.0.0.0") as server:
        monkeypatch.setattr(socket, "gethostname", lambda: "localhost")
        assert server.base_url == f"http://127.0.0.1:{server.server_address[1]}"
        assert "IP address" in "\n".join(announcement(server))


def test_loopback_links_are_unchanged_and_carry_no_notes(study) -> None:
    with running(study) as server:
        assert server.base_url == f"http://127.0.0.1:{server.server_address[1]}"
        assert not any("note" in line for line in announcement(server))


@needs_ipv6
def test_ipv6_links_put_the_address_in_brackets_and_work(study) -> None:
    with running(study, host="::1") as server:
        assert re.fullmatch(r"http://\[::1\]:\d+", server.base_url)
        rater = Rater(server.base_url)
        assert rater.join(study.rater_token) == 200
        assert len(rater.next("pair")["images"]) == 2


@needs_ipv6
def test_ipv6_wildcard_names_the_machine(study, monkeypatch: pytest.MonkeyPatch) -> None:
    with running(study, host="::") as server:
        monkeypatch.setattr(socket, "gethostname", lambda: "lab-pc")
        port = server.server_address[1]
        assert server.base_url == f"http://lab-pc:{port}"
        assert server.local_url == f"http://[::1]:{port}"
        assert Rater(server.local_url).join(study.rater_token) == 200


@needs_ipv6
def test_busy_ipv6_port_is_a_user_error_with_a_bracketed_address(study) -> None:
    with socket.socket(socket.AF_INET6) as taken:
        taken.bind(("::1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(GanforgeError, match=rf"cannot listen on \[::1\]:{port} .*--port"):
            make_server(RatingApp(study), "::1", port)
