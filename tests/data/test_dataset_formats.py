"""Datasets as users bring them: stylegan2-ada zips, BigGAN-PyTorch HDF5 files, the converter from
folders / CIFAR-10 batches / MNIST IDX / .npz, one location key, and one-line errors."""

from __future__ import annotations

import gzip
import io
import json
import pickle
import struct
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ganforge import config
from ganforge.data import build_dataset
from ganforge.data.convert import archive_name, convert_dataset, parse_size, transform_image
from ganforge.data.loader import BatchLoader
from ganforge.data.stream import BatchStream
from ganforge.errors import ConfigDeprecationWarning, ConfigError, DataError
from ganforge.metrics.runner.reference import dataset_choice

from ..conftest import run_cli
from ..train.test_engine import TINY_DCGAN

MODES = ["RGB", "RGBA", "L", "LA", "P", "I;16"]


def _image(rng: np.random.Generator, height: int, width: int, mode: str) -> Image.Image:
    rgba = Image.fromarray(rng.integers(0, 256, (height, width, 4), dtype=np.uint8), "RGBA")
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, (height, width), dtype=np.uint16))
    return rgba.convert(mode)


def _class_folder(root: Path, per_class: dict[str, list[tuple[int, int, str]]]) -> Path:
    """An ImageFolder tree: root/<class>/<i>.png at the given (height, width, mode)."""
    rng = np.random.default_rng(0)
    for name, shapes in per_class.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i, (h, w, mode) in enumerate(shapes):
            _image(rng, h, w, mode).save(root / name / f"{i:03d}.png")
    return root


def _zip_pngs(path: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(path) as archive:
        return {
            n: np.asarray(Image.open(io.BytesIO(archive.read(n))))
            for n in archive.namelist()
            if n.endswith(".png")
        }


def _labels_json(path: Path) -> object:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("dataset.json"))["labels"]


# ---------------------------------------------------------------- the converter and zips


