"""class-accuracy and tstr: exact values on known logits, and generators that are perfect or
permuted (real digits of the asked class, or of the next class) scored by a digits classifier."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganforge.data.grid import to_uint8
from ganforge.errors import GanforgeError
from ganforge.metrics.judges.class_accuracy import class_accuracy
from ganforge.metrics.runner.base import Context
from ganforge.metrics.runner.evaluate import label_samples
from ganforge.metrics.runner.featureset import FeatureSet, extract
from ganforge.models.base import Generator
from ganforge.registry import DATASETS, EXTRACTORS, METRICS

pytestmark = pytest.mark.usefixtures("one_thread")  # from conftest


def one_hot_logits(classes: np.ndarray, k: int = 10) -> np.ndarray:
    return np.eye(k)[classes] * 5.0


def test_exact_values_on_known_predictions() -> None:
    labels = np.arange(100) % 10
    assert class_accuracy(one_hot_logits(labels), labels).mean == 1.0
    shifted = one_hot_logits((labels + 3) % 10)
    assert class_accuracy(shifted, labels).mean == 0.0
    matched = class_accuracy(shifted, labels, match=True)
    assert matched.mean == 1.0 and matched.mapping == {c: (c + 3) % 10 for c in range(10)}
    half = labels.copy()
    half[np.flatnonzero(labels == 0)[:5]] = 1  # half of class 0's ten samples look like a 1
    result = class_accuracy(one_hot_logits(half), labels)
    assert result.per_class[0] == 0.5 and result.mean == pytest.approx(0.95)
    with pytest.raises(GanforgeError, match="classifier knows 10 classes"):
        class_accuracy(one_hot_logits(labels), labels + 1)


class RealDigits(Generator):
    """A "generator" returning held-out digits of class (y + shift) % 10 (shift 0: perfect);
    z (one integer) picks the image among that class's."""

    def __init__(self, shift: int, unsupervised: bool = False) -> None:
        super().__init__()
        self.z_dim, self.n_classes, self.shift = 1, 10, shift
        self.unsupervised_labels = unsupervised  # type: ignore[misc]
        test = DATASETS.get("digits")(size=32, split="test")
        self.images, self.targets = test.images.float() / 127.5 - 1, test.labels
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # the sampler reads the device

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        assert y is not None
        out = []
        for zi, yi in zip(z[:, 0], y):
            pool = torch.nonzero(self.targets == (int(yi) + self.shift) % 10).flatten()
            out.append(self.images[pool[int(zi) % len(pool)]])
        return torch.stack(out)


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A digits classifier trained on 400 training images (about a second of CPU)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANFORGE_HOME", str(tmp_path_factory.mktemp("home")))
        return EXTRACTORS.get("digits-classifier")(train_limit=400, epochs=3, device="cpu")


def fake_side(g: Generator, extractor, n: int = 200) -> FeatureSet:  # type: ignore[no-untyped-def]
    z = (torch.arange(n) // 10).float()[:, None]  # the j-th sample of every class: image j
    features = extract(extractor, g.sample(n, z=z, post=to_uint8), {"source": "test"})
    label_samples(features, g, n)
    return features


def test_perfect_and_permuted_generators(classifier) -> None:  # type: ignore[no-untyped-def]
    metric = METRICS.get("class-accuracy")
    perfect = metric(None, fake_side(RealDigits(0), classifier), Context())
    permuted = metric(None, fake_side(RealDigits(1), classifier), Context())
    matched = metric(None, fake_side(RealDigits(1, unsupervised=True), classifier), Context())
    assert perfect.values["class_acc"] >= 0.8  # a small classifier (400 images) on real digits
    assert permuted.values["class_acc"] <= 0.1
    # a permutation of the classes is a relabelling: matching categories recovers it exactly
    assert matched.extra["matched"] and matched.extra["mapping"] == {
        c: (c + 1) % 10 for c in range(10)
    }
    assert matched.values["class_acc"] == perfect.values["class_acc"]
    assert set(perfect.extra["per_class"]) == set(range(10))


def test_tstr_trains_on_samples_and_tests_on_real(classifier) -> None:  # type: ignore[no-untyped-def]
    train = DATASETS.get("digits")(size=32, split="train", limit=300)
    real = extract(classifier, train.images, {"source": "digits train"})
    real.labels = train.labels.numpy()
    metric = METRICS.get("tstr")
    good = metric(real, fake_side(RealDigits(0), classifier, 300), Context())
    bad = metric(real, fake_side(RealDigits(1), classifier, 300), Context())
    assert good.values["tstr"] >= 0.7  # trained on real digits with the right labels
    assert bad.values["tstr"] <= 0.1  # every label names the previous class
    with pytest.raises(GanforgeError, match="learned categories"):
        metric(real, fake_side(RealDigits(0, unsupervised=True), classifier, 300), Context())
