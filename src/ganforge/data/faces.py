"""Face-dataset preparation: detect a face in each photo, crop it, resize, save an .npz.

Works offline with OpenCV's bundled Haar cascade (``pip install 'ganforge[faces]'``); when an
MTCNN package is installed (``pip install 'ganforge[mtcnn]'``: the ``mtcnn`` package with
TensorFlow; or ``facenet-pytorch``; both ship their weights) the stronger MTCNN detector is used
instead. Two crops: ours (``square``: the largest face, a square grown by a margin) and the face
tutorial's (``tutorial``: the first detection's tight box, stretched to the square size). Photos
without a face, files that cannot be read and photos left after ``limit`` faces are counted.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from ganforge.data.folder import list_images
from ganforge.data.images import IMAGE_EXTENSIONS, load_image, resize_center_crop, resize_stretch
from ganforge.errors import DataError

Box = tuple[int, int, int, int]  # x, y, width, height in pixels
DetectorKind = Literal["auto", "haar", "mtcnn"]
DETECTORS: tuple[str, ...] = typing.get_args(DetectorKind)
CropKind = Literal["square", "tutorial"]
CROPS: tuple[str, ...] = typing.get_args(CropKind)
DETECT_SIDE = 640  # photos are shrunk to this longest side for detection (speed)
INSTALL_OPENCV = (
    "face detection needs OpenCV's bundled Haar cascade: pip install 'ganforge[faces]' "
    "(that is opencv-python-headless below 5.0; OpenCV 5 no longer ships the cascades)"
)
MTCNN_PACKAGES = ("facenet_pytorch", "mtcnn")
INSTALL_MTCNN = (
    "--detector mtcnn needs an MTCNN package: pip install 'ganforge[mtcnn]' (the mtcnn package "
    "with TensorFlow; facenet-pytorch needs torchvision, which this torch build cannot load)"
)


@dataclass
class Detector:
    """A named function from an RGB uint8 HWC image to face boxes."""

    name: str
    detect: Callable[[np.ndarray], list[Box]]


def haar_detector() -> Detector:
    """OpenCV's frontal-face Haar cascade (its model file ships inside the opencv package)."""
    try:
        import cv2
    except ImportError:
        raise DataError(INSTALL_OPENCV) from None
    if not hasattr(cv2, "CascadeClassifier") or not hasattr(cv2, "data"):
        raise DataError(f"OpenCV {cv2.__version__} has no Haar cascades; {INSTALL_OPENCV}")
    cascade = cv2.CascadeClassifier(
        str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml")
    )
    if cascade.empty():
        raise DataError(f"OpenCV's face cascade could not be loaded; {INSTALL_OPENCV}")

    def detect(rgb: np.ndarray) -> list[Box]:
        gray = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        smallest = max(24, min(gray.shape) // 10)
        found = cascade.detectMultiScale(gray, 1.1, 5, minSize=(smallest, smallest))
        return [tuple(int(v) for v in box) for box in found]  # type: ignore[misc]

    return Detector("haar", detect)


def mtcnn_detector() -> Detector | None:
    """MTCNN from facenet-pytorch or the mtcnn package, when one is installed."""
    for package in MTCNN_PACKAGES:
        if importlib.util.find_spec(package) is None:
            continue
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's start-up chatter
        module = importlib.import_module(package)
        if package == "facenet_pytorch":
            net = module.MTCNN(keep_all=True, device="cpu")

            def detect_fp(rgb: np.ndarray, net: object = net) -> list[Box]:
                boxes, _ = net.detect(rgb)  # type: ignore[attr-defined]
                if boxes is None:
                    return []
                return [(int(a), int(b), int(c - a), int(d - b)) for a, b, c, d in boxes]

            return Detector("mtcnn (facenet-pytorch)", detect_fp)
        net = module.MTCNN()

        def detect_mt(rgb: np.ndarray, net: object = net) -> list[Box]:
            faces = net.detect_faces(rgb)  # type: ignore[attr-defined]
            return [tuple(int(v) for v in face["box"]) for face in faces]  # type: ignore[misc]

        return Detector("mtcnn", detect_mt)
    return None


def make_detector(kind: DetectorKind = "auto") -> Detector:
    """MTCNN when asked for or (auto) when installed, else OpenCV's Haar cascade."""
    if kind not in DETECTORS:
        raise DataError(f"--detector must be one of {', '.join(DETECTORS)}, got {kind!r}")
    if kind in ("auto", "mtcnn"):
        found = mtcnn_detector()
        if found is not None:
            return found
        if kind == "mtcnn":
            raise DataError(INSTALL_MTCNN)
    return haar_detector()


def face_boxes(rgb: np.ndarray, detector: Detector) -> list[Box]:
    """The detector's face boxes in full-image pixels, in its order (detection runs on a copy
    shrunk to ``DETECT_SIDE``)."""
    h, w = rgb.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(h, w))
    small = rgb
    if scale < 1.0:
        small = resize_center_crop(rgb, (max(1, round(h * scale)), max(1, round(w * scale))))
    return [
        (round(x / scale), round(y / scale), round(bw / scale), round(bh / scale))
        for x, y, bw, bh in detector.detect(small)
    ]


