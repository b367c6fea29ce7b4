"""The catalogue: every metric registered by name, each wrapping a measure or a judge.

Importing ``ganforge.metrics`` imports these modules, which fills ``METRICS``.
"""

from ganforge.metrics.catalog import classes, commands, core, samples  # noqa: F401 (registration)
