"""Inputs an adversarial user might send end in one line, not a traceback or a blow-up: file
names that are not UTF-8, YAML alias bombs in --set, object arrays in a statistics file,
checkpoints that pickle blocked globals."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge import config
from ganforge.checkpoints import load_checkpoint
from ganforge.errors import ConfigError, GanforgeError
from ganforge.metrics.measures.stats import FeatureStats
from ganforge.metrics.runner.base import parse_spec

from .conftest import run_cli

# nine levels of nine aliases each: 9**9 (387 M) strings once expanded, 300 bytes written
BOMB = (
    "["
    + ", ".join(
        [f"&l0 [{', '.join(['lol'] * 9)}]"]
        + [f"&l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    )
    + "]"
)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _non_utf8_folder(root: Path) -> Path:
    """Four images, one more under a name that is not UTF-8, and a non-UTF-8 file that is not
    an image (skipped, so it is written into the skip list)."""
    root.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray(rng.integers(0, 255, (12, 12, 3), dtype=np.uint8)).save(root / f"{i}.png")
    Image.fromarray(np.zeros((12, 12, 3), np.uint8)).save(os.fsdecode(bytes(root) + b"/ok\xfe.png"))
    (Path(os.fsdecode(bytes(root) + b"/bad\xff.png"))).write_bytes(b"not an image")
    return root


@pytest.mark.skipif(os.fsencode("\udcff") == b"?", reason="a file system without byte names")
def test_a_skipped_file_whose_name_is_not_utf8_is_listed_byte_for_byte(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path / "home"))
    root = _non_utf8_folder(tmp_path / "photos")
    for argv in (["stats", str(root)], ["compare", str(root), str(root), "--metrics", "fid"]):
        code, _, err = run_cli(capsys, *argv, "--extractor", "pixels")
        assert code == 0, err
        line, *others = [line for line in err.splitlines() if line.startswith("warning: ")]
        assert all(other == line for other in others)  # compare: one per side
        assert "used 5 of 6 images" in line and "1 not an image" in line
        listing = Path(line.split("the list is in ")[1])
        assert listing.read_bytes().startswith(bytes(root) + b"/bad\xff.png\t")


def test_a_yaml_alias_bomb_in_set_is_refused_at_once(tmp_path: Path, capsys) -> None:
    start = time.perf_counter()
    code, _, err = run_cli(capsys, "train", "--runs-dir", str(tmp_path), "--set", f"data.x={BOMB}")
    line = _one_line(err)
    assert time.perf_counter() - start < 5  # expanded, it takes gigabytes and minutes
    assert code == 2
    assert line == (
        "error: --set data.x: the value refers to a YAML anchor (*alias); write the value out "
        "in full (aliases can expand a short value into gigabytes)"
    )
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("*.png", "*.png"), ("[&a 1, 2]", [1, 2]), ("{a: &x 1}", {"a": 1}), ("'*a'", "*a")],
)
def test_values_that_only_look_like_aliases_still_parse(value: str, parsed: object) -> None:
    assert config.parse_override(f"data.glob={value}") == (["data", "glob"], parsed)


def test_a_metric_spec_refuses_aliases_too() -> None:
    with pytest.raises(ConfigError, match=r"^kid:subsets: the value refers to a YAML anchor"):
        parse_spec(f"kid:subsets={BOMB.replace(':', '')}")
    assert parse_spec("kid:subsets=10") == ("kid", {"subsets": 10})


@pytest.mark.parametrize("bad", ["mu", "sigma", "count", "provenance"])
def test_a_statistics_file_holding_an_object_array_is_one_line(
    tmp_path: Path, tiny_run: Path, capsys, bad: str
) -> None:
    arrays: dict[str, np.ndarray] = {"mu": np.zeros(2), "sigma": np.eye(2)}
    arrays["count"], arrays["provenance"] = np.array(3), np.array("{}")
    arrays[bad] = np.array([{"a": 1}, None], dtype=object)
    path = tmp_path / "stats.npz"
    np.savez(path, **arrays)  # numpy pickles the object array into the file
    with pytest.raises(GanforgeError, match=r"stats\.npz is not a readable \.npz statistics"):
        FeatureStats.load(path)
    for argv in (
        ["compare", str(path), str(path), "--metrics", "fid"],
        ["evaluate", str(tiny_run), "--metrics", "fid", "--real", str(path), "--n", "20"],
    ):
        code, _, err = run_cli(capsys, *argv)
        line = _one_line(err)
        assert code == 2 and "is not a readable .npz statistics file" in line
        assert "allow_pickle" in line  # numpy's reason, after ours


def test_a_checkpoint_pickling_a_blocked_global_is_called_a_pickle_of_objects(
    tmp_path: Path, capsys
) -> None:
    """torch's message for a global of a blocked module (os, posix, sys) says "unsupported
    GLOBAL", where other globals say "Unsupported global"."""

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    path = tmp_path / "evil.pt"
    torch.save({"recipe": "gan", "x": Payload()}, path)
    with pytest.raises(GanforgeError, match="holds Python objects other than tensors"):
        load_checkpoint(path)
    code, _, err = run_cli(capsys, "sample", str(path))
    line = _one_line(err)
    assert code == 2 and "is not a ganforge checkpoint: it holds Python objects" in line
    assert not (tmp_path / "pwned").exists()
