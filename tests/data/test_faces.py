"""`ganforge prepare faces`: a real photo (scikit-image's astronaut) through OpenCV's cascade and,
when it is installed, the real MTCNN; crops (ours and the tutorial's) and --limit."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganforge.cli import main
from ganforge.data import build_dataset
from ganforge.data.faces import (
    crop_face,
    haar_detector,
    main_face,
    make_detector,
    prepare_faces,
    square_crop,
    tight_crop,
)
from ganforge.data.images import resize_stretch
from ganforge.errors import DataError

cv2 = pytest.importorskip("cv2")
skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with one face photo, one photo without a face and one broken file."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("photos")
    Image.fromarray(skimage_data.astronaut()).save(folder / "astronaut.png")
    (folder / "cups").mkdir()
    Image.fromarray(skimage_data.coffee()).save(folder / "cups" / "coffee.jpg")
    (folder / "broken.png").write_bytes(b"not a png")
    return folder


def test_square_crop_grows_the_box_and_stays_inside_the_photo() -> None:
    assert square_crop((10, 20, 40, 40), 100, 100, 0.25) == (10, 0, 60)  # centred at (40, 30)
    assert square_crop((0, 0, 40, 20), 100, 100, 0.5) == (0, 0, 80)  # pushed inside
    assert square_crop((5, 5, 90, 90), 60, 100, 0.25) == (0, 20, 60)  # no larger than the photo


def test_prepare_faces_keeps_face_photos_and_reports_the_rest(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "faces.npz"
    main(["prepare", "faces", str(photos), "--size", "64", "--out", str(out), "--detector", "haar"])
    printed = capsys.readouterr().out
    assert "kept 1 of 3 images" in printed and "1 without a face, 1 unreadable" in printed
    assert "no face: cups/coffee.jpg" in printed and "unreadable: broken.png" in printed
    with np.load(out) as saved:
        assert saved["images"].shape == (1, 3, 64, 64) and saved["images"].dtype == np.uint8
        assert saved["files"].tolist() == ["astronaut.png"]
        box = saved["boxes"][0].tolist()
    assert box == list(main_face(skimage_data.astronaut(), haar_detector()))
    data = build_dataset("npz", {"path": str(out)})
    assert data.info.shape == (3, 64, 64)


def test_the_crop_is_centred_on_the_face(photos: Path, tmp_path: Path) -> None:
    report = prepare_faces(photos, size=256, out=tmp_path / "big", margin=0.5, detector="haar")
    assert report.out == tmp_path / "big.npz" and report.kept == 1
    crop = np.load(report.out)["images"][0].transpose(1, 2, 0).copy()
    x, y, w, h = main_face(crop, haar_detector())
    assert abs(x + w / 2 - 128) < 20 and abs(y + h / 2 - 128) < 20
    assert 0.35 < w / 256 < 0.8  # the face fills about 1 / (1 + 2 * margin) of the crop


def test_missing_opencv_says_how_to_install_it(
    photos: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 now raises ImportError
    with pytest.raises(SystemExit) as done:
        main(["prepare", "faces", str(photos), "--detector", "haar"])
    assert done.value.code == 2
    assert "pip install 'ganforge[faces]'" in capsys.readouterr().err


def fake_mtcnn(monkeypatch: pytest.MonkeyPatch, boxes: list[list[int]]) -> None:
    """An ``mtcnn`` module whose detector returns ``boxes`` (x, y, w, h) in this order."""

    class FakeMTCNN:
        def detect_faces(self, rgb: np.ndarray) -> list[dict[str, object]]:
            return [{"box": box, "confidence": 0.99} for box in boxes]

    module = types.ModuleType("mtcnn")
    module.__spec__ = importlib.machinery.ModuleSpec("mtcnn", None)
    module.MTCNN = FakeMTCNN  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mtcnn", module)
    monkeypatch.setitem(sys.modules, "facenet_pytorch", None)


def test_mtcnn_is_used_when_its_package_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_mtcnn(monkeypatch, [[1, 2, 3, 4]])
    found = make_detector("auto")
    assert found.name == "mtcnn" and found.detect(np.zeros((8, 8, 3), np.uint8)) == [(1, 2, 3, 4)]


def test_the_tutorial_crop_is_the_first_box_tight_and_stretched(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PIL import Image

    photo = np.zeros((200, 300, 3), np.uint8)
    photo[20:70, 10:40] = (255, 0, 0)  # the first detection: small, 30 x 50, red
    photo[60:140, 100:180] = (0, 0, 255)  # the second: larger, 80 x 80, blue
    (tmp_path / "in").mkdir()
    Image.fromarray(photo).save(tmp_path / "in" / "two.png")
    fake_mtcnn(monkeypatch, [[10, 20, 30, 50], [100, 60, 80, 80]])
    out = {}
    for crop in ("tutorial", "square"):
        report = prepare_faces(tmp_path / "in", 32, tmp_path / crop, 0.0, "mtcnn", crop)
        assert report.crop == crop and report.kept == 1
        out[crop] = np.load(report.out)["images"][0].transpose(1, 2, 0)
    np.testing.assert_array_equal(out["tutorial"], resize_stretch(photo[20:70, 10:40], (32, 32)))
    assert (out["tutorial"] == (255, 0, 0)).all()  # the tight box: nothing but the face
    assert (out["square"] == (0, 0, 255)).all()  # ours: the largest face, margin 0


def test_tight_crop_takes_abs_of_negative_corners_like_the_tutorial() -> None:
    assert tight_crop((10, 20, 30, 50), 200, 300) == (20, 10, 70, 40)
    assert tight_crop((-5, -3, 20, 20), 200, 300) == (3, 5, 23, 25)  # abs(), not clamping
    assert tight_crop((290, 190, 30, 30), 200, 300) == (190, 290, 200, 300)  # cut at the edge


@settings(max_examples=40, deadline=None)
@given(
    st.integers(8, 120),
    st.integers(8, 120),
    st.tuples(
        st.integers(-40, 150), st.integers(-40, 150), st.integers(1, 160), st.integers(1, 160)
    ),
    st.sampled_from(["square", "tutorial"]),
    st.floats(0, 1),
)
def test_every_crop_is_inside_the_photo_and_of_the_asked_size(
    height: int, width: int, box: tuple[int, int, int, int], crop: str, margin: float
) -> None:
    top, left, bottom, right = tight_crop(box, height, width)
    assert 0 <= top < bottom <= height and 0 <= left < right <= width
    top, left, side = square_crop(box, height, width, margin)
    assert min(top, left) >= 0 and top + side <= height and left + side <= width
    photo = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    assert crop_face(photo, box, 16, margin, crop).shape == (16, 16, 3)  # type: ignore[arg-type]


def test_limit_stops_once_enough_faces_are_kept(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    folder = tmp_path / "many"
    shutil.copytree(photos, folder)
    for name in ("c.png", "d.png"):
        shutil.copy(folder / "astronaut.png", folder / name)
    out = tmp_path / "two.npz"
    args = ["prepare", "faces", str(folder), "--detector", "haar", "--size", "16"]
    main([*args, "--limit", "2", "--out", str(out)])
    printed = capsys.readouterr().out
    # path order: astronaut.png, broken.png, c.png | cups/coffee.jpg, d.png
    assert "kept 2 of 3 images (haar detector, square crop)" in printed
    assert "stopped at --limit 2: 2 photo(s) not read" in printed
    with np.load(out) as saved:
        assert saved["files"].tolist() == ["astronaut.png", "c.png"]
    with pytest.raises(SystemExit) as done:
        main([*args, "--limit", "0"])
    err = capsys.readouterr().err  # the CLI's range refuses it before any photo is read
    assert done.value.code == 2 and "'--limit': 0 is not in the range x>=1" in err
    with pytest.raises(DataError, match="--limit must be at least 1"):  # and so does the library
        prepare_faces(folder, size=16, out=tmp_path / "none.npz", detector="haar", limit=0)


REAL_MTCNN = importlib.util.find_spec("mtcnn") is not None and (
    importlib.util.find_spec("tensorflow") is not None
)


@pytest.mark.skipif(
    not REAL_MTCNN,
    reason="the real MTCNN is not installed: pip install 'ganforge[mtcnn]' (the mtcnn package "
    "with TensorFlow; see docs/progressive.md)",
)
def test_the_real_mtcnn_finds_the_astronaut_and_crops_it_like_the_tutorial(
    photos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mtcnn.npz"
    args = ["prepare", "faces", str(photos), "--detector", "mtcnn", "--crop", "tutorial"]
    done = subprocess.run(  # TensorFlow stays out of the test process
        [sys.executable, "-m", "ganforge.cli", *args, "--size", "64", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "kept 1 of 3 images (mtcnn detector, tutorial crop)" in done.stdout
    assert "no face: cups/coffee.jpg" in done.stdout
    photo = skimage_data.astronaut()
    with np.load(out) as saved:
        assert saved["files"].tolist() == ["astronaut.png"]
        crop, (x, y, w, h) = saved["images"][0].transpose(1, 2, 0), saved["boxes"][0].tolist()
    hx, hy, hw, hh = main_face(photo, haar_detector())
    overlap_w = max(0, min(x + w, hx + hw) - max(x, hx))
    overlap_h = max(0, min(y + h, hy + hh) - max(y, hy))
    inter = overlap_w * overlap_h
    assert inter / (w * h + hw * hh - inter) > 0.4  # the face OpenCV's cascade finds too
    np.testing.assert_array_equal(crop, resize_stretch(photo[y : y + h, x : x + w], (64, 64)))


def test_asking_for_mtcnn_without_it_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mtcnn", None)
    monkeypatch.setitem(sys.modules, "facenet_pytorch", None)
    with pytest.raises(DataError, match=r"pip install 'ganforge\[mtcnn\]'"):
        make_detector("mtcnn")