def main_face(rgb: np.ndarray, detector: Detector, crop: CropKind = "square") -> Box | None:
    """The face to crop: the largest box (``square``) or the first one (``tutorial``)."""
    boxes = face_boxes(rgb, detector)
    if not boxes:
        return None
    return boxes[0] if crop == "tutorial" else max(boxes, key=lambda b: b[2] * b[3])


def square_crop(box: Box, height: int, width: int, margin: float) -> tuple[int, int, int]:
    """(top, left, side): a square around the box, grown by ``margin`` per side, in the photo."""
    x, y, bw, bh = box
    side = min(round(max(bw, bh) * (1 + 2 * margin)), height, width)
    cy, cx = y + bh / 2, x + bw / 2
    top = int(min(max(round(cy - side / 2), 0), height - side))
    left = int(min(max(round(cx - side / 2), 0), width - side))
    return top, left, side


def tight_crop(box: Box, height: int, width: int) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of the tutorial's crop: the box itself, its corner made
    non-negative with abs() as the tutorial does, cut at the photo's edges."""
    x, y, bw, bh = box
    left, top = min(abs(x), width - 1), min(abs(y), height - 1)
    return top, left, max(top + 1, min(top + bh, height)), max(left + 1, min(left + bw, width))


def crop_face(rgb: np.ndarray, box: Box, size: int, margin: float, crop: CropKind) -> np.ndarray:
    """The size x size RGB crop of ``box``: a grown square (``square``) or the tight box
    stretched to the square (``tutorial``, which does not keep the face's aspect ratio)."""
    if crop == "tutorial":
        top, left, bottom, right = tight_crop(box, *rgb.shape[:2])
        return resize_stretch(rgb[top:bottom, left:right], (size, size))
    top, left, side = square_crop(box, *rgb.shape[:2], margin)
    return resize_center_crop(rgb[top : top + side, left : left + side], (size, size))


@dataclass
class FacesReport:
    """What prepare_faces did: how many photos it kept and which it skipped, and why."""

    out: Path
    detector: str
    kept: int
    crop: str = "square"
    no_face: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    not_read: int = 0  # photos left unopened once ``limit`` faces were kept

    @property
    def seen(self) -> int:
        """Image files looked at."""
        return self.kept + len(self.no_face) + len(self.unreadable)


def prepare_faces(
    folder: str | Path,
    size: int = 128,
    out: str | Path = "faces.npz",
    margin: float = 0.25,
    detector: DetectorKind = "auto",
    crop: CropKind = "square",
    limit: int | None = None,
) -> FacesReport:
    """Crop a face of every photo under ``folder`` to size x size RGB; save an .npz.

    Photos are read in sorted path order; with ``limit`` the work stops once that many faces are
    kept (the rest are counted in ``not_read``). ``crop`` is ``square`` (the largest face, a
    square grown by ``margin`` per side) or ``tutorial`` (the first detection's tight box,
    stretched; ``margin`` unused). The .npz holds ``images`` (uint8 N x 3 x size x size),
    ``files`` (source paths relative to ``folder``) and ``boxes`` (the chosen detection, x, y,
    width, height in the photo's pixels); train on it with ``data.name=npz data.path=<out>``.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise DataError(f"{root} is not a folder of photos")
    if size < 8:
        raise DataError(f"--size must be at least 8, got {size}")
    if margin < 0:
        raise DataError(f"--margin must be >= 0, got {margin}")
    if crop not in CROPS:
        raise DataError(f"--crop must be one of {', '.join(CROPS)}, got {crop!r}")
    if limit is not None and limit < 1:
        raise DataError(f"--limit must be at least 1, got {limit}")
    files = list_images(root)
    if not files:
        raise DataError(f"no image files ({', '.join(sorted(IMAGE_EXTENSIONS))}) under {root}")
    found = make_detector(detector)
    target = Path(out) if str(out).endswith(".npz") else Path(f"{out}.npz")  # as numpy names it
    report = FacesReport(target, found.name, 0, crop)
    crops, names, boxes = [], [], []
    for i, path in enumerate(files):
        if limit is not None and len(crops) >= limit:
            report.not_read = len(files) - i
            break
        name = str(path.relative_to(root))
        try:
            rgb = load_image(path, channels=3)
        except Exception:  # a broken or unsupported file is skipped, not fatal
            report.unreadable.append(name)
            continue
        box = main_face(rgb, found, crop)
        if box is None:
            report.no_face.append(name)
            continue
        crops.append(crop_face(rgb, box, size, margin, crop).transpose(2, 0, 1))
        names.append(name)
        boxes.append(box)
    report.kept = len(crops)
    if not crops:
        raise DataError(
            f"no face found in any of the {report.seen} images under {root} "
            f"({len(report.unreadable)} unreadable); nothing written"
        )
    report.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        report.out,
        images=np.stack(crops),
        files=np.array(names),
        boxes=np.array(boxes, dtype=np.int64),
    )
    return report
