"""Whether class-conditional samples show the class they were asked for.

``class_accuracy``: the domain classifier's arg-max against the requested labels, per class and
averaged over classes. For a generator whose labels are learned categories (InfoGAN's
categorical code) the categories are first matched one-to-one to classes by the assignment
that maximises the agreement (Hungarian algorithm on the confusion counts, as in the InfoGAN
paper's MNIST figure). ``train_on_synthetic``: a classifier trained on the generated samples
and their labels, scored on real labelled images (TSTR).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganforge.errors import GanforgeError


@dataclass
class ClassAccuracy:
    """Mean of the per-class accuracies, the per-class values, and the category -> class map."""

    mean: float
    per_class: dict[int, float]
    mapping: dict[int, int]


def match_categories(predicted: np.ndarray, labels: np.ndarray, n_classes: int) -> dict[int, int]:
    """The one-to-one category -> class map with the most samples whose prediction agrees."""
    from scipy.optimize import linear_sum_assignment

    categories = int(labels.max()) + 1
    counts = np.zeros((categories, max(n_classes, categories)), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return {int(r): int(c) for r, c in zip(rows, cols)}


def class_accuracy(logits: np.ndarray, labels: np.ndarray, match: bool = False) -> ClassAccuracy:
    """Accuracy of the classifier's arg-max on ``logits`` (N, classes) against ``labels``
    (per requested class, and their mean); ``match``: labels are categories, matched first."""
    logits, labels = np.asarray(logits), np.asarray(labels, dtype=np.int64)
    if logits.ndim != 2 or len(logits) != len(labels) or len(labels) == 0:
        raise GanforgeError(
            f"class-accuracy needs (n, classes) logits and n labels, got {logits.shape} "
            f"and {labels.shape}"
        )
    predicted = logits.argmax(axis=1)
    mapping = {}
    if match:
        mapping = match_categories(predicted, labels, logits.shape[1])
        expected = np.array([mapping[int(c)] for c in labels])
    else:
        if labels.max() >= logits.shape[1]:
            raise GanforgeError(
                f"labels go up to {labels.max()} but the classifier knows {logits.shape[1]} classes"
            )
        expected = labels
    per_class = {
        int(c): float((predicted[labels == c] == expected[labels == c]).mean())
        for c in np.unique(labels)
    }
    return ClassAccuracy(float(np.mean(list(per_class.values()))), per_class, mapping)


def train_on_synthetic(
    fake_images: np.ndarray,
    fake_labels: np.ndarray,
    real_images: np.ndarray,
    real_labels: np.ndarray,
    epochs: int,
    seed: int,
) -> float:
    """Accuracy on the real images of the domain classifiers' SmallCNN trained on the fakes."""
    from ganforge.metrics.features.classifier_net import ClassifierArch
    from ganforge.metrics.features.classifier_train import (
        LabelledImages,
        TrainSettings,
        accuracy,
        fit,
    )

    classes = int(max(fake_labels.max(), real_labels.max())) + 1
    arch = ClassifierArch(
        channels=fake_images.shape[1], size=fake_images.shape[-1], n_classes=classes
    )
    data = LabelledImages(fake_images, fake_labels, real_images, real_labels, "generated")
    net, _ = fit(data, arch, TrainSettings(epochs=epochs, seed=seed))
    return accuracy(net, real_images, real_labels)
