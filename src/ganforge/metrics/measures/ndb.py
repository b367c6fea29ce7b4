"""Number of statistically Different Bins (Richardson and Weiss 2018).

k-means on the real features defines the bins; each fake sample falls in the bin of its nearest
centroid, and every bin's real and fake proportions are compared with a two-proportion z-test.
A generator that drops or over-produces modes leaves many significantly different bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics.measures.kernels import centred
from ganforge.metrics.measures.neighbours import nearest


@dataclass
class NDB:
    """Different bins (count and fraction of ``bins``), JS divergence, per-bin proportions.

    ``js`` is in nats (natural logarithm, as Richardson and Weiss report it), ``js_bits`` the
    same divergence in bits (``js / ln 2``).
    """

    different: int
    fraction: float
    js: float
    bins: int
    real_share: list[float]
    fake_share: list[float]
    js_bits: float


def two_proportion_z(p1: np.ndarray, n1: int, p2: np.ndarray, n2: int) -> np.ndarray:
    """The pooled two-proportion z statistic for each pair of proportions."""
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / se
    return np.where(se > 0, z, 0.0)


def ndb(
    real: np.ndarray, fake: np.ndarray, bins: int = 100, alpha: float = 0.05, seed: int = 0
) -> NDB:
    """NDB with ``bins`` k-means bins at significance ``alpha`` (two-sided)."""
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import norm
    from sklearn.cluster import KMeans

    if bins < 2 or bins > len(real) // 2:
        raise GanforgeError(
            f"NDB with {bins} bins needs at least {2 * bins} real samples (got {len(real)}); "
            "lower bins (e.g. ndb:bins=20)"
        )
    real, fake = centred(real, fake)  # k-means and the nearest centroid compare distances
    km = KMeans(n_clusters=bins, n_init=3, random_state=seed).fit(real)
    real_share = np.bincount(km.labels_, minlength=bins) / len(real)
    _, assigned = nearest(fake, km.cluster_centers_, 1)
    fake_share = np.bincount(assigned[:, 0], minlength=bins) / len(fake)
    z = two_proportion_z(real_share, len(real), fake_share, len(fake))
    p_values = 2.0 * norm.sf(np.abs(z))
    different = int((p_values < alpha).sum())
    js = float(jensenshannon(real_share, fake_share) ** 2)  # natural log: nats
    return NDB(
        different,
        different / bins,
        js,
        bins,
        real_share.tolist(),
        fake_share.tolist(),
        js / float(np.log(2.0)),
    )
