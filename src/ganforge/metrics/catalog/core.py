"""The registered metrics: each wraps a pure function of feature arrays for the suite runner.

Registry metadata: ``needs`` (extractor outputs used), ``real`` ("features": per-sample real
outputs, "stats": mean/covariance suffice, "none": fake side only), ``better`` (the direction of
each score it returns; None for descriptive values), ``samples`` (it draws a figure from the
images) and ``distinct`` (it needs distinct samples, so bootstrap rounds drop repeated draws).
A metric is ``fn(real, fake, ctx, **params) -> MetricResult``; params are keyword-only,
validated and coerced from ``name:key=value`` specs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch

from ganforge.data.grid import save_grid
from ganforge.errors import GanforgeError
from ganforge.metrics.measures.c2st import classifier_two_sample_test
from ganforge.metrics.measures.duplicates import birthday_test
from ganforge.metrics.measures.fid import fid_infinity, frechet_distance
from ganforge.metrics.measures.inception_score import inception_score
from ganforge.metrics.measures.kernels import mmd_rbf
from ganforge.metrics.measures.kid import kid as kid_fn
from ganforge.metrics.measures.modes import class_coverage, toy_mode_coverage
from ganforge.metrics.measures.ndb import ndb as ndb_fn
from ganforge.metrics.measures.neighbours import nearest
from ganforge.metrics.measures.nn_grid import neighbour_figures
from ganforge.metrics.measures.parzen import parzen_window
from ganforge.metrics.measures.prdc import density_coverage, precision_recall
from ganforge.metrics.runner.base import Context, MetricResult
from ganforge.metrics.runner.featureset import FeatureSet
from ganforge.registry import METRICS


def _real(real: FeatureSet | None, name: str) -> FeatureSet:
    if real is None:
        raise GanforgeError(f"{name} compares with real data; give a real side (--real)")
    return real


def _balanced(real: FeatureSet | None, fake: FeatureSet, name: str, balance: bool, seed: int):  # type: ignore[no-untyped-def]
    """Real and fake features; with ``balance`` the larger side is subsampled (without
    replacement) to the smaller side's count, so both hold equally many samples."""
    side = _real(real, name)
    if balance:
        n = min(side.count, fake.count)
        side, fake = side.subsample(n, seed), fake.subsample(n, seed)
    return side.get("features", name), fake.get("features", name)


def _figure(ctx: Context, name: str) -> Path | None:
    return None if ctx.out_dir is None else ctx.out_dir / f"{ctx.tag}-{name}.png"


def _has_images(side: FeatureSet) -> bool:
    return side.samples is not None and side.samples.dtype == torch.uint8


@METRICS.register(
    "fid", needs=("features",), real="stats", better={"fid": "lower", "fid_inf": "lower"}
)
def fid(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    infinity: bool = False,
    points: int = 15,
    min_fraction: float = 0.1,
) -> MetricResult:
    """Fréchet distance of Gaussian feature statistics; infinity=true adds FID-infinity."""
    real_stats = _real(real, "fid").stats()
    values = {"fid": frechet_distance(real_stats, fake.stats())}
    extra: dict[str, object] = {"n_real": real_stats.count, "n_fake": fake.count}
    if infinity:
        fit = fid_infinity(
            real_stats, fake.get("features", "fid"), points, min_fraction, seed=ctx.seed
        )
        values["fid_inf"] = fit.value
        extra.update(fid_inf_slope=fit.slope, fid_inf_sizes=fit.sizes, fid_inf_fids=fit.fids)
    return MetricResult(values, extra)


@METRICS.register("is", needs=("logits",), real="none", better={"is": "higher"})
def inception_score_metric(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    splits: int = 10,
    shuffle: bool = False,
    output: str | None = None,
) -> MetricResult:
    """Inception Score from the extractor's logits: mean (and std) over splits.

    ``output`` defaults to ``logits_unbiased`` when the extractor gives it (the original IS
    code's bias-free fc product on the FID Inception network), else ``logits``.
    """
    key = output or ("logits_unbiased" if fake.has("logits_unbiased") else "logits")
    mean, std = inception_score(fake.get(key, "is"), splits, shuffle, ctx.seed)
    extra = {"is_std": std, "splits": splits, "output": key, "n_fake": fake.count}
    return MetricResult({"is": mean}, extra)


