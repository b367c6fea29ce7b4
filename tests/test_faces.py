"""`ganforge prepare faces`: a real photo (scikit-image's astronaut) through OpenCV's cascade."""

from __future__ import annotations

import importlib.machinery
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from ganforge.cli import main
from ganforge.data import build_dataset
from ganforge.data.faces import haar_detector, main_face, make_detector, square_crop
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
    main(["prepare", "faces", str(photos), "--size", "64", "--out", str(out)])
    printed = capsys.readouterr().out
    assert "kept 1 of 3 images" in printed and "1 without a face, 1 unreadable" in printed
    assert "no face: cups/coffee.jpg" in printed and "unreadable: broken.png" in printed
    with np.load(out) as saved:
        assert saved["images"].shape == (1, 3, 64, 64) and saved["images"].dtype == np.uint8
        assert saved["files"].tolist() == ["astronaut.png"]
    data = build_dataset("npz", {"path": str(out)})
    assert data.info.shape == (3, 64, 64)


def test_the_crop_is_centred_on_the_face(photos: Path, tmp_path: Path) -> None:
    from ganforge.data.faces import prepare_faces

    report = prepare_faces(photos, size=256, out=tmp_path / "big", margin=0.5)
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


def test_mtcnn_is_used_when_its_package_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeMTCNN:
        def detect_faces(self, rgb: np.ndarray) -> list[dict[str, object]]:
            return [{"box": [1, 2, 3, 4], "confidence": 0.99}]

    module = types.ModuleType("mtcnn")
    module.__spec__ = importlib.machinery.ModuleSpec("mtcnn", None)
    module.MTCNN = FakeMTCNN  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mtcnn", module)
    monkeypatch.setitem(sys.modules, "facenet_pytorch", None)
    found = make_detector("auto")
    assert found.name == "mtcnn" and found.detect(np.zeros((8, 8, 3), np.uint8)) == [(1, 2, 3, 4)]


def test_asking_for_mtcnn_without_it_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mtcnn", None)
    monkeypatch.setitem(sys.modules, "facenet_pytorch", None)
    with pytest.raises(DataError, match="pip install facenet-pytorch"):
        make_detector("mtcnn")
