"""A set of samples turned into features once: extractor outputs, the samples, their origin."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ganforge.data.download import cache_dir
from ganforge.errors import GanforgeError
from ganforge.metrics.features.base import Extractor
from ganforge.metrics.measures.stats import FeatureStats

log = logging.getLogger("ganforge.metrics")


@dataclass
class FeatureSet:
    """Extractor outputs (``features``, ``logits``) for one sample set, or statistics alone.

    ``samples`` keeps the uint8 images (or points) for figures; ``provenance`` says where the
    set came from (source, split, count, extractor); ``labels`` the class of each sample when it
    is known. Statistics and their covariance root are computed once and kept, so one real set
    serves many evaluations.
    """

    outputs: dict[str, np.ndarray]
    provenance: dict[str, Any] = field(default_factory=dict)
    samples: torch.Tensor | None = None
    stats_: FeatureStats | None = None
    labels: np.ndarray | None = None  # class of each sample (dataset labels, conditioning labels)

    @property
    def count(self) -> int:
        """Number of samples (from the statistics when there are no features)."""
        if self.outputs:
            return len(next(iter(self.outputs.values())))
        return self.stats_.count if self.stats_ is not None else 0

    def has(self, output: str) -> bool:
        """Whether per-sample ``output`` arrays are present."""
        return output in self.outputs

    def get(self, output: str, metric: str = "this metric") -> np.ndarray:
        """The ``output`` array, or an error that says what provides it."""
        if output not in self.outputs:
            source = self.provenance.get("source", "this set")
            if not self.outputs and self.stats_ is not None:
                raise GanforgeError(
                    f"{metric} needs per-sample {output} but the real side ({source}) is a "
                    "statistics file (mu/sigma only); pass a dataset as --real instead"
                )
            raise GanforgeError(
                f"{metric} needs {output!r} but the extractor gives only "
                f"{sorted(self.outputs)}; choose an extractor that provides {output!r}"
            )
        return self.outputs[output]

    def stats(self) -> FeatureStats:
        """Mean and covariance of ``features`` (kept, with their root, after the first call)."""
        if self.stats_ is None:
            self.stats_ = FeatureStats.from_features(self.get("features", "FID"), self.provenance)
        return self.stats_

    def take(self, index: np.ndarray) -> FeatureSet:
        """The subset of samples at ``index`` (statistics recomputed on demand)."""
        if not self.outputs:
            raise GanforgeError("a statistics-only set cannot be subsampled")
        samples = None if self.samples is None else self.samples[torch.as_tensor(index)]
        provenance = {**self.provenance, "count": len(index)}
        labels = None if self.labels is None else self.labels[index]
        outputs = {k: v[index] for k, v in self.outputs.items()}
        return FeatureSet(outputs, provenance, samples, labels=labels)

    def subsample(self, n: int, seed: int) -> FeatureSet:
        """At most ``n`` samples, drawn without replacement (itself when it is small enough)."""
        if self.count <= n:
            return self
        return self.take(np.sort(np.random.default_rng(seed).choice(self.count, n, replace=False)))


def content_hash(samples: torch.Tensor, extractor_provenance: dict[str, Any]) -> str:
    """SHA-256 of the samples' bytes, shape and dtype plus the extractor's provenance."""
    digest = hashlib.sha256()
    digest.update(json.dumps(extractor_provenance, sort_keys=True, default=str).encode())
    digest.update(f"{tuple(samples.shape)}{samples.dtype}".encode())
    digest.update(samples.contiguous().numpy().tobytes())
    return digest.hexdigest()


def extract(
    extractor: Extractor,
    samples: torch.Tensor,
    provenance: dict[str, Any],
    cache: bool = False,
) -> FeatureSet:
    """Run the extractor once over ``samples``; with ``cache`` reuse outputs stored by hash."""
    provenance = {**provenance, "count": len(samples), "extractor": extractor.provenance()}
    path = None
    if cache:
        key = content_hash(samples, extractor.provenance())
        provenance["content_hash"] = key
        path = cache_dir("features") / f"{key[:32]}.npz"
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as data:
                    return FeatureSet({k: data[k] for k in data.files}, provenance, samples)
            except (OSError, ValueError) as exc:
                log.warning("ignoring unreadable feature cache %s: %s", path, exc)
    outputs = extractor(samples)
    if path is not None:
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, **outputs)
        tmp.replace(path)
    return FeatureSet(outputs, provenance, samples)
