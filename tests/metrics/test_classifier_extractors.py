"""Domain classifiers: they learn, are cached by content hash, and behave as feature extractors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge.errors import DataError
from ganforge.metrics.features import classifier_train
from ganforge.metrics.features.classifier import (
    ClassifierExtractor,
    digits_data,
    mnist_classifier,
)
from ganforge.metrics.features.classifier_net import ClassifierArch
from ganforge.registry import DATASETS, EXTRACTORS

from ..conftest import MNIST_DIR, require

pytestmark = pytest.mark.usefixtures("one_thread")  # from conftest

SUBSET = {"train_limit": 400, "epochs": 3, "device": "cpu"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user cache shared by this module's tests (so the subset classifier is trained once)."""
    return tmp_path_factory.mktemp("classifier-home")


@pytest.fixture
def use_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point GANFORGE_HOME at the module's cache."""
    monkeypatch.setenv("GANFORGE_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def small(home: Path) -> ClassifierExtractor:
    """A digits classifier trained on 400 images for 3 epochs (about a second of CPU)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANFORGE_HOME", str(home))
        return EXTRACTORS.get("digits-classifier")(**SUBSET)


@pytest.fixture(scope="module")
def held_out() -> tuple[np.ndarray, np.ndarray]:
    """The digits held-out split at the classifier's size (32x32, gray)."""
    test = DATASETS.get("digits")(size=32, split="test")
    return test.images.numpy(), test.labels.numpy()


def test_subset_classifier_learns_and_records_its_accuracy(
    small: ClassifierExtractor, held_out: tuple[np.ndarray, np.ndarray]
) -> None:
    info = small.provenance()
    assert info["n_train"] == 400 and info["n_test"] == 359
    assert info["accuracy"] >= 0.9
    assert len(info["key"]) == 64 and Path(info["cache"]).is_file()
    images, labels = held_out
    predicted = small(images)["logits"].argmax(1)
    assert np.mean(predicted == labels) == pytest.approx(info["accuracy"])


def test_cache_hit_does_not_retrain(
    small: ClassifierExtractor,
    held_out: tuple[np.ndarray, np.ndarray],
    use_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached classifier was trained again")

    monkeypatch.setattr(classifier_train, "fit", refuse)
    again = EXTRACTORS.get("digits-classifier")(**SUBSET)
    assert again.provenance() == small.provenance()
    images = held_out[0][:20]
    np.testing.assert_array_equal(again(images)["features"], small(images)["features"])


def test_features_shape_and_independence_of_batch_size(
    small: ClassifierExtractor, held_out: tuple[np.ndarray, np.ndarray]
) -> None:
    images = held_out[0][:37]
    whole = small(images)
    assert whole["features"].shape == (37, 128) and whole["logits"].shape == (37, 10)
    assert whole["features"].dtype == np.float64 and (whole["features"] >= 0).all()
    small.batch_size = 5
    try:
        chunked = small(images)
    finally:
        small.batch_size = 500
    for key in ("features", "logits"):
        np.testing.assert_allclose(chunked[key], whole[key], rtol=1e-5, atol=1e-6)


def test_other_sizes_and_rgb_are_resized_to_the_classifier_input(
    small: ClassifierExtractor,
) -> None:
    test = DATASETS.get("digits")(size=48, channels=3, split="test")
    out = small(test.images)
    assert out["features"].shape == (len(test), 128)
    assert np.mean(out["logits"].argmax(1) == test.labels.numpy()) >= 0.85


def test_changing_data_architecture_or_settings_changes_the_cache_key() -> None:
    data = digits_data(16, train_limit=50)
    arch, settings = ClassifierArch(size=16), classifier_train.TrainSettings()
    key = classifier_train.cache_key(data, arch, settings)
    assert key == classifier_train.cache_key(digits_data(16, train_limit=50), arch, settings)
    assert key != classifier_train.cache_key(data, arch, replace(settings, seed=1))
    assert key != classifier_train.cache_key(data, replace(arch, width=8), settings)
    data.train_y = data.train_y.copy()
    data.train_y[0] = (data.train_y[0] + 1) % 10
    assert key != classifier_train.cache_key(data, arch, settings)


def test_training_is_deterministic() -> None:
    data = digits_data(16, train_limit=120)
    arch, settings = ClassifierArch(size=16), classifier_train.TrainSettings(epochs=1)
    first, _ = classifier_train.fit(data, arch, settings)
    second, _ = classifier_train.fit(data, arch, settings)
    for (name, a), (_, b) in zip(first.state_dict().items(), second.state_dict().items()):
        assert torch.equal(a, b), name


def test_an_unreadable_cache_file_is_retrained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path))
    tiny = {"size": 16, "train_limit": 100, "epochs": 1, "device": "cpu"}
    first = EXTRACTORS.get("digits-classifier")(**tiny)
    Path(first.provenance()["cache"]).write_bytes(b"not a checkpoint")
    again = EXTRACTORS.get("digits-classifier")(**tiny)
    assert "ignoring unreadable classifier cache" in caplog.text
    assert again.provenance()["accuracy"] == first.provenance()["accuracy"]


def test_mnist_classifier_on_a_subset_of_the_shared_test_set() -> None:
    root = require(MNIST_DIR)
    extractor = mnist_classifier(root=str(root), train_limit=2000, epochs=2, device="cpu")
    info = extractor.provenance()
    assert "80/20 split of the test set" in info["data"]
    assert (info["n_train"], info["n_test"]) == (2000, 2000)
    assert info["accuracy"] >= 0.9


def test_mnist_without_files_says_where_to_put_them(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="Put the IDX files there"):
        mnist_classifier(root=str(tmp_path))


@pytest.mark.slow
def test_digits_classifier_reaches_97_percent_held_out() -> None:
    assert EXTRACTORS.get("digits-classifier")(device="cpu").accuracy >= 0.97


@pytest.mark.slow
def test_mnist_classifier_reaches_97_percent_held_out() -> None:
    extractor = EXTRACTORS.get("mnist-classifier")(root=str(require(MNIST_DIR)), device="cpu")
    assert extractor.provenance()["n_test"] == 2000
    assert extractor.accuracy >= 0.97
