"""Folder statistics and folder-vs-folder FID against torch-fidelity's features: the golden images
written to folders at their own size go through the folder reader, the extractor's resize and
the statistics exactly as reference tools read them (no resize to a dataset size, no crop)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge import api
from ganforge.metrics.features.inception import InceptionExtractor
from ganforge.metrics.measures.fid import frechet_distance
from ganforge.metrics.measures.stats import FeatureStats
from ganforge.metrics.runner.reference import dataset_choice, write_stats

from ..conftest import GOLDEN, require

pytestmark = pytest.mark.usefixtures("one_thread")  # from conftest

SETS = ("rgb32", "mnist28", "rgb48x64")  # square, gray (written as 1-channel PNG), non-square


@pytest.fixture(scope="module")
def extractor(tmp_path_factory: pytest.TempPathFactory) -> InceptionExtractor:
    """inception-v3-fid on the golden random weights cast to float32 (as the README asks)."""
    state = torch.load(
        require(GOLDEN / "inception_random_weights_fp16.pt"), map_location="cpu", weights_only=True
    )
    path = tmp_path_factory.mktemp("inception") / "random-fp32.pt"
    torch.save({k: v.float() if v.is_floating_point() else v for k, v in state.items()}, path)
    return InceptionExtractor(path, device="cpu")


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each golden image set as PNG files in its own folder, at the set's own size."""
    root = tmp_path_factory.mktemp("golden-folders")
    with np.load(require(GOLDEN / "inception_images.npz")) as data:
        images = {name: data[name] for name in SETS}
    out = {}
    for name, batch in images.items():
        folder = root / name
        folder.mkdir()
        for i, image in enumerate(batch.transpose(0, 2, 3, 1)):
            # mnist28 is gray replicated to RGB: store the gray plane, as a digit file would be
            pixels = image[:, :, 0] if name == "mnist28" else image
            Image.fromarray(pixels).save(folder / f"{i:02d}.png")
        out[name] = folder
    return out


@pytest.fixture(scope="module")
def expected() -> dict[str, FeatureStats]:
    """Statistics of torch-fidelity's pool3 features of each set."""
    with np.load(require(GOLDEN / "inception_expected_features.npz")) as data:
        return {n: FeatureStats.from_features(data[f"{n}/2048"].astype(np.float64)) for n in SETS}


def relative(actual: np.ndarray, wanted: np.ndarray) -> float:
    """||actual - wanted|| / ||wanted|| (Frobenius for matrices)."""
    return float(np.linalg.norm(actual - wanted) / np.linalg.norm(wanted))


@pytest.mark.parametrize("name", SETS)
def test_folder_statistics_match_torch_fidelity(
    name: str,
    folders: dict[str, Path],
    extractor: InceptionExtractor,
    expected: dict[str, FeatureStats],
    tmp_path: Path,
) -> None:
    # what `ganforge stats FOLDER` does once its extractor is built
    choice = dataset_choice(str(folders[name]), None, None)
    path, stats = write_stats(choice, extractor, tmp_path / "stats.npz")
    want = expected[name]
    assert stats.count == want.count
    assert relative(stats.mu, want.mu) < 1e-4 and relative(stats.sigma, want.sigma) < 1e-4
    provenance = FeatureStats.load(path).provenance
    height, width = np.load(GOLDEN / "inception_images.npz")[name].shape[2:]
    assert provenance["image_size"] == [height, width] and provenance["native_size"] is True


def test_folder_statistics_at_a_dataset_size_would_differ(
    folders: dict[str, Path], extractor: InceptionExtractor, expected: dict[str, FeatureStats]
) -> None:
    # the old behaviour (every folder resized to 64x64) is a percent-level error, not rounding
    choice = dataset_choice(str(folders["rgb48x64"]), None, None, size=64)
    path, stats = write_stats(choice, extractor)
    assert relative(stats.mu, expected["rgb48x64"].mu) > 1e-2
    assert FeatureStats.load(path).provenance["native_size"] is False


def test_fid_between_two_folders_matches_the_reference_features(
    folders: dict[str, Path], extractor: InceptionExtractor, expected: dict[str, FeatureStats]
) -> None:
    result = api.compare(folders["rgb32"], folders["rgb48x64"], extractor=extractor, metrics="fid")
    want = frechet_distance(expected["rgb32"], expected["rgb48x64"])
    assert result.values["fid"] == pytest.approx(want, rel=1e-4)
    sides = result.to_dict()["sources"]
    assert sides["a"]["image_size"] == [32, 32] and sides["b"]["image_size"] == [48, 64]
    assert sides["a"]["kind"] == sides["b"]["kind"] == "folder"
