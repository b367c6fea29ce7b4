"""The one exception family for user mistakes: the CLI prints the message, never a traceback."""

from __future__ import annotations


class GanforgeError(Exception):
    """A user-facing error whose message says what went wrong and what to do."""


class ConfigError(GanforgeError):
    """A configuration key or value that cannot be used."""


class DataError(GanforgeError):
    """A dataset that cannot be found, read or used as configured."""


class TrainingError(GanforgeError):
    """Training could not continue (non-finite loss, failed resume)."""