@METRICS.register("kid", needs=("features",), real="features", better={"kid": "lower"})
def kid(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    subsets: int = 100,
    subset_size: int = 1000,
    degree: int = 3,
    coef0: float = 1.0,
) -> MetricResult:
    """Kernel Inception Distance: unbiased MMD^2, cubic kernel, mean over random subsets."""
    x, y = _real(real, "kid").get("features", "kid"), fake.get("features", "kid")
    result = kid_fn(x, y, subsets, subset_size, degree, None, coef0, ctx.seed)
    return MetricResult(
        {"kid": result.mean},
        {"kid_std": result.std, "subsets": result.subsets, "subset_size": result.subset_size},
    )


def _manifold(real, fake, ctx, name, fn, keys, k, balance):  # type: ignore[no-untyped-def]
    """A pair of k-NN manifold scores on balanced sets, with the k and counts used."""
    x, y = _balanced(real, fake, name, balance, ctx.seed)
    scores = fn(x, y, k)
    return MetricResult(dict(zip(keys, scores)), {"k": k, "n_real": len(x), "n_fake": len(y)})


_KNN = {"needs": ("features",), "real": "features", "distinct": True}


@METRICS.register("pr", better={"precision": "higher", "recall": "higher", "f1": "higher"}, **_KNN)
def pr(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    k: int = 3,
    balance: bool = True,
    f1: bool = False,
) -> MetricResult:
    """Improved precision and recall (k-NN manifolds, k = 3); f1=true adds their F1."""
    result = _manifold(real, fake, ctx, "pr", precision_recall, ("precision", "recall"), k, balance)
    if f1:
        p, r = result.values["precision"], result.values["recall"]
        result.values["f1"] = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return result


@METRICS.register("dc", better={"density": "higher", "coverage": "higher"}, **_KNN)
def dc(
    real: FeatureSet | None, fake: FeatureSet, ctx: Context, *, k: int = 5, balance: bool = True
) -> MetricResult:
    """Density and coverage (Naeem et al. 2020; k = 5)."""
    return _manifold(real, fake, ctx, "dc", density_coverage, ("density", "coverage"), k, balance)


@METRICS.register("mmd", needs=("features",), real="features", better={"mmd": "lower"})
def mmd(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    sigma: float | None = None,
    balance: bool = True,
) -> MetricResult:
    """Unbiased MMD^2 with a Gaussian kernel (bandwidth: median pairwise distance)."""
    x, y = _balanced(real, fake, "mmd", balance, ctx.seed)
    value, bandwidth = mmd_rbf(x, y, sigma, ctx.seed)
    return MetricResult({"mmd": value}, {"mmd_sigma": bandwidth, "n_real": len(x)})


@METRICS.register("ndb", needs=("features",), real="features", better={"ndb": "lower"})
def ndb(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    bins: int = 100,
    alpha: float = 0.05,
    balance: bool = True,
) -> MetricResult:
    """Number of statistically different k-means bins, as a fraction of the bins."""
    x, y = _balanced(real, fake, "ndb", balance, ctx.seed)
    result = ndb_fn(x, y, bins, alpha, ctx.seed)
    return MetricResult(
        {"ndb": result.fraction},
        {
            "ndb_count": result.different,
            "bins": result.bins,
            "ndb_js": result.js,  # nats, as the paper
            "ndb_js_bits": result.js_bits,
        },
    )


