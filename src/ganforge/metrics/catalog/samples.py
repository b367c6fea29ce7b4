"""Registered measures of sample sets beyond the first catalog: the independent Wasserstein
critic, image retrieval, PRD curves, the Geometry Score, reconstruction error, sharpness,
low-level image statistics and MS-SSIM diversity."""

from __future__ import annotations

import numpy as np
import torch

from ganforge.data.grid import save_grid
from ganforge.errors import GanforgeError
from ganforge.metrics.catalog.core import _balanced, _figure, _has_images, _real
from ganforge.metrics.judges.critic import wasserstein_critic
from ganforge.metrics.judges.reconstruction import invert
from ganforge.metrics.measures import paired
from ganforge.metrics.measures.diversity import ms_ssim_diversity
from ganforge.metrics.measures.geometry import geometry_score
from ganforge.metrics.measures.lowlevel import edge_statistics, spectra, wavelet_statistics
from ganforge.metrics.measures.neighbours import nearest
from ganforge.metrics.measures.nn_grid import neighbour_grid
from ganforge.metrics.measures.prd import plot_prd, prd
from ganforge.metrics.measures.retrieval import retrieval
from ganforge.metrics.measures.sharpness import sharpness_difference
from ganforge.metrics.runner.base import Context, MetricResult
from ganforge.metrics.runner.featureset import FeatureSet
from ganforge.metrics.runner.suite import IMAGES
from ganforge.registry import METRICS

_FEATURES = {"needs": ("features",), "real": "features"}
_IMAGES = {"needs": (IMAGES,), "real": "features"}


def _images(side: FeatureSet, name: str) -> torch.Tensor:
    """The uint8 images of a side, or an error that says what is missing."""
    if not _has_images(side):
        source = side.provenance.get("source", "this side")
        raise GanforgeError(f"{name} reads the images themselves, which {source} does not hold")
    return side.samples  # type: ignore[return-value]


@METRICS.register("critic", better={"critic_w1": "lower"}, **_FEATURES)
def critic(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    steps: int = 2000,
    hidden: int = 256,
    balance: bool = True,
) -> MetricResult:
    """Independent Wasserstein critic (Danihelka et al. 2017): held-out W1 estimate."""
    x, y = _balanced(real, fake, "critic", balance, ctx.seed)
    result = wasserstein_critic(x, y, steps, hidden, seed=ctx.seed)
    return MetricResult({"critic_w1": result.test}, {"critic_train": result.train, "steps": steps})


