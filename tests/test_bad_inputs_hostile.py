"""The CLI and rating fuzz, hostile half: YAML alias bombs in any --set, file names that are not
UTF-8 in a scanned folder, JSON nested past the parser's stack sent to the rating API. Each
ends in one line (or a 400 with the usual headers), never a traceback, a hang or a blow-up."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from .bad_values import config_keys
from .conftest import run_cli
from .rate.rate_helpers import Rater, folder_study, running

KEYS = config_keys()
FEW = settings(
    max_examples=int(os.environ.get("GANFORGE_BAD_INPUT_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


@st.composite
def alias_bomb(draw: st.DrawFn) -> str:
    """Nested aliases in flow or block style: ``width ** depth`` leaves once expanded."""
    depth, width = draw(st.integers(2, 9)), draw(st.integers(2, 9))
    leaf = draw(st.sampled_from(["lol", "1", "{a: 1}", "[0.5]"]))
    levels = [f"&a0 [{', '.join([leaf] * width)}]"]
    levels += [f"&a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, depth)]
    wrap = draw(st.sampled_from(["[{}]", "{{k: [{}]}}"]))
    return wrap.format(", ".join(levels))


@FEW
@given(key=st.sampled_from(KEYS), bomb=alias_bomb())
def test_an_alias_bomb_in_any_set_is_one_line_at_once(capsys, tmp_path: Path, key, bomb) -> None:
    start = time.perf_counter()
    code, _, err = run_cli(
        capsys, "train", "--runs-dir", str(tmp_path / "runs"), "--set", f"{key.dotted}={bomb}"
    )
    assert time.perf_counter() - start < 5, key.dotted
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert "refers to a YAML anchor" in lines[0] and key.dotted in lines[0]


# bytes of a file name that are not UTF-8 (no '/', no NUL; the name is not hidden)
NON_UTF8 = (
    st.binary(min_size=1, max_size=12)
    .filter(lambda b: b"/" not in b and b"\0" not in b and not b.startswith(b"."))
    .filter(lambda b: _not_utf8(b))
)


def _not_utf8(name: bytes) -> bool:
    try:
        name.decode()
    except UnicodeDecodeError:
        return True
    return False


@FEW
@given(names=st.lists(NON_UTF8, min_size=1, max_size=4, unique=True), data=st.booleans())
def test_non_utf8_file_names_in_a_scanned_folder_never_crash(
    capsys, tmp_path_factory: pytest.TempPathFactory, names: list[bytes], data: bool
) -> None:
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(root / f"{i}.png")
    for name in names:  # junk, or a readable image, under each hostile name
        path = os.fsdecode(bytes(root) + b"/" + name + b".png")
        if data:
            Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(path)
        else:
            Path(path).write_bytes(b"junk")
    code, out, err = run_cli(
        capsys, "stats", str(root), "--extractor", "pixels", "--out", str(root / "s.npz")
    )
    assert code == 0 and "Traceback" not in err, err
    assert f"({3 + len(names) if data else 3} samples" in out
    if not data:
        assert f"skipped {len(names)} not an image" in err


@pytest.fixture(scope="module")
def rater(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rater]:
    study = folder_study(tmp_path_factory.mktemp("rate"))
    with running(study) as server:
        joined = Rater(server.base_url)
        assert joined.join(study.rater_token) == 200
        yield joined
    study.close()


@st.composite
def nested_json(draw: st.DrawFn) -> bytes:
    """Arrays and objects opened deeper than the parser's stack, under the 4 kB body limit:
    deeper than 2,100 levels, since hypothesis raises the recursion limit to about 2,000 while
    it runs (and the server's thread shares it); so never closed, as an attacker would send."""
    depth = draw(st.integers(2100, 3700))
    unit = draw(st.lists(st.sampled_from([b"[", b"[", b"[", b'{"":']), min_size=1, max_size=6))
    opens = (unit * depth)[:depth]  # a repeating pattern of arrays and objects
    while len(b"".join(opens)) > 3990:  # objects take 4 bytes: fewer levels
        opens = opens[:-100]
    body = b"".join(opens) + draw(st.sampled_from([b"", b"1", b'"x"', b"null"]))
    room = 4000 - len(body)
    closes = [b"]" if o == b"[" else b"}" for o in reversed(opens)]
    return body + b"".join(closes[: draw(st.integers(0, max(0, room)))])


@FEW
@given(body=nested_json(), path=st.sampled_from(["/api/next", "/api/answer"]))
def test_json_nested_past_the_stack_is_a_400_with_the_headers(
    rater: Rater, body: bytes, path: str
) -> None:
    headers = {"Content-Type": "application/json", "X-CSRF-Token": rater.csrf or ""}
    status, got, data = rater.request("POST", path, body, headers)
    assert len(body) < 4096 and status == 400, data[:200]
    assert all(got[h] for h in HEADERS), got