@METRICS.register(
    "duplicates",
    needs=("features",),
    real="features",
    better={"dup_rate": "lower"},
    samples=True,
    distinct=True,
)
def duplicates(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    batch: int = 400,
    repeats: int = 10,
    pairs: int = 16,
) -> MetricResult:
    """Birthday-paradox test: share of samples with a near-duplicate in their batch."""
    x, y = _real(real, "duplicates").get("features", "duplicates"), fake.get("features")
    result = birthday_test(x, y, batch, repeats, pairs, ctx.seed)
    extra: dict[str, object] = {
        "dup_batches": result.batches_with_duplicate,
        "threshold": result.threshold,
        "batch": result.batch,
        "closest": [d for _, _, d in result.pairs],
    }
    path = _figure(ctx, "duplicates")
    if path is not None and _has_images(fake):
        order = [i for a, b, _ in result.pairs for i in (a, b)]
        labels = [f"{d:.3g}" for _, _, d in result.pairs for _ in range(2)]
        scale = max(1, 48 // max(fake.samples.shape[2:]))
        extra["figure"] = str(
            save_grid(fake.samples[order], path, nrow=8, labels=labels, scale=scale)
        )
    return MetricResult({"dup_rate": result.rate}, extra)


@METRICS.register(
    "c2st", needs=("features",), real="features", better={"c2st": "lower"}, distinct=True
)
def c2st(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    classifier: Literal["knn", "logistic"] = "knn",
    folds: int = 5,
) -> MetricResult:
    """Classifier two-sample test: cross-validated real-vs-fake accuracy (0.5 is ideal)."""
    x, y = _real(real, "c2st").get("features", "c2st"), fake.get("features", "c2st")
    result = classifier_two_sample_test(x, y, classifier, folds, ctx.seed)
    return MetricResult(
        {"c2st": result.accuracy},
        {"c2st_std": result.std, "c2st_p": result.p_value, "per_class": result.per_class},
    )


@METRICS.register("parzen", needs=("features",), real="features", better={"parzen_ll": "higher"})
def parzen(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    sigmas: list[float] | None = None,
) -> MetricResult:
    """Parzen-window mean log-likelihood of held-out real samples (the GAN paper's measure)."""
    x, y = _real(real, "parzen").get("features", "parzen"), fake.get("features", "parzen")
    result = parzen_window(x, y, sigmas, seed=ctx.seed)
    return MetricResult(
        {"parzen_ll": result.mean}, {"parzen_se": result.stderr, "parzen_sigma": result.sigma}
    )


@METRICS.register(
    "modes",
    needs=("features",),
    real="none",
    better={"modes": "higher", "hq_fraction": "higher", "mode_kl": "lower"},
)
def modes(
    real: FeatureSet | None, fake: FeatureSet, ctx: Context, *, threshold: float = 3.0
) -> MetricResult:
    """2-D mixtures: modes captured, high-quality share, KL of the mode histogram to uniform."""
    extra = ctx.info.extra if ctx.info is not None else {}
    if "means" not in extra or "std" not in extra:
        raise GanforgeError(
            "modes needs a Gaussian-mixture dataset (ring, grid); for labelled images use classes"
        )
    result = toy_mode_coverage(
        fake.get("features", "modes"), np.asarray(extra["means"]), float(extra["std"]), threshold
    )
    return MetricResult(
        {"modes": result.modes, "hq_fraction": result.high_quality, "mode_kl": result.kl_uniform},
        {"modes_total": result.total, "histogram": result.histogram},
    )


@METRICS.register(
    "classes", needs=("logits",), real="features", better={"classes": "higher", "class_kl": "lower"}
)
def classes(real: FeatureSet | None, fake: FeatureSet, ctx: Context) -> MetricResult:
    """Labelled data: classes produced, and KL of the fake class histogram to the real one."""
    real_logits = _real(real, "classes").get("logits", "classes")
    result = class_coverage(real_logits, fake.get("logits", "classes"))
    return MetricResult(
        {"classes": result.classes, "class_kl": result.kl},
        {
            "classes_total": result.total,
            "fake_histogram": result.fake_histogram,
            "real_histogram": result.real_histogram,
        },
    )


@METRICS.register(
    "nn",
    needs=("features",),
    real="features",
    better={"nn_dist": None},
    samples=True,
    distinct=True,
)
def nn(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    k: int = 5,
    rows: int = 8,
    space: Literal["pixels", "features"] = "pixels",
) -> MetricResult:
    """Nearest neighbours: mean distance to the nearest real sample, grids both ways (pixels)."""
    if k < 1 or rows < 1:
        raise GanforgeError(f"nn needs k >= 1 and rows >= 1, got k={k}, rows={rows}")
    side = _real(real, "nn")
    x, y = side.get("features", "nn"), fake.get("features", "nn")
    dist, _ = nearest(y, x, 1)
    extra: dict[str, object] = {"k": k, "space": space}
    if ctx.out_dir is not None and _has_images(fake) and _has_images(side):
        stem = ctx.out_dir / ctx.tag
        figures = neighbour_figures(
            fake.samples, side.samples, y, x, stem, k=k, rows=rows, space=space, seed=ctx.seed
        )
        extra["figure"] = str(figures["generated_to_real"])
        extra["figure_real_to_generated"] = str(figures["real_to_generated"])
    return MetricResult({"nn_dist": float(dist.mean())}, extra)
