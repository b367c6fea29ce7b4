"""`ganforge compare` on every kind of source, native-size folders, and what users get wrong."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ganforge import api
from ganforge.data import build_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics.features.base import PixelExtractor
from ganforge.metrics.measures.fid import fid
from ganforge.metrics.runner.sources import open_source

from ..conftest import run_cli

PIXELS = "pixels:max_side=16"


def write_pngs(folder: Path, images: np.ndarray) -> Path:
    """uint8 NHWC (or NHW) images as numbered PNG files."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{i:03d}.png")
    return folder


def noise(n: int, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Random uint8 images."""
    return np.random.default_rng(seed).integers(0, 256, (n, *shape), dtype=np.uint8)


@pytest.fixture(scope="module")
def two_folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two folders of odd-sized RGB PNGs (13x11)."""
    root = tmp_path_factory.mktemp("folders")
    return (
        write_pngs(root / "a", noise(24, (13, 11, 3), 0)),
        write_pngs(root / "b", noise(20, (13, 11, 3), 1)),
    )


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-step DCGAN on 8x8 digits."""
    sets = [
        "data.size=8",
        "model.g_width=8",
        "model.d_width=8",
        "train.steps=2",
        "train.batch_size=16",
        "train.sample_every=0",
        "train.threads=1",
        "eval.metrics=[]",
        "eval.n_samples=40",
    ]
    root = tmp_path_factory.mktemp("runs")
    return api.train("dcgan-digits", sets, runs_root=root, name="tiny", progress=False).run.path


def pixel_fid(a: np.ndarray, b: np.ndarray) -> float:
    """FID of two uint8 NCHW sets in the test's pixel features, computed directly."""
    extractor = PixelExtractor(16)
    return fid(extractor(a)["features"], extractor(b)["features"])


def test_two_folders_at_their_own_size(two_folders: tuple[Path, Path]) -> None:
    a, b = two_folders
    result = api.compare(a, b, extractor=PIXELS, metrics="fid,kid:subsets=2:subset_size=10")
    want = pixel_fid(
        noise(24, (13, 11, 3), 0).transpose(0, 3, 1, 2),
        noise(20, (13, 11, 3), 1).transpose(0, 3, 1, 2),
    )
    assert result.values["fid"] == pytest.approx(want, rel=1e-9)
    prov = result.records[0]["provenance"]
    assert prov["fake"]["kind"] == "folder" and prov["fake"]["image_size"] == [13, 11]
    assert prov["fake"]["native_size"] is True and prov["n_fake"] == 24 and prov["n_real"] == 20


def test_mixed_sizes_are_an_error_listing_them_unless_a_size_is_given(tmp_path: Path) -> None:
    folder = write_pngs(tmp_path / "mixed", noise(3, (10, 12, 3), 0))
    write_pngs(folder / "sub", noise(2, (7, 9, 3), 1))
    with pytest.raises(GanforgeError) as info:
        api.compare(folder, metrics="is", extractor=PIXELS)
    message = str(info.value)
    assert "2 different sizes" in message and "10x12 (3 files" in message
    assert "7x9 (2 files, e.g. sub/000.png)" in message and "--size" in message
    side = open_source(folder, size=(6, 8))
    assert tuple(side.samples.shape) == (5, 3, 6, 8) and side.provenance["native_size"] is False


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sizes=st.lists(st.tuples(st.integers(1, 9), st.integers(1, 9)), min_size=1, max_size=5))
def test_a_folder_keeps_its_images_exactly_or_names_every_size(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[tuple[int, int]]
) -> None:
    folder = tmp_path_factory.mktemp("sizes")
    written = []
    for i, (h, w) in enumerate(sizes):
        image = noise(1, (h, w, 3), i)[0]
        Image.fromarray(image).save(folder / f"{i}.png")
        written.append(image)
    if len(set(sizes)) == 1:
        data = build_dataset("folder", {"path": str(folder), "size": None, "progress": False})
        assert np.array_equal(data.images.numpy(), np.stack(written).transpose(0, 3, 1, 2))
        assert data.info.extra["native_size"] is True
    else:
        with pytest.raises(GanforgeError) as info:
            build_dataset("folder", {"path": str(folder), "size": None, "progress": False})
        assert all(f"{h}x{w} (" in str(info.value) for h, w in set(sizes))


def test_an_npz_of_images_equals_the_same_images_in_a_folder(
    two_folders: tuple[Path, Path], tmp_path: Path
) -> None:
    a, _ = two_folders
    npz = tmp_path / "a.npz"
    np.savez(npz, images=noise(24, (13, 11, 3), 0))
    result = api.compare(npz, a, extractor=PIXELS, metrics="fid")
    assert result.values["fid"] == pytest.approx(0.0, abs=1e-6)
    assert [s.kind for s in result.sources] == ["npz", "folder"]
    assert result.sources[0].provenance["image_size"] == [13, 11]