def test_an_image_folder_converts_to_a_dataset_tool_zip_that_reads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _class_folder(
        tmp_path / "photos",
        {"cats": [(30, 17, "RGBA"), (9, 40, "L")], "dogs": [(64, 64, "P"), (20, 21, "LA")]},
    )
    (src / "dogs" / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "out" / "photos.zip"
    code, stdout, _ = run_cli(capsys, "dataset", "convert", str(src), str(out), "--size", "16",
                              "--labels")  # fmt: skip
    assert code == 0, stdout
    assert "wrote 4 images (16x16, 3 channel(s), 2 classes)" in stdout
    assert "skipped 1 not an image" in stdout
    assert "data.name=folder --set data.path=" in stdout
    pngs = _zip_pngs(out)
    names = [archive_name(i) for i in range(4)]
    assert sorted(pngs) == names == ["00000/img00000000.png", "00000/img00000001.png",
                                     "00000/img00000002.png", "00000/img00000003.png"]  # fmt: skip
    assert all(p.shape == (16, 16, 3) for p in pngs.values())
    assert _labels_json(out) == [[n, c] for n, c in zip(names, [0, 0, 1, 1])]
    data = build_dataset(
        "folder", {"path": str(out), "size": 16, "labels": True, "progress": False}
    )
    assert len(data) == 4 and data.info.n_classes == 2 and data.info.shape == (3, 16, 16)
    assert data.labels.tolist() == [0, 0, 1, 1]
    back = data.real_uint8(torch.arange(4)).numpy().transpose(0, 2, 3, 1)
    assert np.array_equal(back, np.stack([pngs[n] for n in names]))


def test_a_stylegan_zip_with_shards_and_null_labels_reads_lazily_and_pickles(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(1)
    path = tmp_path / "ffhq.zip"
    pixels = {}
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(5):
            name = f"{i // 3:05d}/img{i:08d}.png"
            pixels[name] = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
            buffer = io.BytesIO()
            Image.fromarray(pixels[name]).save(buffer, format="png")
            archive.writestr(name, buffer.getvalue())
        archive.writestr("__MACOSX/00000/._img00000000.png", b"resource fork")
        archive.writestr("dataset.json", json.dumps({"labels": None}))
    data = build_dataset(
        "folder", {"path": str(path), "size": None, "in_memory": False, "progress": False}
    )
    assert len(data) == 5 and data.info.shape == (3, 8, 8) and data.info.n_classes == 0
    copy = pickle.loads(pickle.dumps(data))  # what a DataLoader worker receives
    index = torch.tensor([4, 0, 4])
    expected = np.stack([pixels[sorted(pixels)[i]] for i in index.tolist()]).transpose(0, 3, 1, 2)
    assert np.array_equal(copy.real_uint8(index).numpy(), expected)
    choice = dataset_choice(str(path), None, None)  # a zip is an image source for compare/stats
    assert (choice.name, choice.params["path"]) == ("folder", str(path))
    assert choice.params["size"] is None  # each image at its own size, as for folders
    with pytest.raises(DataError, match=r"labels=true needs class labels in .*dataset\.json"):
        build_dataset("folder", {"path": str(path), "labels": True, "progress": False})


def test_dataset_json_must_label_every_image_with_a_class_number(tmp_path: Path) -> None:
    path = tmp_path / "d.zip"
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="png")
    for labels, message in [
        ([["a.png", 1]], r"no label for 1 image\(s\), e\.g\. b\.png"),
        ([["a.png", 1], ["b.png", [0.5, 0.5]]], r"labels must be class numbers"),
        ("oops", r"'labels' must be \[\[file name, class\], \.\.\.\]"),
    ]:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("a.png", buffer.getvalue())
            archive.writestr("b.png", buffer.getvalue())
            archive.writestr("dataset.json", json.dumps({"labels": labels}))
        with pytest.raises(DataError, match=message):
            build_dataset("folder", {"path": str(path), "labels": True, "progress": False})


def _cifar_batches(folder: Path, per_batch: int) -> tuple[np.ndarray, list[int]]:
    """Python batches as the real ones are pickled (protocol 2, bytes keys, data rows of 3072)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(2)
    rows, labels = [], []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        y = rng.integers(0, 10, per_batch).tolist()
        batch = {
            b"batch_label": name.encode(),
            b"labels": y,
            b"data": data,
            b"filenames": [f"{name}_{i}.png".encode() for i in range(per_batch)],
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
        rows.append(data)
        labels += y
    return np.concatenate(rows), labels


def test_cifar10_batches_convert_pixel_for_pixel_with_their_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, labels = _cifar_batches(tmp_path / "cifar-10-batches-py", 2)
    out = tmp_path / "cifar.zip"
    code, stdout, _ = run_cli(capsys, "dataset", "convert", str(tmp_path), str(out), "--labels")
    assert code == 0 and "wrote 12 images (32x32, 3 channel(s), 10 classes)" in stdout
    pngs = _zip_pngs(out)
    first = rows[0].reshape(3, 32, 32).transpose(1, 2, 0)  # the official CHW rows, as HWC
    assert np.array_equal(pngs[archive_name(0)], first)
    assert [label for _, label in _labels_json(out)] == labels  # type: ignore[union-attr]


def _idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_mnist_idx_files_and_npz_convert_with_their_native_channels(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    _idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    _idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(6) % 3)
    report = convert_dataset(tmp_path, tmp_path / "mnist.zip", labels=True, progress=False)
    assert (report.source, report.written, report.channels, report.n_classes) == (
        "MNIST IDX files",
        6,
        1,
        3,
    )
    assert np.array_equal(_zip_pngs(tmp_path / "mnist.zip")[archive_name(5)], images[5])
    np.savez(tmp_path / "a.npz", images=rng.random((3, 10, 12, 3)))  # floats in [0, 1], NHWC
    report = convert_dataset(tmp_path / "a.npz", tmp_path / "a.zip", "8", progress=False)
    assert (
        report.size == (8, 8) and report.channels == 3 and _labels_json(tmp_path / "a.zip") is None
    )
    with pytest.raises(DataError, match=r"--labels: .*a\.npz has no labels"):
        convert_dataset(tmp_path / "a.npz", tmp_path / "b.zip", labels=True, progress=False)
    assert not (tmp_path / "b.zip").exists() and not (tmp_path / "b.zip.part").exists()


def test_transforms_are_dataset_tools() -> None:
    columns = np.tile(np.arange(30, dtype=np.uint8), (10, 1))[:, :, None]  # 10 x 30, value = x
    square = transform_image(columns, "center-crop", (10, 10))
    assert square is not None and np.array_equal(square, columns[:, 10:20])  # the centre square
    rows = np.repeat(np.arange(20, dtype=np.uint8), 20).reshape(20, 20, 1) * 10  # value = 10 y
    wide = transform_image(rows, "center-crop-wide", (10, 20))  # (height, width)
    assert wide is not None and wide.shape == (20, 20, 1)
    assert not wide[:5].any() and not wide[15:].any()  # black bands above and below
    assert transform_image(rows[:, :10], "center-crop-wide", (10, 20)) is None  # too narrow
    stretched = transform_image(columns, "none", (4, 8))
    assert stretched is not None and stretched.shape == (4, 8, 1)
    assert transform_image(columns, "none", None) is columns
    assert parse_size("512x384") == (384, 512) and parse_size(64) == (64, 64)


def test_mixed_sizes_without_a_size_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    src = _class_folder(tmp_path / "src", {"a": [(8, 8, "RGB"), (9, 8, "RGB")]})
    with pytest.raises(
        DataError, match=r"a/001\.png is 9x8 .* the first image was 8x8: give --size"
    ):
        convert_dataset(src, tmp_path / "x.zip", progress=False)
    assert list(tmp_path.glob("x.zip*")) == []


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    shapes=st.lists(
        st.lists(
            st.tuples(st.integers(3, 40), st.integers(3, 40), st.sampled_from(MODES)),
            min_size=1,
            max_size=3,
        ),
        min_size=1,
        max_size=3,
    ),
    size=st.integers(4, 12),
    transform=st.sampled_from(["center-crop", "none"]),
)
def test_any_folder_of_images_converts_and_reads_back(
    tmp_path_factory: pytest.TempPathFactory,
    shapes: list[list[tuple[int, int, str]]],
    size: int,
    transform: str,
) -> None:
    root = tmp_path_factory.mktemp("hyp")
    src = _class_folder(root / "src", {f"class{k}": s for k, s in enumerate(shapes)})
    report = convert_dataset(
        src, root / "o.zip", str(size), labels=True, transform=transform, progress=False
    )  # type: ignore[arg-type]
    expected = [k for k, s in enumerate(shapes) for _ in s]
    assert report.written == len(expected) and report.n_classes == len(shapes)
    data = build_dataset(
        "folder", {"path": str(root / "o.zip"), "size": None, "labels": True, "progress": False}
    )
    assert data.info.shape == (3, size, size) and data.labels.tolist() == expected


# ---------------------------------------------------------------- HDF5


def _hdf5(path: Path, n: int = 7, side: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, (n, 3, side, side), dtype=np.uint8)
    labels = np.arange(n) % 4
    with h5py.File(path, "w") as f:
        f.create_dataset("imgs", data=images, chunks=(2, 3, side, side))
        f.create_dataset("labels", data=labels.astype(np.int64))
    return images, labels


def test_hdf5_in_biggan_layout_reads_batches_in_any_order(tmp_path: Path) -> None:
    images, labels = _hdf5(tmp_path / "I8.hdf5")
    data = build_dataset("hdf5", {"path": str(tmp_path / "I8.hdf5")})
    assert len(data) == 7 and data.info.shape == (3, 8, 8) and data.info.n_classes == 4
    index = torch.tensor([5, 1, 5, 0])
    assert np.array_equal(data.real_uint8(index).numpy(), images[[5, 1, 5, 0]])
    batch = pickle.loads(pickle.dumps(data)).get(index)
    assert batch["y"].tolist() == labels[[5, 1, 5, 0]].tolist()
    assert batch["x"].shape == (4, 3, 8, 8) and float(batch["x"].min()) >= -1.0
    small = build_dataset("hdf5", {"path": str(tmp_path / "I8.hdf5"), "size": 4, "channels": 1})
    assert small.info.shape == (1, 4, 4) and small.real_uint8(index).shape == (4, 1, 4, 4)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(1, 12),
    channels=st.sampled_from([1, 3]),
    channels_last=st.booleans(),
    picks=st.lists(st.integers(0, 10**6), min_size=1, max_size=9),
)
def test_hdf5_batches_equal_the_stored_rows(
    tmp_path_factory: pytest.TempPathFactory,
    n: int,
    channels: int,
    channels_last: bool,
    picks: list[int],
) -> None:
    images = np.random.default_rng(n).integers(0, 256, (n, channels, 5, 6), dtype=np.uint8)
    path = tmp_path_factory.mktemp("h5") / "d.hdf5"
    with h5py.File(path, "w") as f:
        f.create_dataset("imgs", data=images.transpose(0, 2, 3, 1) if channels_last else images)
    data = build_dataset("hdf5", {"path": str(path)})
    assert data.info.shape == (channels, 5, 6) and data.info.n_classes == 0
    index = torch.tensor([p % n for p in picks])
    batch = data.get(index)
    assert "y" not in batch
    assert np.array_equal(data.real_uint8(index).numpy(), images[index.numpy()])


def test_hdf5_never_reads_all_images(tmp_path: Path) -> None:
    """A file declaring 1 M images of 3 x 128 x 128 (49 GB once read; unwritten chunks take no
    disk): building the dataset and reading a batch must touch only those rows."""
    path = tmp_path / "huge.hdf5"
    with h5py.File(path, "w") as f:
        f.create_dataset(
            "imgs", shape=(1_000_000, 3, 128, 128), dtype="u1", chunks=(1, 3, 128, 128)
        )
        f["imgs"][999_999] = 7
        f.create_dataset("labels", data=np.zeros(1_000_000, np.int64))
    assert path.stat().st_size < 50_000_000
    data = build_dataset("hdf5", {"path": str(path)})
    assert len(data) == 1_000_000
    batch = data.real_uint8(torch.tensor([999_999, 3]))
    assert batch[0].eq(7).all() and batch[1].eq(0).all()


def test_hdf5_errors_name_the_expected_layout(tmp_path: Path, monkeypatch) -> None:
    with h5py.File(tmp_path / "wrong.hdf5", "w") as f:
        f.create_dataset("images", data=np.zeros((2, 3, 4, 4), np.uint8))
    with pytest.raises(DataError, match=r"no dataset 'imgs'; it has \['images'\]\. Expected Big"):
        build_dataset("hdf5", {"path": str(tmp_path / "wrong.hdf5")})
    with h5py.File(tmp_path / "floats.hdf5", "w") as f:
        f.create_dataset("imgs", data=np.zeros((2, 3, 4, 4), np.float32))
    with pytest.raises(DataError, match=r"holds float32 .* expected BigGAN-PyTorch's layout"):
        build_dataset("hdf5", {"path": str(tmp_path / "floats.hdf5")})
    (tmp_path / "text.hdf5").write_text("hello")
    with pytest.raises(DataError, match=r"is not a readable HDF5 file"):
        build_dataset("hdf5", {"path": str(tmp_path / "text.hdf5")})
    _hdf5(tmp_path / "ok.hdf5")
    with pytest.raises(DataError, match=r"not a readable \.npz of images \(an HDF5 file\? use da"):
        build_dataset("npz", {"path": str(tmp_path / "ok.hdf5")})
    monkeypatch.setitem(sys.modules, "h5py", None)  # as if the extra were not installed
    with pytest.raises(DataError, match=r"^reading HDF5 files needs h5py: pip install 'ganforge"):
        build_dataset("hdf5", {"path": str(tmp_path / "ok.hdf5")})


def test_zip_and_hdf5_batches_from_two_worker_processes_are_the_streams(tmp_path: Path) -> None:
    """Each DataLoader worker opens the zip / HDF5 file itself (the parent's handle is not shared
    across the fork); the batches are those decoded in the training process."""
    _hdf5(tmp_path / "d.hdf5", n=24)
    src = _class_folder(tmp_path / "src", {"a": [(12, 9, "RGB")] * 12, "b": [(8, 8, "L")] * 12})
    convert_dataset(src, tmp_path / "d.zip", "8", labels=True, progress=False)
    for name, params in [
        ("hdf5", {"path": str(tmp_path / "d.hdf5")}),
        ("folder", {"path": str(tmp_path / "d.zip"), "size": 8, "labels": True,
                    "in_memory": False, "progress": False}),
    ]:  # fmt: skip
        data = build_dataset(name, params)
        data.real_uint8(torch.tensor([0]))  # the parent has the file open before the fork
        direct = BatchStream(data, 5, seed=1)
        loader = BatchLoader(BatchStream(data, 5, seed=1), workers=2)
        for _ in range(6):  # crosses an epoch
            want, got = data.get(direct.next_indices()), next(loader)
            assert torch.equal(got["x"], want["x"]) and torch.equal(got["y"], want["y"]), name
        loader.close()


# ---------------------------------------------------------------- the CLI and one-line errors


@pytest.mark.parametrize("name", ["folder", "hdf5"])
def test_training_runs_from_a_converted_zip_or_an_hdf5_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    if name == "hdf5":
        _hdf5(tmp_path / "d", n=20, side=16)
    else:
        src = _class_folder(tmp_path / "src", {"a": [(20, 30, "RGBA")] * 3, "b": [(17, 16, "L")]})
        argv = ["dataset", "convert", str(src), str(tmp_path / "d"), "--size", "16", "--labels"]
        with pytest.raises(DataError, match=r"the output must be a \.zip file"):
            convert_dataset(src, tmp_path / "d", progress=False)
        assert run_cli(capsys, *argv[:3], str(tmp_path / "d.zip"), *argv[4:])[0] == 0
        (tmp_path / "d.zip").rename(tmp_path / "d")  # a zip is read by content, not its name
    sets = [*TINY_DCGAN, "train.steps=2", "eval.metrics=[]", f"data.name={name}"]
    sets += [f"data.path={tmp_path / 'd'}", "data.channels=3", "train.sample_every=2"]
    argv = ["train", "dcgan-digits", "--runs-dir", str(tmp_path / "runs"), "--name", name]
    for s in sets:
        argv += ["--set", s]
    code, out, err = run_cli(capsys, *argv)
    assert code == 0, err
    assert "completed at step 2/2" in out


@pytest.mark.parametrize(
    ("name", "filename", "content", "message"),
    [
        ("folder", "bad.zip", b"PK\x03\x04 garbage", r"bad\.zip is not a readable zip archive"),
        ("folder", "a.png", b"\x89PNG", r"a\.png is a file, not a folder of images or a \.zip"),
        ("npz", "bad.npz", b"garbage", r"bad\.npz is not a readable \.npz of images: expected"),
        ("hdf5", "bad.hdf5", b"garbage", r"bad\.hdf5 is not a readable HDF5 file"),
    ],
)
def test_unreadable_files_end_in_one_line_naming_what_was_expected(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    filename: str,
    content: bytes,
    message: str,
) -> None:
    (tmp_path / filename).write_bytes(content)
    argv = ["train", "dcgan-digits", "--runs-dir", str(tmp_path / "runs"), "--set"]
    code, _, err = run_cli(capsys, *argv, f"data.name={name}", "--set",
                           f"data.path={tmp_path / filename}")  # fmt: skip
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    assert __import__("re").search(message, err), err


def test_corrupt_cifar_and_idx_files_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "test_batch").write_bytes(b"not a pickle")
    with pytest.raises(DataError, match=r"test_batch is not a CIFAR-10 python batch"):
        build_dataset("cifar10", {"path": str(tmp_path), "split": "test"})
    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"labels": [1]}, protocol=2))
    with pytest.raises(DataError, match=r"a pickled dict with b'data' and b'labels'"):
        build_dataset("cifar10", {"path": str(tmp_path), "split": "test"})
    for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / f"{stem}.gz").write_bytes(b"not gzip")
    with pytest.raises(DataError, match=r"is not a readable IDX file"):
        build_dataset("mnist", {"path": str(tmp_path), "split": "test"})
    with pytest.raises(DataError, match=r"not a dataset this converter reads; expected a folder"):
        convert_dataset(tmp_path / "test_batch", tmp_path / "o.zip", progress=False)


def test_data_root_still_loads_as_data_path_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(ConfigDeprecationWarning, match=r"data\.root is now data\.path"):
        cfg = config.resolve(None, ["data.name=folder", f"data.root={tmp_path}"])
    assert cfg.data.params["path"] == str(tmp_path) and "root" not in cfg.data.params
    with pytest.raises(ConfigError, match="same setting"):
        config.resolve(None, ["data.name=mnist", "data.root=a", "data.path=b"])
    saved = tmp_path / "config.yaml"  # a run saved before the rename
    saved.write_text(f"data:\n  name: mnist\n  root: {tmp_path}\n")
    with pytest.warns(ConfigDeprecationWarning, match=r"data\.root is now data\.path"):
        assert config.load(saved).data.params["path"] == str(tmp_path)
    with pytest.warns(ConfigDeprecationWarning, match=r"data\.root is now data\.path"):
        choice = dataset_choice(f"cifar10:split=test:root={tmp_path}", None, None)
    assert choice.params["path"] == str(tmp_path) and "root" not in choice.params
    for name in ("mnist", "cifar10", "folder", "npz", "hdf5", "paired", "unpaired"):
        assert "path" in config.parameters(config.DATASETS.get(name)), name
