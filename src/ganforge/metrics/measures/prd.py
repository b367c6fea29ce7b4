"""Precision and recall for distributions (Sajjadi et al. 2018): PRD curves and F_8 / F_1/8.

Both feature sets are clustered together (k-means, ``clusters`` = 20); with P the real and Q the
generated cluster histograms, the curve is alpha(l) = sum min(l P, Q) (precision) and
beta(l) = alpha(l) / l (recall) for slopes l = tan(angle), angles evenly spaced in (0, pi/2),
averaged over ``runs`` (10) clusterings. F_beta is the best (1 + b^2) P R / (b^2 P + R) along the
curve; F_8 summarises recall and F_1/8 precision, as in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.kernels import centred

EPSILON = 1e-10  # keeps the angles off 0 and pi/2, as the authors' code does


@dataclass
class PRDCurve:
    """Precision and recall along the curve, with the two F_beta summaries."""

    precision: np.ndarray
    recall: np.ndarray
    f_8: float  # recall-weighted
    f_1_8: float  # precision-weighted


def prd_from_histograms(
    real_hist: np.ndarray, fake_hist: np.ndarray, angles: int = 1001
) -> tuple[np.ndarray, np.ndarray]:
    """(precision, recall) along the PRD curve of two histograms over the same bins."""
    p = np.asarray(real_hist, dtype=np.float64)
    q = np.asarray(fake_hist, dtype=np.float64)
    if p.shape != q.shape or not np.isclose(p.sum(), 1) or not np.isclose(q.sum(), 1):
        raise GanforgeError("PRD needs two normalised histograms over the same bins")
    slopes = np.tan(np.linspace(EPSILON, np.pi / 2 - EPSILON, angles))
    precision = np.minimum(p[None, :] * slopes[:, None], q[None, :]).sum(axis=1)
    recall = precision / slopes
    return np.clip(precision, 0, 1), np.clip(recall, 0, 1)


def max_f_beta(precision: np.ndarray, recall: np.ndarray, beta: float) -> float:
    """The largest F_beta along a curve (0 where precision and recall are both 0)."""
    b2 = beta**2
    denom = b2 * precision + recall
    f = np.where(denom > 0, (1 + b2) * precision * recall / np.where(denom > 0, denom, 1), 0.0)
    return float(f.max())


def prd(
    real: np.ndarray,
    fake: np.ndarray,
    clusters: int = 20,
    angles: int = 1001,
    runs: int = 10,
    seed: int = 0,
) -> PRDCurve:
    """The PRD curve of two feature sets, averaged over ``runs`` k-means clusterings."""
    from sklearn.cluster import MiniBatchKMeans

    if min(len(real), len(fake)) < clusters:
        raise GanforgeError(f"PRD with {clusters} clusters needs at least that many samples a side")
    data = np.concatenate(centred(real, fake)).astype(np.float64)  # k-means: distances
    precision, recall = np.zeros(angles), np.zeros(angles)
    for run in range(runs):
        kmeans = MiniBatchKMeans(n_clusters=clusters, n_init=10, random_state=seed + run)
        labels = kmeans.fit(data).labels_
        real_hist = np.bincount(labels[: len(real)], minlength=clusters) / len(real)
        fake_hist = np.bincount(labels[len(real) :], minlength=clusters) / len(fake)
        p, r = prd_from_histograms(real_hist, fake_hist, angles)
        precision += p / runs
        recall += r / runs
    return PRDCurve(
        precision, recall, max_f_beta(precision, recall, 8), max_f_beta(precision, recall, 1 / 8)
    )


def plot_prd(curve: PRDCurve, path: Path, label: str = "generated") -> Path:
    """The curve as in the paper: recall on x, precision on y, both in [0, 1]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4), dpi=120)
    ax.plot(
        curve.recall, curve.precision, label=f"{label} (F8 {curve.f_8:.2f}, F1/8 {curve.f_1_8:.2f})"
    )
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="recall", ylabel="precision", title="PRD")
    ax.legend(loc="lower left", fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