def test_dataset_specs_including_cifar10(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    batch = {b"data": noise(12, (3072,), 0), b"labels": [*range(10), 0, 1]}
    (folder / "test_batch").write_bytes(pickle.dumps(batch))
    spec = f"cifar10:split=test:path={tmp_path}"
    result = api.compare(spec, "digits:split=test:channels=3", extractor=PIXELS, metrics="fid")
    a, b = result.sources
    assert (a.kind, a.provenance["split"], a.provenance["count"]) == ("dataset", "test", 12)
    assert b.provenance["image_size"] == [32, 32] and b.provenance["channels"] == 3
    assert result.values["fid"] > 0


def test_statistics_files_serve_fid_on_either_side(
    two_folders: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = two_folders
    stats, _ = api.stats(str(b), extractor=PIXELS, out=tmp_path / "b.npz")
    direct = api.compare(a, b, extractor=PIXELS, metrics="fid").values["fid"]
    # the file records its extractor, so the folder side is extracted the same way
    assert api.compare(a, stats).values["fid"] == pytest.approx(direct, rel=1e-9)
    assert api.compare(stats, a).values["fid"] == pytest.approx(direct, rel=1e-9)
    assert api.compare(stats, stats).values["fid"] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(GanforgeError, match=r"kid needs samples but .*statistics file"):
        api.compare(a, stats, metrics="fid,kid")
    with pytest.raises(GanforgeError, match="fid compares two sets"):
        api.compare(stats)
    with pytest.raises(GanforgeError, match="put the statistics file second"):
        api.compare(stats, a, bootstrap=2)
    assert len(api.compare(a, stats, bootstrap=2).records[0]["ci"]["fid"]) == 2


def test_a_run_or_checkpoint_is_sampled(tiny_run: Path) -> None:
    result = api.compare(tiny_run, "digits:size=8", extractor=PIXELS, metrics="fid", n=30)
    run = result.sources[0].provenance
    assert (run["kind"], run["step"], run["count"], run["image_size"]) == ("run", 2, 30, [8, 8])
    ckpt = tiny_run / "checkpoints" / "latest.pt"
    again = api.compare(ckpt, "digits:size=8", extractor=PIXELS, metrics="fid", n=30)
    assert again.values["fid"] == pytest.approx(result.values["fid"], rel=1e-9)  # same seed
    default = open_source(tiny_run)  # the run's eval.n_samples
    assert len(default.samples) == 40


def test_one_source_gets_one_sided_metrics(tiny_run: Path) -> None:
    result = api.compare("digits:size=8", extractor="digits-classifier:size=8:epochs=1")
    assert list(result.values) == ["is"] and 1.0 <= result.values["is"] <= 10.0
    with pytest.raises(GanforgeError, match="no one-sided metric works with extractor pixels"):
        api.compare(tiny_run, extractor=PIXELS)


def test_compare_command_two_folders_with_json(two_folders, tmp_path, capsys) -> None:
    a, b = two_folders
    out = tmp_path / "ab.json"
    code, stdout, err = run_cli(
        capsys,
        "compare",
        str(a),
        str(b),
        "--extractor",
        PIXELS,
        "--metrics",
        "fid,pr",
        "--json",
        str(out),
    )
    assert code == 0, err
    assert f"A: {a}: image folder, 24 of 24 at 13x11 (own size)" in stdout
    assert "fid" in stdout and "precision" in stdout and f"results: {out}" in stdout
    doc = json.loads(out.read_text())
    assert set(doc["values"]) == {"fid", "precision", "recall"}
    assert doc["sources"]["b"]["kind"] == "folder" and doc["sources"]["b"]["count"] == 20


def test_compare_command_user_errors(two_folders, capsys) -> None:
    a, _ = two_folders
    code, _, err = run_cli(capsys, "compare", "digts", str(a))
    assert code == 2 and "did you mean digits?" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "compare", str(a), "--metrics", "fid")
    assert code == 2 and "fid compares two sets: give SOURCE_B" in err
    code, _, err = run_cli(capsys, "compare", "missing/folder", str(a))
    assert code == 2 and "no such file or folder: missing/folder" in err
    code, _, err = run_cli(capsys, "compare", str(a), "digits", "--extractor", "pixels")
    assert code == 2 and "3x13x11 and 1x32x32" in err
    code, _, err = run_cli(capsys, "compare", str(a), "--size", "0")
    assert code == 2 and "not a size such as 64 or 48x64" in err


def test_stats_command_reads_a_folder_at_its_own_size(two_folders, tmp_path, capsys) -> None:
    _, b = two_folders
    out = tmp_path / "b.npz"
    code, _, err = run_cli(capsys, "stats", str(b), "--extractor", PIXELS, "--out", str(out))
    assert code == 0, err
    provenance = json.loads(str(np.load(out)["provenance"]))
    assert provenance["image_size"] == [13, 11] and provenance["native_size"] is True
    code, _, err = run_cli(
        capsys, "stats", str(b), "--extractor", PIXELS, "--size", "8x6", "--out", str(out)
    )
    provenance = json.loads(str(np.load(out)["provenance"]))
    assert code == 0 and provenance["image_size"] == [8, 6] and provenance["native_size"] is False
