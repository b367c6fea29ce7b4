"""Datasets: every image mode converted correctly, corrupt files skipped, formats, toy protocols."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ganforge.data import BatchStream, build_dataset
from ganforge.data.grid import make_grid, to_uint8
from ganforge.data.images import load_image, resize_center_crop
from ganforge.data.mnist import read_idx
from ganforge.data.toy import grid_means, ring_means
from ganforge.errors import ConfigError, DataError

from ..conftest import MNIST_DIR, require

# -- single images -------------------------------------------------------------------------------


def test_sixteen_bit_grayscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.array([[0, 257, 32768, 65535]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "a.png")
    assert load_image(tmp_path / "a.png", channels=1)[0, :, 0].tolist() == [0, 1, 128, 255]


def test_transparent_pixels_are_composited_on_white(tmp_path: Path) -> None:
    rgba = np.array([[[255, 0, 0, 0], [0, 0, 255, 255]]], dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png", channels=3)
    assert out[0, 0].tolist() == [255, 255, 255]  # hidden red does not leak
    assert out[0, 1].tolist() == [0, 0, 255]


def test_palette_with_transparency_and_cmyk(tmp_path: Path) -> None:
    pal = Image.new("P", (2, 1))
    pal.putpalette([10, 20, 30, 200, 100, 0] + [0] * 762)
    pal.putdata([0, 1])
    pal.info["transparency"] = 0
    pal.save(tmp_path / "p.png", transparency=0)
    assert load_image(tmp_path / "p.png", 3)[0].tolist() == [[255, 255, 255], [200, 100, 0]]
    Image.new("CMYK", (3, 2), (0, 0, 0, 0)).save(tmp_path / "c.jpg")
    assert np.all(load_image(tmp_path / "c.jpg", 3) >= 250)  # no ink is white


def test_grayscale_alpha_and_bilevel(tmp_path: Path) -> None:
    Image.new("LA", (2, 2), (40, 255)).save(tmp_path / "la.png")
    assert load_image(tmp_path / "la.png", 1).ravel().tolist() == [40] * 4
    Image.new("1", (2, 2), 1).save(tmp_path / "b.png")
    assert load_image(tmp_path / "b.png", 1).ravel().tolist() == [255] * 4


@settings(max_examples=25, deadline=None)
@given(h=st.integers(3, 90), w=st.integers(3, 90), th=st.integers(4, 40), tw=st.integers(4, 40))
def test_resize_center_crop_always_gives_the_target_size(h: int, w: int, th: int, tw: int) -> None:
    image = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
    assert resize_center_crop(image, (th, tw)).shape == (th, tw, 3)


# -- folder ----------------------------------------------------------------------------------


def _write_mixed_folder(root: Path) -> None:
    (root / "cats").mkdir(parents=True)
    (root / "dogs" / "deep").mkdir(parents=True)
    Image.new("RGB", (40, 30), (250, 0, 0)).save(root / "cats" / "red.png")
    Image.new("L", (30, 40), 100).save(root / "cats" / "gray.jpg")
    Image.fromarray(np.full((20, 20), 40000, np.uint16)).save(root / "dogs" / "sixteen.png")
    Image.new("RGBA", (16, 16), (0, 0, 255, 255)).save(root / "dogs" / "deep" / "blue.png")
    good = root / "dogs" / "ok.png"
    Image.new("RGB", (64, 64), (0, 255, 0)).save(good)
    (root / "dogs" / "truncated.png").write_bytes(good.read_bytes()[:60])
    (root / "cats" / "notanimage.png").write_text("hello")
    (root / ".hidden.png").write_bytes(good.read_bytes())


def test_folder_skips_corrupt_files_and_reports_them(tmp_path: Path) -> None:
    _write_mixed_folder(tmp_path)
    ds = build_dataset(
        "folder", {"path": str(tmp_path), "size": 8, "labels": True, "progress": False}
    )
    assert len(ds) == 5
    assert sorted(Path(p).name for p in ds.info.extra["skipped"]) == [
        "notanimage.png",
        "truncated.png",
    ]
    assert ds.info.notes[0].startswith(
        f"used 5 of 7 images under {tmp_path}; skipped 1 not an image, 1 damaged or unsupported;"
    )
    assert ds.info.class_names == ["cats", "dogs"]
    assert sorted(ds.labels.tolist()) == [0, 0, 1, 1, 1]
    batch = ds.get(torch.arange(len(ds)))
    assert batch["x"].shape == (5, 3, 8, 8) and batch["x"].min() >= -1 and batch["x"].max() <= 1


def test_folder_rectangular_size_and_lazy_mode_agree(tmp_path: Path) -> None:
    _write_mixed_folder(tmp_path)
    common = {"path": str(tmp_path), "size": [6, 10], "progress": False}
    eager = build_dataset("folder", common)
    lazy = build_dataset("folder", {**common, "in_memory": False})
    index = torch.arange(len(eager))
    assert eager.info.shape == (3, 6, 10)
    assert torch.equal(eager.real_uint8(index), lazy.real_uint8(index))


def test_folder_errors_are_actionable(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        build_dataset("folder", {"path": str(tmp_path / "nope")})
    with pytest.raises(DataError, match="no images found"):
        build_dataset("folder", {"path": str(tmp_path)})
    Image.new("RGB", (8, 8)).save(tmp_path / "loose.png")
    with pytest.raises(DataError, match="class sub-folder"):
        build_dataset("folder", {"path": str(tmp_path), "labels": True})


# -- arrays, MNIST, CIFAR-10 --------------------------------------------------------------------


def test_npz_accepts_nhwc_float_images(tmp_path: Path) -> None:
    images = np.zeros((5, 12, 12, 3), np.float32)
    images[:, :, :, 1] = 1.0
    np.savez(tmp_path / "d.npz", images=images, labels=np.arange(5))
    ds = build_dataset("npz", {"path": str(tmp_path / "d.npz"), "size": 8})
    assert ds.info.shape == (3, 8, 8) and ds.info.n_classes == 5
    assert ds.images[:, 1].min() == 255 and ds.images[:, 0].max() == 0


def test_npz_missing_key_lists_available_arrays(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", pics=np.zeros((2, 4, 4), np.uint8))
    with pytest.raises(DataError, match=r"no array 'images'; it has \['pics'\]"):
        build_dataset("npz", {"path": str(tmp_path / "d.npz")})


def test_cifar10_reads_the_python_batches(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 255, (4, 3072), dtype=np.uint8), b"labels": [1, 2, 3, 9]}
        (folder / name).write_bytes(pickle.dumps(batch))
    ds = build_dataset("cifar10", {"path": str(tmp_path), "split": "train"})
    assert len(ds) == 20 and ds.info.shape == (3, 32, 32) and ds.info.class_names[9] == "truck"
    first = pickle.loads((folder / "data_batch_1").read_bytes())[b"data"][0]
    assert np.array_equal(ds.images[0].numpy().ravel(), first)  # CHW order of the official format


def test_cifar10_batch_that_would_run_code_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()

    class Evil:
        def __reduce__(self):  # unpickling would call os.system
            import os

            return (os.system, ("echo pwned",))

    (folder / "test_batch").write_bytes(pickle.dumps({b"data": Evil(), b"labels": [0]}))
    with pytest.raises(DataError, match=r"refers to (posix|os|nt)\.system"):
        build_dataset("cifar10", {"path": str(tmp_path), "split": "test"})


def test_cifar10_missing_files_say_how_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="download=true"):
        build_dataset("cifar10", {"path": str(tmp_path)})


def test_mnist_test_split_from_idx_files() -> None:
    require(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    ds = build_dataset("mnist", {"path": str(MNIST_DIR), "split": "test", "size": 32})
    assert len(ds) == 10000 and ds.info.shape == (1, 32, 32)
    assert torch.bincount(ds.labels).tolist()[:3] == [980, 1135, 1032]


def test_mnist_missing_files_error_says_where_to_put_them(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"not found in .*data.path.*data.download=true"):
        build_dataset("mnist", {"path": str(tmp_path)})


def test_idx_reader_rejects_bad_magic_and_truncation(tmp_path: Path) -> None:
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(DataError, match="magic"):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05ab")
    with pytest.raises(DataError, match="truncated"):
        read_idx(tmp_path / "short")


def test_digits_are_upsampled_with_labels() -> None:
    ds = build_dataset("digits", {"size": 16})
    assert len(ds) == 1797 and ds.info.shape == (1, 16, 16) and ds.info.n_classes == 10
    assert ds.images.max() > 200  # scaled from 0..16 to 0..255


def test_splits_are_disjoint_and_cover_everything() -> None:
    train = build_dataset("digits", {"size": 8, "split": "train"})
    test = build_dataset("digits", {"size": 8, "split": "test"})
    assert len(train) + len(test) == 1797 and len(test) == 359


# -- toy mixtures ------------------------------------------------------------------------------


def test_ring_has_eight_distinct_means_on_the_unit_circle() -> None:
    means = ring_means()
    assert np.allclose(np.linalg.norm(means, axis=1), 1.0)
    gaps = np.linalg.norm(means[:, None] - means[None], axis=2) + np.eye(8) * 9
    assert gaps.min() == pytest.approx(2 * np.sin(np.pi / 8))  # no two means coincide
    assert np.allclose(means[2], [0.0, 1.0], atol=1e-12)


def test_grid_means_are_the_lattice() -> None:
    expected = {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(m) for m in grid_means().round(9).tolist()} == expected


def test_toy_samples_follow_the_configured_std() -> None:
    ds = build_dataset("ring", {"radius": 2.0, "std": 0.02, "n": 40000})
    points = ds.points.numpy()
    nearest = np.linalg.norm(points[:, None] - ring_means(8, 2.0)[None], axis=2).min(1)
    assert np.sqrt((nearest**2).mean() / 2) == pytest.approx(0.02, rel=0.03)


def test_divide_by_rescales_points_means_and_std_together() -> None:
    plain = build_dataset("grid", {"n": 2000})
    scaled = build_dataset("grid", {"n": 2000, "divide_by": 2.828})
    assert np.allclose(scaled.points.numpy() * 2.828, plain.points.numpy(), atol=1e-5)
    assert np.allclose(np.asarray(scaled.info.extra["means"]) * 2.828, grid_means())
    assert scaled.info.extra["std"] == pytest.approx(0.05 / 2.828)
    with pytest.raises(ConfigError, match=r"data\.divide_by must be positive"):
        build_dataset("ring", {"divide_by": 0.0})


# -- stream and grids --------------------------------------------------------------------------


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.integers(1, 40), cut=st.integers(0, 30))
def test_stream_resumes_at_the_exact_position(batch: int, cut: int) -> None:
    ds = build_dataset("grid", {"n": 97})
    a = BatchStream(ds, batch, seed=3)
    expected = [a.next_indices().tolist() for _ in range(cut + 5)]
    b = BatchStream(ds, batch, seed=3)
    for _ in range(cut):
        b.next_indices()
    c = BatchStream(ds, batch, seed=3)
    c.load_state_dict(b.state_dict())
    assert [c.next_indices().tolist() for _ in range(5)] == expected[cut:]


def test_grid_layout_and_captions() -> None:
    images = to_uint8(torch.linspace(-1, 1, 10 * 3 * 8 * 8).reshape(10, 3, 8, 8))
    plain = make_grid(images, nrow=4, padding=2)
    assert plain.size == (4 * 10 + 2, 3 * 10 + 2)
    captioned = make_grid(images, nrow=4, labels=[str(i) for i in range(10)])
    assert captioned.size[1] == plain.size[1] + 3 * 12
    with pytest.raises(TypeError, match="uint8"):
        make_grid(images.float())


def test_to_uint8_maps_the_range_ends() -> None:
    assert to_uint8(torch.tensor([-1.0, 0.0, 1.0, 5.0])).tolist() == [0, 128, 255, 255]


def test_dataset_parameters_are_validated_by_name() -> None:
    from ganforge import config

    with pytest.raises(ConfigError, match=r"data.radius is not used by data 'digits'.*ring"):
        config.resolve(None, ["data.radius=2"])
