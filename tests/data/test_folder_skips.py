"""A folder dataset says in one line what it skipped and why; oversized images are refused."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganforge.data import build_dataset
from ganforge.data.folder_scan import walk_images
from ganforge.data.images import DEFAULT_MAX_PIXELS, ImageTooLarge, load_image
from ganforge.errors import DataError

from ..conftest import run_cli


def _folder(root: Path) -> Path:
    """Six good images, a truncated one, a text file named .jpg and a 1-bit 9000x9000 PNG
    (a 10 KB file that decodes to 81 M pixels)."""
    (root / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)).save(
            root / "sub" / f"ok{i}.png"
        )
    data = (root / "sub" / "ok0.png").read_bytes()
    (root / "truncated.png").write_bytes(data[: len(data) // 2])
    (root / "notimage.jpg").write_text("hello")
    Image.new("1", (9000, 9000)).save(root / "bomb.png")
    return root


def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    bomb = _folder(tmp_path) / "bomb.png"
    assert bomb.stat().st_size < 100_000 and DEFAULT_MAX_PIXELS < 9000 * 9000
    with pytest.raises(ImageTooLarge, match=r"9000x9000 is 81 M pixels, over the limit of 67 M"):
        load_image(bomb)
    small = tmp_path / "sub" / "ok1.png"
    with pytest.raises(ImageTooLarge, match=r"raise data\.max_pixels"):
        load_image(small, max_pixels=24 * 24 - 1)
    assert load_image(small, max_pixels=24 * 24).shape == (24, 24, 3)


def test_the_skip_summary_counts_reasons_and_names_the_list(tmp_path: Path) -> None:
    root = _folder(tmp_path / "photos")
    data = build_dataset("folder", {"path": str(root), "size": 8, "progress": False})
    assert len(data) == 6
    (note,) = data.info.notes
    head, _, listing = note.partition("; the list is in ")
    assert head == (
        f"used 6 of 9 images under {root}; skipped 1 over the pixel limit (data.max_pixels), "
        "1 not an image, 1 damaged or unsupported"
    )
    lines = Path(listing).read_text().splitlines()
    assert sorted(Path(line.split("\t")[0]).name for line in lines) == [
        "bomb.png",
        "notimage.jpg",
        "truncated.png",
    ]
    assert any("ImageTooLarge" in line for line in lines)


def test_raising_the_pixel_limit_lets_a_large_image_in(tmp_path: Path) -> None:
    root = tmp_path / "big"
    root.mkdir()
    Image.new("RGB", (300, 200), (10, 20, 30)).save(root / "a.png")
    Image.new("RGB", (30, 20), (10, 20, 30)).save(root / "b.png")
    params = {"path": str(root), "size": 8, "progress": False}
    assert len(build_dataset("folder", {**params, "max_pixels": 1000})) == 1
    assert len(build_dataset("folder", {**params, "max_pixels": 60_000})) == 2
    assert len(build_dataset("folder", {**params, "max_pixels": None})) == 2


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """os.scandir refuses ``denied`` (chmod would not stop root)."""
    real = os.scandir

    def scandir(path=".", *args, **kwargs):
        if Path(path) == denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)


def test_an_unreadable_sub_folder_is_counted(tmp_path: Path, monkeypatch) -> None:
    root = _folder(tmp_path / "photos")
    (root / "locked").mkdir()
    _deny(monkeypatch, root / "locked")
    files, unreadable = walk_images(root)
    assert unreadable == [root / "locked"] and len(files) == 9
    data = build_dataset("folder", {"path": str(root), "size": 8, "progress": False})
    assert "1 unreadable sub-folder(s)" in data.info.notes[0]


def test_an_unreadable_folder_is_one_error(tmp_path: Path, monkeypatch) -> None:
    root = _folder(tmp_path / "photos")
    _deny(monkeypatch, root)
    with pytest.raises(DataError, match="cannot be read"):
        build_dataset("folder", {"path": str(root), "size": 8, "progress": False})


def test_the_console_gets_one_summary_line(tmp_path: Path, capsys) -> None:
    root = _folder(tmp_path / "photos")
    code, _, err = run_cli(
        capsys, "stats", f"folder:path={root}:size=8:progress=false", "--extractor", "pixels"
    )
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "used 6 of 9 images" in warnings[0]
    assert "the list is in" in warnings[0]


def test_a_read_only_cache_does_not_stop_the_data(tmp_path: Path, monkeypatch) -> None:
    root = _folder(tmp_path / "photos")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("GANFORGE_HOME", str(blocker / "cache"))  # cannot be created
    data = build_dataset("folder", {"path": str(root), "size": 8, "progress": False})
    assert len(data) == 6 and "the list could not be saved" in data.info.notes[0]


@pytest.mark.parametrize("in_memory", [True, False], ids=["in-memory", "lazy"])
def test_own_size_folders_get_the_summary_and_the_pixel_limit(
    in_memory: bool, tmp_path: Path
) -> None:
    """size=None (what stats and compare use): the 9000x9000 image is refused from its header
    (decoded, it would make the sizes mixed) and the skips are one summary line."""
    root = _folder(tmp_path / "photos")
    params = {"path": str(root), "size": None, "progress": False, "in_memory": in_memory}
    data = build_dataset("folder", params)
    assert len(data) == 6 and data.info.shape == (3, 24, 24)
    (note,) = data.info.notes
    assert note.startswith(
        f"used 6 of 9 images under {root}; skipped 1 over the pixel limit (data.max_pixels), "
    )
    with pytest.raises(DataError, match="none of the 9 images"):
        build_dataset("folder", {**params, "max_pixels": 24 * 24 - 1})


def test_compare_and_stats_of_a_folder_say_what_they_skipped(tmp_path: Path, capsys) -> None:
    root = _folder(tmp_path / "photos")
    for argv in (["stats", str(root)], ["compare", str(root), str(root), "--metrics", "fid"]):
        code, _, err = run_cli(capsys, *argv, "--extractor", "pixels")
        assert code == 0, err
        warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
        assert warnings and all("used 6 of 9 images" in line for line in warnings), err
