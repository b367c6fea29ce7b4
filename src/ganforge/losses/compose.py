"""A loss section as a loss plus penalties: its keys, and the objects built from it.

The section's keys are the loss's own keyword-only parameters, ``penalty`` (one name or a list;
the loss's default when absent) and, for every selected penalty, that penalty's parameters under
its prefix (``gp_weight``, ``r1_gamma``, ...): the same signature-driven schema as every other
selectable section, assembled from two registries.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping
from typing import Any

from ganforge.errors import ConfigError
from ganforge.losses.base import Loss
from ganforge.losses.penalties import Penalty, penalty_prefix
from ganforge.registry import LOSSES, PENALTIES

Keys = dict[str, tuple[inspect.Parameter, Any]]  # key -> (parameter, type hint)


def _own_keys(obj: Any, prefix: str = "") -> Keys:
    target = obj.__init__ if inspect.isclass(obj) else obj
    hints = typing.get_type_hints(target)
    return {
        prefix + name: (param.replace(name=prefix + name), hints.get(name, Any))
        for name, param in inspect.signature(obj).parameters.items()
        if param.kind is inspect.Parameter.KEYWORD_ONLY
    }


def selected_penalties(loss: str, params: Mapping[str, Any]) -> list[str]:
    """The penalty names a loss section selects (its loss's default when it names none)."""
    if "penalty" not in params:
        return list(LOSSES.get(loss).default_penalty)
    value = params["penalty"]
    if value is None:
        return []
    names = [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise ConfigError(
            f"loss.penalty: expected a penalty name or a list of names, got {value!r}"
        )
    for name in names:
        PENALTIES.entry(name)  # unknown names fail with the valid ones
    if len(set(names)) != len(names):
        raise ConfigError(f"loss.penalty lists a penalty twice: {list(names)}")
    return list(names)


def loss_keys(loss: str, params: Mapping[str, Any]) -> Keys:
    """Every key a loss section may set, with its type hint, given the selected penalties."""
    cls = LOSSES.get(loss)
    keys = _own_keys(cls)
    if cls.accepts_penalties:
        default = list(cls.default_penalty)
        keys["penalty"] = (
            inspect.Parameter("penalty", inspect.Parameter.KEYWORD_ONLY, default=default),
            list[str],
        )
        for name in selected_penalties(loss, params):
            keys.update(penalty_keys(name))
    return keys


def penalty_keys(name: str) -> Keys:
    """A penalty's keys as the loss section spells them (``gp`` -> ``gp_weight``, ...)."""
    return _own_keys(PENALTIES.get(name), penalty_prefix(name))


def penalty_owning(key: str) -> str | None:
    """The registered penalty whose parameter ``key`` is (``gp_center`` -> ``gp``), if any."""
    for entry in PENALTIES:
        if key in penalty_keys(entry.name):
            return entry.name
    return None


def build_loss(loss: str, params: Mapping[str, Any]) -> Loss:
    """The loss object of a (validated) loss section, with its penalties."""
    cls = LOSSES.get(loss)
    own = {k: v for k, v in params.items() if k in _own_keys(cls)}
    penalties: list[Penalty] = []
    if cls.accepts_penalties:
        for name in selected_penalties(loss, params):
            prefix = penalty_prefix(name)
            mine = {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}
            penalties.append(PENALTIES.get(name)(**mine))
    return cls(**own).with_penalties(penalties)
