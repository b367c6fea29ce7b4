"""Building a study: images sampled once from runs and folders at one size; tokens kept private."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganforge import api
from ganforge.errors import ConfigError, GanforgeError
from ganforge.rate import create_study, open_study

from .rate_helpers import folder_study, image_folder


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-step DCGAN run on digits (a real checkpoint to sample from)."""
    root = tmp_path_factory.mktemp("runs")
    result = api.train(
        overrides=[
            "train.steps=2",
            "train.checkpoint_every=2",
            "train.sample_every=2",
            "train.batch_size=8",
            "data.limit=32",
            "model.g_width=8",
            "model.d_width=8",
        ],
        runs_root=root,
        name="tiny",
        progress=False,
    )
    return result.run.path


def test_folder_study_stores_every_image_once_at_one_size(tmp_path: Path) -> None:
    study = folder_study(tmp_path, n=5)
    models = study.store.models()
    assert [(m.name, m.kind) for m in models] == [
        ("model-a", "generated"),
        ("model-b", "generated"),
        ("real", "real"),
    ]
    images = study.store.images()
    assert len(images) == 15
    files = sorted(study.images_dir.iterdir())
    assert sorted(f.name for f in files) == sorted(im.file for im in images)
    for file in files:
        with Image.open(file) as im:
            assert (im.size, im.mode, im.format) == ((16, 16), "RGB", "PNG")
        assert len(file.stem) == 16 and int(file.stem, 16) >= 0  # random hex, nothing to read
    assert stat.S_IMODE((study.path / "study.json").stat().st_mode) == 0o600
    study.close()
    again = open_study(study.path)
    assert (again.id, again.rater_token, again.admin_token) == (
        study.id,
        study.rater_token,
        study.admin_token,
    )
    assert len({study.rater_token, study.admin_token, study.secret}) == 3
    again.close()


def test_study_from_a_run_and_a_checkpoint_with_real_digits(tmp_path: Path, tiny_run: Path) -> None:
    ckpt = tiny_run / "checkpoints" / "step-0000002.pt"
    study = create_study([tiny_run, ckpt], tmp_path / "s", real="digits", n_images=4, seed=3)
    names = [m.name for m in study.store.models()]
    assert names == ["tiny", "tiny@step-0000002", "real"]
    arrays = []
    for image in study.store.images():
        with Image.open(study.images_dir / image.file) as im:
            assert (im.size, im.mode) == ((32, 32), "L")  # the run's size and channels
            arrays.append(np.asarray(im))
    # the run's latest checkpoint is step 2: same weights, same seed, the same four samples
    assert len(arrays) == 12 and len({a.tobytes() for a in arrays}) == 8
    study.close()


def test_study_needs_two_contestants_and_a_fresh_folder(tmp_path: Path) -> None:
    a = image_folder(tmp_path / "a", 3, 0, smooth=False)
    with pytest.raises(GanforgeError, match="at least two"):
        create_study([a], tmp_path / "s1")
    create_study([a], tmp_path / "s1", real=str(a), size=16).close()
    with pytest.raises(GanforgeError, match="already holds a study"):
        create_study([a], tmp_path / "s1", real=str(a))
    with pytest.raises(GanforgeError, match="neither a run"):
        create_study([tmp_path / "missing", a], tmp_path / "s2")
    with pytest.raises(ConfigError, match=r"Valid:.*digits"):
        create_study([a], tmp_path / "s3", real="digitz")
    with pytest.raises(GanforgeError, match="exposure"):
        create_study([a, a], tmp_path / "s4", exposure_ms=5)
    with pytest.raises(GanforgeError, match="no study"):
        open_study(tmp_path / "s4")


def test_real_dataset_parameters_are_validated(tmp_path: Path) -> None:
    a = image_folder(tmp_path / "a", 3, 0, smooth=False)
    with pytest.raises(ConfigError, match="unknown key 'spilt'"):
        create_study([a], tmp_path / "s", real="digits", real_params={"spilt": "test"})
