"""Registered measures built on class labels and class probabilities: m-IS, Mode Score, AM
Score, GAN-train / GAN-test, adversarial accuracy and divergence, boundary distortion, class
accuracy of conditional samples and train-on-synthetic / test-on-real."""

from __future__ import annotations

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics.catalog.core import _real
from ganforge.metrics.catalog.samples import _images
from ganforge.metrics.judges.class_accuracy import class_accuracy, train_on_synthetic
from ganforge.metrics.judges.labelled import adversarial, boundary_distortion, gan_train_test
from ganforge.metrics.measures.class_scores import am_score, mode_score, modified_inception_score
from ganforge.metrics.runner.base import Context, MetricResult
from ganforge.metrics.runner.featureset import FeatureSet
from ganforge.metrics.runner.suite import IMAGES
from ganforge.registry import METRICS


def _labels(side: FeatureSet, name: str, what: str) -> np.ndarray:
    if side.labels is None:
        raise GanforgeError(f"{name} needs {what}")
    return side.labels


REAL_LABELS = "a labelled real side (a dataset with classes, e.g. digits or mnist)"


@METRICS.register("m-is", needs=("logits",), real="none", better={"m_is": "higher"})
def m_is(
    real: FeatureSet | None, fake: FeatureSet, ctx: Context, *, min_count: int = 2
) -> MetricResult:
    """Modified Inception Score (Gurumurthy et al. 2017): diversity within each class."""
    value, per_class = modified_inception_score(fake.get("logits", "m-is"), fake.labels, min_count)
    grouped_by = "labels" if fake.labels is not None else "arg-max"
    return MetricResult({"m_is": value}, {"per_class": per_class, "grouped_by": grouped_by})


@METRICS.register("mode-score", needs=("logits",), real="features", better={"mode_score": "higher"})
def mode_score_metric(real: FeatureSet | None, fake: FeatureSet, ctx: Context) -> MetricResult:
    """Mode Score (Che et al. 2017): IS with a penalty for a class marginal unlike the data's."""
    real_logits = _real(real, "mode-score").get("logits", "mode-score")
    return MetricResult({"mode_score": mode_score(fake.get("logits", "mode-score"), real_logits)})


@METRICS.register("am-score", needs=("logits",), real="features", better={"am_score": "lower"})
def am_score_metric(real: FeatureSet | None, fake: FeatureSet, ctx: Context) -> MetricResult:
    """AM Score (Zhou et al. 2018): KL(real || fake class marginals) + mean entropy of p(y|x)."""
    real_logits = _real(real, "am-score").get("logits", "am-score")
    value, kl, entropy = am_score(fake.get("logits", "am-score"), real_logits)
    return MetricResult({"am_score": value}, {"am_kl": kl, "am_entropy": entropy})


@METRICS.register(
    "gan-train-test",
    needs=("features",),
    real="features",
    better={"gan_train": "higher", "gan_test": "higher"},
)
def gan_train_test_metric(real: FeatureSet | None, fake: FeatureSet, ctx: Context) -> MetricResult:
    """GAN-train / GAN-test (Shmelkov et al. 2018): linear classifiers across real and fake."""
    side = _real(real, "gan-train-test")
    real_y = _labels(side, "gan-train-test", REAL_LABELS)
    fake_y = _labels(
        fake, "gan-train-test", "labelled samples: a class-conditional run (model.conditional=true)"
    )
    result = gan_train_test(
        side.get("features", "gan-train-test"), real_y, fake.get("features"), fake_y, ctx.seed
    )
    return MetricResult(
        {"gan_train": result.gan_train, "gan_test": result.gan_test},
        {"real_accuracy": result.real_accuracy},
    )


