"""Gaussian feature statistics (mean, covariance) with a cached covariance root, and .npz files.

A root ``R`` of a covariance ``S`` is any matrix with ``S (+ offset I) = R^T R``. FID only ever
needs such roots (never a matrix square root): the real side's root is computed once and kept with
its statistics, so scoring many fake sets against one real set costs one product and one symmetric
eigenvalue problem each. Files are compatible with pytorch-fid (``mu``, ``sigma``) and add ``count``
and ``provenance`` (a JSON string).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.linalg

from ganforge.errors import GanforgeError

log = logging.getLogger("ganforge.metrics")

# the reference code (pytorch-fid, TTUR) adds this to both diagonals when its sqrtm breaks down
SINGULAR_OFFSET = 1e-6


@dataclass
class CovRoot:
    """``matrix`` with ``S + offset * I = R^T R``; ``kind`` says how R is stored.

    ``cholesky``: ``matrix`` is the lower factor L (so R = L^T, a triangular d x d matrix);
    ``rows``: R itself, n x d with n < d (centred samples / sqrt(n - 1): the low-rank case);
    ``eigen``: R itself, d x d, from an eigendecomposition (a PSD matrix Cholesky rejected).
    """

    matrix: np.ndarray
    kind: Literal["cholesky", "rows", "eigen"]
    offset: float = 0.0

    @property
    def rows(self) -> int:
        """Rows of R: the size of the symmetric eigenvalue problem this root leads to."""
        return self.matrix.shape[0]

    def sandwich(self, other: np.ndarray) -> np.ndarray:
        """A matrix whose lower triangle is ``R @ other @ R^T`` (``other`` symmetric).

        For a Cholesky root this is LAPACK's ``sygst`` (L^T A L in half the flops of two
        triangular products); the upper triangle is then not meaningful.
        """
        if self.kind == "cholesky":
            out, info = scipy.linalg.lapack.dsygst(other, self.matrix, itype=2, lower=1)
            if info != 0:  # pragma: no cover - sygst only fails on invalid arguments
                raise GanforgeError(f"LAPACK sygst failed (info={info})")
            return out
        return self.matrix @ other @ self.matrix.T


def covariance_root(sigma: np.ndarray) -> CovRoot:
    """A root of ``sigma``: Cholesky, else (singular) an exact eigen root, else the offset guard.

    A singular but positive semi-definite covariance (fewer samples than dimensions, constant
    features) gets an exact root from its eigenvalues, so FID stays exact where the reference's
    ``sqrtm`` would need its fallback. Only a covariance with eigenvalues below zero beyond
    rounding gets the reference guard: ``SINGULAR_OFFSET`` added to both diagonals.
    """
    if not np.isfinite(sigma).all():
        raise GanforgeError("the covariance has non-finite entries: the features contain NaN/inf")
    try:
        return CovRoot(np.linalg.cholesky(sigma), "cholesky")
    except np.linalg.LinAlgError:
        pass
    values, vectors = np.linalg.eigh(sigma)
    tolerance = np.abs(values).max() * len(values) * np.finfo(np.float64).eps
    offset = 0.0
    if values.min() < -tolerance:
        offset = SINGULAR_OFFSET
        log.warning(
            "covariance has a negative eigenvalue (%.3g); adding %g to the diagonals of both "
            "covariances (the reference FID code's guard)",
            values.min(),
            offset,
        )
        values = values + offset
        if values.min() < -tolerance:
            raise GanforgeError(
                f"the covariance is not positive semi-definite (eigenvalue {values.min():.3g}); "
                "the statistics file is corrupt or was not written as a covariance"
            )
    return CovRoot((vectors * np.sqrt(np.clip(values, 0.0, None))).T, "eigen", offset)


@dataclass
class FeatureStats:
    """Mean and covariance (unbiased, like numpy.cov) of a feature set, with provenance."""

    mu: np.ndarray
    sigma: np.ndarray
    count: int
    provenance: dict[str, Any] = field(default_factory=dict)
    root_: CovRoot | None = None

    @classmethod
    def from_features(
        cls, features: np.ndarray, provenance: dict[str, Any] | None = None
    ) -> FeatureStats:
        """Statistics of an (n, d) array; with n <= d the low-rank root comes for free."""
        x = np.asarray(features, dtype=np.float64)
        if x.ndim != 2 or len(x) < 2:
            raise GanforgeError(f"need at least 2 feature vectors (n, d), got shape {x.shape}")
        mu = x.mean(axis=0)
        centred = x - mu
        sigma = centred.T @ centred / (len(x) - 1)
        stats = cls(mu, sigma, len(x), dict(provenance or {}))
        if len(x) <= x.shape[1]:
            stats.root_ = CovRoot(centred / np.sqrt(len(x) - 1), "rows")
        return stats

    @property
    def dim(self) -> int:
        """Feature dimension."""
        return len(self.mu)

    def root(self) -> CovRoot:
        """The covariance root, computed once and kept (saved with the statistics)."""
        if self.root_ is None:
            self.root_ = covariance_root(self.sigma)
        return self.root_

    def save(self, path: str | Path, with_root: bool = True) -> Path:
        """Write ``mu``, ``sigma``, ``count``, ``provenance`` (and the root) to an .npz file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {
            "mu": self.mu,
            "sigma": self.sigma,
            "count": np.int64(self.count),
            "provenance": np.array(json.dumps(self.provenance, sort_keys=True, default=str)),
        }
        if with_root:
            root = self.root()
            arrays.update(root=root.matrix, root_kind=np.array(root.kind), root_offset=root.offset)
        # a unique temporary name: parallel runs may cache the same statistics at once
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp.npz")
        os.close(fd)
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> FeatureStats:
        """Read statistics written by ``save`` or by pytorch-fid (``mu`` and ``sigma`` only)."""
        path = Path(path)
        if not path.is_file():
            raise GanforgeError(f"statistics file {path} does not exist")
        try:
            data = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise GanforgeError(f"{path} is not a readable .npz statistics file: {exc}") from exc
        with data:
            try:
                if "mu" not in data or "sigma" not in data:
                    raise GanforgeError(
                        f"{path} has no 'mu'/'sigma' arrays; "
                        "write one with `ganforge stats DATASET`"
                    )
                mu = np.asarray(data["mu"], dtype=np.float64).reshape(-1)
                sigma = np.asarray(data["sigma"], dtype=np.float64)
                if sigma.shape != (len(mu), len(mu)):
                    raise GanforgeError(
                        f"{path}: sigma has shape {sigma.shape} but mu has {len(mu)} entries"
                    )
                count = int(data["count"]) if "count" in data else 0
                provenance = json.loads(str(data["provenance"])) if "provenance" in data else {}
                root = None
                if "root" in data:
                    kind = str(data["root_kind"])
                    root = CovRoot(np.asarray(data["root"]), kind, float(data["root_offset"]))  # type: ignore[arg-type]
            except ValueError as exc:  # an object array (refused unpickled), a bad value
                raise GanforgeError(
                    f"{path} is not a readable .npz statistics file: {exc}"
                ) from None
        provenance.setdefault("stats_file", str(path))
        return cls(mu, sigma, count, provenance, root)
