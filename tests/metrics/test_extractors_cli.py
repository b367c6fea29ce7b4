"""`ganforge extractors` and `ganforge weights fetch inception` (never touching the network)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ganforge.cli import EXIT_USER_ERROR
from ganforge.metrics.features import inception_weights

from ..conftest import run_cli


def test_extractors_lists_one_line_each(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(inception_weights.ENV_VAR, raising=False)
    code, out, _ = run_cli(capsys, *["extractors"])
    lines = out.strip().splitlines()
    names = [line.split()[0] for line in lines]
    assert code == 0
    assert names == [
        "digits-classifier",
        "identity",
        "inception-v3-fid",
        "mnist-classifier",
        "pixels",
    ]
    inception = lines[names.index("inception-v3-fid")]
    assert "weights missing: run `ganforge weights fetch inception`" in inception


def test_fetch_offline_fails_with_what_to_do(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    unreachable = (tmp_path / "no-such-mirror" / inception_weights.FILENAME).as_uri()
    monkeypatch.setattr(inception_weights, "URLS", (unreachable,))
    dest = tmp_path / "weights.pth"
    code, out, err = run_cli(capsys, *["weights", "fetch", "inception", "--path", str(dest)])
    assert code == EXIT_USER_ERROR and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "could not download the FID Inception weights" in err
    assert inception_weights.SHA256 in err and inception_weights.ENV_VAR in err
    assert not dest.exists()


def publish(content: bytes, folder: Path, monkeypatch: pytest.MonkeyPatch, trusted: bool) -> None:
    """Serve ``content`` as the only mirror (a file:// URL); ``trusted`` makes its hash official."""
    mirror = folder / "mirror.pth"
    mirror.write_bytes(content)
    monkeypatch.setattr(inception_weights, "URLS", (mirror.as_uri(),))
    if trusted:
        monkeypatch.setattr(inception_weights, "SHA256", hashlib.sha256(content).hexdigest())


def test_fetch_verifies_the_checksum(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dest = tmp_path / "cache" / "weights.pth"
    publish(b"pretend weights", tmp_path, monkeypatch, trusted=False)
    code, _, err = run_cli(capsys, *["weights", "fetch", "inception", "--path", str(dest)])
    assert code == EXIT_USER_ERROR and "checksum mismatch" in err and not dest.exists()

    publish(b"pretend weights", tmp_path, monkeypatch, trusted=True)
    code, out, _ = run_cli(capsys, *["weights", "fetch", "inception", "--path", str(dest)])
    assert code == 0 and dest.read_bytes() == b"pretend weights"
    assert "SHA-256 verified" in out and f"GANFORGE_INCEPTION_WEIGHTS={dest}" in out


def test_fetch_defaults_to_the_user_cache(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    publish(b"weights", tmp_path, monkeypatch, trusted=True)
    monkeypatch.delenv(inception_weights.ENV_VAR, raising=False)
    code, out, _ = run_cli(capsys, *["weights", "fetch", "inception"])
    assert code == 0 and out.startswith(str(inception_weights.default_path()))
    assert inception_weights.locate() == inception_weights.default_path()
