"""Metrics: pure functions of feature arrays, and the feature extractors that produce them.

Importing the package registers every metric (``ganforge.registry.METRICS``).
"""

from ganforge.metrics import (  # noqa: F401  (registration)
    catalog,
    catalog_classes,
    catalog_commands,
    catalog_samples,
)
from ganforge.metrics.fid import fid, frechet_distance
from ganforge.metrics.inception_score import inception_score
from ganforge.metrics.kid import kid
from ganforge.metrics.prdc import density_coverage, precision_recall
from ganforge.metrics.stats import FeatureStats

__all__ = [
    "FeatureStats",
    "density_coverage",
    "fid",
    "frechet_distance",
    "inception_score",
    "kid",
    "precision_recall",
]