@METRICS.register("retrieval", better={"retrieval_dist": "lower"}, samples=True, **_FEATURES)
def retrieval_metric(
    real: FeatureSet | None, fake: FeatureSet, ctx: Context, *, worst: int = 8, k: int = 5
) -> MetricResult:
    """Image retrieval (Wang et al. 2016): distance of each real sample to its nearest fake."""
    side = _real(real, "retrieval")
    x, y = side.get("features", "retrieval"), fake.get("features", "retrieval")
    result = retrieval(x, y, worst)
    extra: dict[str, object] = {"percentiles": result.percentiles, "worst": result.worst}
    path = _figure(ctx, "retrieval")
    if path is not None and _has_images(side) and _has_images(fake) and result.worst:
        _, index = nearest(x[result.worst], y, k)
        images = side.samples[result.worst]  # type: ignore[index]
        scale = max(1, 48 // max(images.shape[2:]))
        grid = neighbour_grid(images, fake.samples, index, path, scale, query_label="real")
        extra["figure"] = str(grid)
    return MetricResult({"retrieval_dist": result.mean}, extra)


@METRICS.register(
    "prd", better={"f_8": "higher", "f_1_8": "higher"}, samples=True, distinct=True, **_FEATURES
)
def prd_metric(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    clusters: int = 20,
    angles: int = 1001,
    runs: int = 10,
    balance: bool = True,
) -> MetricResult:
    """PRD curves (Sajjadi et al. 2018): F_8 (recall) and F_1/8 (precision), with the plot."""
    x, y = _balanced(real, fake, "prd", balance, ctx.seed)
    curve = prd(x, y, clusters, angles, runs, ctx.seed)
    extra: dict[str, object] = {
        "precision_curve": curve.precision.round(6),
        "recall_curve": curve.recall.round(6),
    }
    path = _figure(ctx, "prd")
    if path is not None:
        extra["figure"] = str(plot_prd(curve, path))
    return MetricResult({"f_8": curve.f_8, "f_1_8": curve.f_1_8}, extra)


@METRICS.register("geometry", better={"geometry": "lower"}, **_FEATURES)
def geometry(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    landmarks: int = 64,
    gamma: float | None = None,
    i_max: int = 100,
    repeats: int = 100,
) -> MetricResult:
    """Geometry Score (Khrulkov and Oseledets 2018): topology (H1 living times) compared."""
    x = _real(real, "geometry").get("features", "geometry")
    options = {"landmarks": landmarks, "gamma": gamma, "i_max": i_max, "repeats": repeats}
    result = geometry_score(x, fake.get("features", "geometry"), seed=ctx.seed, **options)
    extra = {"mrlt_real": result.real_mrlt[:10], "mrlt_fake": result.fake_mrlt[:10]}
    return MetricResult({"geometry": result.score}, extra)


@METRICS.register("recon", better={"recon_mse": "lower"}, samples=True, **_IMAGES)
def recon(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    n: int = 64,
    steps: int = 500,
    lr: float = 0.05,
) -> MetricResult:
    """Reconstruction error (Xiang and Li 2017): real images inverted into the latent space."""
    model = ctx.model
    if model is None:
        raise GanforgeError(
            "recon inverts the generator: run `ganforge evaluate RUN --metrics recon`"
        )
    side = _real(real, "recon")
    images = _images(side, "recon")
    index = np.sort(np.random.default_rng(ctx.seed).permutation(len(images))[:n])
    g = model.g
    device = next(g.parameters()).device
    y = None
    if getattr(g, "n_classes", 0):
        if side.labels is None:
            raise GanforgeError("recon of a class-conditional run needs a labelled real side")
        y = torch.as_tensor(side.labels[index]).to(device)
    targets = images[torch.as_tensor(index)].float().div(127.5).sub(1.0)
    z0 = g.latent(len(index), torch.Generator().manual_seed(ctx.seed))
    frozen = [p.requires_grad for p in g.parameters()]
    g.requires_grad_(False)
    try:
        result = invert(lambda z: g(z, y), targets.to(device), z0.to(device), steps, lr)
    finally:
        for p, flag in zip(g.parameters(), frozen):
            p.requires_grad_(flag)
    rebuilt, target01 = (result.images + 1) / 2, (targets + 1) / 2
    extra: dict[str, object] = {
        "n": len(index),
        "steps": steps,
        "recon_psnr": float(paired.psnr(rebuilt.clamp(0, 1), target01).mean()),
    }
    if min(targets.shape[2:]) >= 11:
        extra["recon_ssim"] = float(paired.ssim(rebuilt.clamp(0, 1), target01).mean())
    path = _figure(ctx, "recon")
    if path is not None:
        pairs = torch.stack([targets[:16], result.images[:16].clamp(-1, 1)], 1).flatten(0, 1)
        pairs = ((pairs + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
        scale = max(1, 48 // max(pairs.shape[2:]))
        extra["figure"] = str(save_grid(pairs, path, nrow=8, scale=scale))
    return MetricResult({"recon_mse": float(result.errors.mean())}, extra)


@METRICS.register("sharpness", better={"sharp_diff": "higher"}, **_IMAGES)
def sharpness(real: FeatureSet | None, fake: FeatureSet, ctx: Context) -> MetricResult:
    """Sharpness difference for unpaired samples (after Mathieu et al. 2016), in dB."""
    side = _real(real, "sharpness")
    result = sharpness_difference(_images(side, "sharpness"), _images(fake, "sharpness"))
    return MetricResult(
        {"sharp_diff": result.db}, {"sharpness_real": result.real, "sharpness_fake": result.fake}
    )


@METRICS.register("spectrum", better={"spectrum_dist": "lower", "fourier_dist": "lower"}, **_IMAGES)
def spectrum(real: FeatureSet | None, fake: FeatureSet, ctx: Context) -> MetricResult:
    """Mean power spectrum and Fourier amplitude distances to real images (log10)."""
    side = _real(real, "spectrum")
    result = spectra(_images(side, "spectrum"), _images(fake, "spectrum"))
    return MetricResult(
        {"spectrum_dist": result.spectrum, "fourier_dist": result.fourier},
        {"slope_real": result.slope_real, "slope_fake": result.slope_fake},
    )


@METRICS.register("wavelets", better={"wavelet_dist": "lower"}, **_IMAGES)
def wavelets(
    real: FeatureSet | None, fake: FeatureSet, ctx: Context, *, levels: int = 3
) -> MetricResult:
    """Haar wavelet coefficient distributions against real images (Wasserstein-1)."""
    side = _real(real, "wavelets")
    result = wavelet_statistics(_images(side, "wavelets"), _images(fake, "wavelets"), levels)
    return MetricResult(
        {"wavelet_dist": result.distance},
        {"kurtosis_real": result.kurtosis_real, "kurtosis_fake": result.kurtosis_fake},
    )


@METRICS.register("edges", better={"edge_dist": "lower"}, **_IMAGES)
def edges(real: FeatureSet | None, fake: FeatureSet, ctx: Context) -> MetricResult:
    """Sobel edge-strength distributions against real images (Wasserstein-1)."""
    side = _real(real, "edges")
    result = edge_statistics(_images(side, "edges"), _images(fake, "edges"))
    return MetricResult(
        {"edge_dist": result.distance},
        {"kurtosis_real": result.kurtosis_real[0], "kurtosis_fake": result.kurtosis_fake[0]},
    )


@METRICS.register("ms-ssim", needs=(IMAGES,), real="none", better={"ms_ssim": "lower"})
def ms_ssim_metric(
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    *,
    pairs: int = 1000,
    class_pairs: int = 100,
    window: int = 11,
    scales: int = 5,
) -> MetricResult:
    """MS-SSIM diversity (Odena et al. 2017): mean MS-SSIM of random generated pairs; lower is
    more diverse."""
    result = ms_ssim_diversity(
        _images(fake, "ms-ssim"), pairs, fake.labels, class_pairs, window, scales, ctx.seed
    )
    extra: dict[str, object] = {"ms_ssim_std": result.std, "pairs": result.pairs}
    if result.per_class:
        extra["per_class"] = result.per_class
    return MetricResult({"ms_ssim": result.mean}, extra)
