"""The one exception family for user mistakes: the CLI prints the message, never a traceback.

Config warnings (a setting that does not apply, an old name) are one family too: the CLI prints
them as one ``warning:`` line.
"""

from __future__ import annotations

import sys
import warnings


class GanforgeError(Exception):
    """A user-facing error whose message says what went wrong and what to do."""


class ConfigError(GanforgeError):
    """A configuration key or value that cannot be used."""


class DataError(GanforgeError):
    """A dataset that cannot be found, read or used as configured."""


class TrainingError(GanforgeError):
    """Training could not continue (non-finite loss, failed resume)."""


class ConfigWarning(UserWarning):
    """A configuration setting that is valid but does not do what it seems to (it is overruled)."""


class ConfigDeprecationWarning(ConfigWarning, FutureWarning):
    """An old config key or value that still works for one release; the message names the new.

    A FutureWarning, because the people who see it are the users of configs and presets, and
    Python shows FutureWarnings to them by default (DeprecationWarnings only to developers).
    """


def _first_frame_outside_ganforge() -> int:
    """The stack level of the first caller outside the package (a script, the CLI framework)."""
    frame, level = sys._getframe(2), 2
    while (
        frame is not None and str(frame.f_globals.get("__name__", "")).split(".")[0] == "ganforge"
    ):
        frame, level = frame.f_back, level + 1
    return level


def warn_config(message: str, category: type[ConfigWarning] = ConfigWarning) -> None:
    """Warn about a config setting, attributed to the code that loaded the config (so the
    warning points at the user's script or command, not at ganforge's internals)."""
    warnings.warn(message, category, stacklevel=_first_frame_outside_ganforge())
