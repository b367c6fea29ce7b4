"""Metrics: pure functions of feature arrays, and the feature extractors that produce them.

Importing the package registers every metric (``ganforge.registry.METRICS``).
"""

import sys as _sys

from ganforge.metrics import catalog  # noqa: F401  (registration: every catalog module)
from ganforge.metrics.measures.fid import fid, frechet_distance
from ganforge.metrics.measures.inception_score import inception_score
from ganforge.metrics.measures.kid import kid
from ganforge.metrics.measures.prdc import density_coverage, precision_recall
from ganforge.metrics.measures.stats import FeatureStats

__all__ = [
    "FeatureStats",
    "density_coverage",
    "fid",
    "frechet_distance",
    "inception_score",
    "kid",
    "precision_recall",
]

# Old module paths that are also names of functions here: registered now, so that
# importing one (for one release, see CHANGELOG.md) cannot replace the function.
_sys.modules.setdefault("ganforge.metrics.fid", _sys.modules["ganforge.metrics.measures.fid"])
_sys.modules.setdefault(
    "ganforge.metrics.inception_score", _sys.modules["ganforge.metrics.measures.inception_score"]
)
_sys.modules.setdefault("ganforge.metrics.kid", _sys.modules["ganforge.metrics.measures.kid"])