@METRICS.register(
    "adversarial",
    needs=("features",),
    real="features",
    better={"adv_accuracy": "higher", "adv_divergence": "lower"},
)
def adversarial_metric(real: FeatureSet | None, fake: FeatureSet, ctx: Context) -> MetricResult:
    """Adversarial accuracy and divergence (Yang et al. 2017): a classifier of the samples."""
    side = _real(real, "adversarial")
    real_y = _labels(side, "adversarial", REAL_LABELS)
    result = adversarial(
        side.get("features", "adversarial"), real_y, fake.get("features"), ctx.seed
    )
    return MetricResult(
        {"adv_accuracy": result.accuracy, "adv_divergence": result.divergence},
        {"real_accuracy": result.real_accuracy},
    )


@METRICS.register(
    "boundary",
    needs=("features",),
    real="features",
    better={"boundary_acc": "higher", "boundary_gap": "lower"},
)
def boundary(
    real: FeatureSet | None, fake: FeatureSet, ctx: Context, *, classes: list[int] | None = None
) -> MetricResult:
    """Boundary distortion (Santurkar et al. 2018): a classifier of annotated samples on real."""
    side = _real(real, "boundary")
    real_y = _labels(side, "boundary", REAL_LABELS)
    result = boundary_distortion(
        side.get("features", "boundary"), real_y, fake.get("features"), classes, ctx.seed
    )
    return MetricResult(
        {
            "boundary_acc": result.synthetic_accuracy,
            "boundary_gap": result.real_accuracy - result.synthetic_accuracy,
        },
        {
            "real_accuracy": result.real_accuracy,
            "classes": result.classes,
            "n_synthetic": result.n_synthetic,
        },
    )


def _matched(fake: FeatureSet, match: bool | None) -> bool:
    """Whether the fake labels are learned categories to match to classes (auto: the
    generator said so when it was sampled)."""
    return bool(fake.provenance.get("unsupervised_labels")) if match is None else match


CONDITIONAL = "labelled samples: a class-conditional run (cgan, acgan, infogan, conditional dcgan)"


@METRICS.register("class-accuracy", needs=("logits",), real="none", better={"class_acc": "higher"})
def class_accuracy_metric(
    real: FeatureSet | None, fake: FeatureSet, ctx: Context, *, match: bool | None = None
) -> MetricResult:
    """The domain classifier's accuracy on class-conditional samples against their labels."""
    labels = _labels(fake, "class-accuracy", CONDITIONAL)
    matched = _matched(fake, match)
    result = class_accuracy(fake.get("logits", "class-accuracy"), labels, matched)
    extra: dict[str, object] = {"per_class": result.per_class, "matched": matched}
    if matched:
        extra["mapping"] = result.mapping
    return MetricResult({"class_acc": result.mean}, extra)


@METRICS.register("tstr", needs=(IMAGES,), real="features", better={"tstr": "higher"})
def tstr(
    real: FeatureSet | None, fake: FeatureSet, ctx: Context, *, epochs: int = 6
) -> MetricResult:
    """Train on synthetic, test on real: the digits classifier's network trained on the
    labelled samples, its accuracy on the real side's labelled images."""
    side = _real(real, "tstr")
    real_y = _labels(side, "tstr", REAL_LABELS)
    fake_y = _labels(fake, "tstr", CONDITIONAL)
    if _matched(fake, None):
        raise GanforgeError(
            "tstr needs samples of the data's classes; this generator's labels "
            "are learned categories (InfoGAN): use class-accuracy"
        )
    fake_x, real_x = _images(fake, "tstr"), _images(side, "tstr")
    if fake_x.shape[1:] != real_x.shape[1:]:
        raise GanforgeError(
            f"tstr needs real and generated images of one shape, got {tuple(real_x.shape[1:])} "
            f"and {tuple(fake_x.shape[1:])}"
        )
    value = train_on_synthetic(fake_x.numpy(), fake_y, real_x.numpy(), real_y, epochs, ctx.seed)
    return MetricResult({"tstr": value}, {"n_train": fake.count, "n_test": side.count})
