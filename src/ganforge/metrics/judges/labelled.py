"""Classifiers trained on one side and tested on the other: GAN-train / GAN-test (Shmelkov et
al. 2018), adversarial accuracy and divergence (Yang et al. 2017), boundary distortion (Santurkar
et al. 2018).

Every classifier is the same linear one: multinomial logistic regression on standardised
features (the papers trained CNNs on images; ganforge trains on the extractor's features, so the
measures see what the features see). The real side is split once, stratified by class, into a
training half and a test half.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ganforge.errors import GanforgeError

PROBABILITY_FLOOR = 1e-12  # a class a classifier never saw gets this probability in KL terms


class OneClass:
    """What a classifier learns from samples of one class (a collapsed generator): that class."""

    def __init__(self, label: int) -> None:
        self.classes_ = np.array([label])

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The one class for every row."""
        return np.full(len(x), self.classes_[0])

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probability 1 for the one class."""
        return np.ones((len(x), 1))


def fit_classifier(x: np.ndarray, y: np.ndarray, seed: int = 0) -> Any:
    """Standardised multinomial logistic regression fitted on (x, y) (one class: OneClass)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(np.unique(y)) < 2:
        return OneClass(int(y[0]))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    return model.fit(x, y)


def accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Share of rows of ``x`` classified as ``y``."""
    return float((model.predict(x) == y).mean())


def probabilities(model: Any, x: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """p(y|x) over ``classes`` (classes the model never saw get PROBABILITY_FLOOR), rows sum
    to 1."""
    out = np.full((len(x), len(classes)), PROBABILITY_FLOOR)
    columns = np.searchsorted(classes, model.classes_)
    out[:, columns] = np.maximum(model.predict_proba(x), PROBABILITY_FLOOR)
    return out / out.sum(axis=1, keepdims=True)


def split_real(x: np.ndarray, y: np.ndarray, seed: int, test_fraction: float = 0.5):  # type: ignore[no-untyped-def]
    """(x_train, x_test, y_train, y_test): a class-stratified split of the real side."""
    from sklearn.model_selection import train_test_split

    counts = np.unique(y, return_counts=True)[1]
    if len(counts) < 2 or counts.min() < 2:
        raise GanforgeError(
            "the real side needs two classes or more with at least two samples each"
        )
    return train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)


@dataclass
class GanTrainTest:
    """GAN-train and GAN-test accuracies, with the real-on-real accuracy they compare to."""

    gan_train: float
    gan_test: float
    real_accuracy: float


def gan_train_test(
    real_x: np.ndarray, real_y: np.ndarray, fake_x: np.ndarray, fake_y: np.ndarray, seed: int = 0
) -> GanTrainTest:
    """GAN-train: trained on labelled generated samples, tested on real test data; GAN-test:
    trained on real training data, tested on the generated samples."""
    x_train, x_test, y_train, y_test = split_real(real_x, real_y, seed)
    on_real = fit_classifier(x_train, y_train, seed)
    on_fake = fit_classifier(fake_x, fake_y, seed)
    return GanTrainTest(
        accuracy(on_fake, x_test, y_test),
        accuracy(on_real, fake_x, fake_y),
        accuracy(on_real, x_test, y_test),
    )


@dataclass
class Adversarial:
    """Adversarial accuracy and divergence, and the real classifier's own test accuracy."""

    accuracy: float
    divergence: float
    real_accuracy: float


def adversarial(
    real_x: np.ndarray, real_y: np.ndarray, fake_x: np.ndarray, seed: int = 0
) -> Adversarial:
    """C_r is trained on real data and labels the generated samples; C_g is trained on those.
    Accuracy: C_g on real test data; divergence: mean KL(C_r(x) || C_g(x)) over real test x."""
    x_train, x_test, y_train, y_test = split_real(real_x, real_y, seed)
    c_real = fit_classifier(x_train, y_train, seed)
    c_fake = fit_classifier(fake_x, c_real.predict(fake_x), seed)
    classes = np.unique(real_y)
    p, q = probabilities(c_real, x_test, classes), probabilities(c_fake, x_test, classes)
    divergence = float((p * (np.log(p) - np.log(q))).sum(axis=1).mean())
    return Adversarial(
        accuracy(c_fake, x_test, y_test), divergence, accuracy(c_real, x_test, y_test)
    )


@dataclass
class BoundaryDistortion:
    """Test accuracy of a classifier trained on annotated generated samples, of one trained on
    as many real samples, and the classes of the task."""

    synthetic_accuracy: float
    real_accuracy: float
    classes: list[int]
    n_synthetic: int


def boundary_distortion(
    real_x: np.ndarray,
    real_y: np.ndarray,
    fake_x: np.ndarray,
    classes: list[int] | None = None,
    seed: int = 0,
) -> BoundaryDistortion:
    """An annotator trained on real data labels the generated samples; those of ``classes``
    (default: all) train a classifier that is tested on real test data of those classes, next
    to a classifier trained on the same number of real training samples."""
    x_train, x_test, y_train, y_test = split_real(real_x, real_y, seed)
    chosen = np.unique(real_y) if classes is None else np.asarray(sorted(set(classes)))
    missing = sorted(set(chosen.tolist()) - set(np.unique(real_y).tolist()))
    if len(chosen) < 2 or missing:
        raise GanforgeError(
            f"boundary classes must be two or more classes of the real data (missing {missing})"
        )
    annotator = fit_classifier(x_train, y_train, seed)
    fake_y = annotator.predict(fake_x)
    keep = np.isin(fake_y, chosen)
    if keep.sum() < 2:
        found = np.unique(fake_y).tolist()
        raise GanforgeError(
            f"boundary: fewer than two generated samples look like classes {chosen.tolist()} "
            f"(the annotator saw only classes {found}); choose other classes"
        )
    synthetic = fit_classifier(fake_x[keep], fake_y[keep], seed)
    in_task = np.isin(y_train, chosen)
    rng = np.random.default_rng(seed)
    index = np.flatnonzero(in_task)
    index = rng.choice(index, min(len(index), int(keep.sum())), replace=False)
    real_model = fit_classifier(x_train[index], y_train[index], seed)
    test = np.isin(y_test, chosen)
    return BoundaryDistortion(
        accuracy(synthetic, x_test[test], y_test[test]),
        accuracy(real_model, x_test[test], y_test[test]),
        [int(c) for c in chosen],
        int(keep.sum()),
    )
