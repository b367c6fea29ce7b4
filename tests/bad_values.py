"""Surely-bad values for every config key and every CLI option, derived from the schema.

Config keys come from the config dataclasses (fixed sections), the keyword-only parameters of
every registered dataset, model and loss (selectable sections), ``loss.penalty`` and every
registered penalty's keys, the keyword-only parameters of every recipe's ``make_schedule`` (the
``schedule`` section) and the top-level keys; their bad values come from the type hints and the
declared ranges (``config.BOUNDS``, ``limits.PARAMETER_BOUNDS``). CLI options come from the
click commands; their bad values from the click types (ranges, choices, paths). A key or option
added later is covered without touching this file.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import click
from hypothesis import strategies as st

from ganforge import config, limits
from ganforge.losses import penalty_keys
from ganforge.registry import DATASETS, LOSSES, METRICS, MODELS, PENALTIES, RECIPES

# Keys whose every string is valid (a label): only type-wrong values are surely bad for them.
FREE_TEXT = {"preset"}
# Keys whose strings name registry entries, checked when the config is read.
NAMES_CHECKED = {"loss.penalty"}


@dataclass(frozen=True)
class Key:
    """One settable config key: ``section.name`` (after ``section.name=owner`` for selectable)."""

    section: str | None
    owner: str | None  # the registered entry a selectable parameter belongs to
    name: str
    hint: Any
    bound: limits.Bound | None
    selects: tuple[str, ...] = ()  # what selects the owner (default: ``section.name=owner``)

    @property
    def dotted(self) -> str:
        """``section.name`` or ``name``."""
        return f"{self.section}.{self.name}" if self.section else self.name

    def overrides(self, value: Any) -> list[str]:
        """The ``--set`` strings that give this key ``value`` (selecting its owner first)."""
        text = json.dumps(value) if not isinstance(value, str) else value
        chosen = [f"{self.section}.name={self.owner}"] if self.owner else []
        return [*(self.selects or chosen), f"{self.dotted}={text}"]


def _hints_of(obj: Any) -> dict[str, Any]:
    return typing.get_type_hints(obj.__init__ if inspect.isclass(obj) else obj)


def config_keys() -> list[Key]:
    """Every settable key of a config, from the schema and the registries."""
    fixed_bounds = {b.key: b for b in config.BOUNDS}
    keys = []
    for section, cls in config.FIXED.items():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            dotted = f"{section}.{f.name}"
            keys.append(Key(section, None, f.name, hints[f.name], fixed_bounds.get(dotted)))
    for section, registry in config.SELECTABLE.items():
        for entry in registry:
            hints = _hints_of(entry.obj)
            for name in config.parameters(entry.obj):
                bound = limits.PARAMETER_BOUNDS.get(f"{section}.{name}")
                keys.append(Key(section, entry.name, name, hints.get(name, Any), bound))
    keys += penalty_config_keys() + schedule_keys()
    keys += [Key(None, None, n, str | None, None) for n in ("preset", "name")]
    return keys


def penalty_config_keys() -> list[Key]:
    """``loss.penalty`` and every registered penalty's keys (``loss.gp_weight``, ...), set on a
    loss that takes penalties with that penalty selected."""
    loss = config.Config().loss.name  # the default loss, which takes penalties
    assert LOSSES.get(loss).accepts_penalties
    keys = [Key("loss", loss, "penalty", list[str], None)]
    for entry in PENALTIES:
        selects = (f"loss.name={loss}", f"loss.penalty=[{entry.name}]")
        for name, (_, hint) in penalty_keys(entry.name).items():
            bound = limits.PARAMETER_BOUNDS.get(f"loss.{name}")
            keys.append(Key("loss", loss, name, hint, bound, selects))
    return keys


def schedule_keys() -> list[Key]:
    """Every recipe's schedule settings (``schedule.KEY``), set on a model family that recipe
    trains (the key's owner)."""
    keys = []
    for recipe in RECIPES:
        model = next((e.name for e in MODELS if e.meta.get("recipe") == recipe.name), None)
        if model is None:
            continue
        schedule = recipe.obj.make_schedule
        hints = _hints_of(schedule)
        for name in config.parameters(schedule):
            bound = limits.PARAMETER_BOUNDS.get(f"schedule.{name}")
            keys.append(
                Key("schedule", model, name, hints.get(name, Any), bound, (f"model.name={model}",))
            )
    return keys


def metric_keys() -> list[Key]:
    """Every parameter of every registered metric (``--metrics NAME:KEY=VALUE``)."""
    import ganforge.metrics  # noqa: F401  (registers the metrics)

    keys = []
    for entry in METRICS:
        hints = _hints_of(entry.obj)
        for name in config.parameters(entry.obj):
            bound = limits.PARAMETER_BOUNDS.get(f"metric {entry.name}.{name}")
            keys.append(Key("metric", entry.name, name, hints.get(name, Any), bound))
    return keys


def _kinds(hint: Any) -> list[Any]:
    """The members of a union (or the hint itself)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(hint) if a is not type(None)]
    return [hint]


def _base(kind: Any) -> Any:
    origin = typing.get_origin(kind)
    return origin if origin is not None else kind


def is_numeric(key: Key) -> bool:
    """Whether the key takes numbers (alone or in a list/tuple)."""
    for kind in _kinds(key.hint):
        args = typing.get_args(kind) if _base(kind) in (list, tuple) else (kind,)
        if any(a in (int, float) for a in args):
            return True
    return False


def bad_values(key: Key) -> list[Any]:
    """Values no version of this key may accept, all refused by config validation alone."""
    kinds = _kinds(key.hint)
    bases = {_base(k) for k in kinds}
    out: list[Any] = [{"zz": 1}]  # a mapping fits no key
    if Literal in bases and str not in bases:
        out.append("zz-nope")
    if bases == {bool}:
        out.append("maybe")
    if is_numeric(key) and not takes_text(key):
        out += ["inf", "nan", "1.0e12", "zz"]
        if key.bound is not None:
            out += _outside(key)
    if key.dotted == "name":
        out.append("..")
    if key.dotted in NAMES_CHECKED:
        out.append("zz-nope")
    return out


def takes_text(key: Key) -> bool:
    """Whether some strings are valid values (a name, a path, a device, a list of names)."""
    for kind in _kinds(key.hint):
        if kind is str or (_base(kind) is list and str in typing.get_args(kind)):
            return True
    return False


def runtime_bad_values(key: Key) -> list[Any]:
    """Strings of the right type that name nothing (a device, folder, dataset, metric):
    refused when the run is set up, before training starts (for an owner whose other required
    parameters would fail first, none)."""
    if not takes_text(key) or key.dotted in FREE_TEXT or key.dotted == "name":
        return []
    if key.owner and set(_required(key)) - {key.name}:
        return []
    return ["zz-nope"]


def _required(key: Key) -> list[str]:
    section = "model" if key.section == "schedule" else key.section
    obj = config.SELECTABLE[section].get(key.owner)  # type: ignore[index]
    empty = inspect.Parameter.empty
    return [n for n, p in config.parameters(obj).items() if p.default is empty]


def _runnable_data(kind: str) -> str:
    """A dataset of ``kind`` that builds without required parameters (bundled data first)."""
    fits = [
        e.name
        for e in DATASETS
        if e.meta.get("kind") == kind
        and not any(p.default is inspect.Parameter.empty for p in config.parameters(e.obj).values())
    ]
    return "digits" if "digits" in fits else fits[0]


def fitting(key: Key) -> list[str]:
    """Overrides that make the other sections fit ``key``'s owner (a model for its data, a loss
    for its model), so that the key's bad value is what the error is about."""
    if key.owner is None:
        return []
    if key.section == "data":
        kind = DATASETS.entry(key.owner).meta["kind"]
        model = next(e.name for e in MODELS if e.meta.get("data_kind") == kind)
        return [f"model.name={model}", *_loss_for(model)]
    if key.section in ("model", "schedule"):  # a schedule key's owner is a model family
        kind = MODELS.entry(key.owner).meta["data_kind"]
        return [f"data.name={_runnable_data(kind)}", *_loss_for(key.owner)]
    recipe = LOSSES.entry(key.owner).meta.get("recipe")
    if recipe is None:
        return []
    model = next(e.name for e in MODELS if e.meta.get("recipe") == recipe)
    data = _runnable_data(MODELS.entry(model).meta["data_kind"])
    return [f"model.name={model}", f"data.name={data}"]


def _loss_for(model: str) -> list[str]:
    """A loss the model's recipe trains with (the default one when it fits)."""
    recipe = MODELS.entry(model).meta.get("recipe", "gan")
    own = [e.name for e in LOSSES if e.meta.get("recipe") == recipe]
    return [f"loss.name={own[0]}"] if own else ["loss.name=non-saturating"]


def _outside(key: Key) -> list[Any]:
    bound = key.bound
    assert bound is not None
    integer = is_integer(key)
    step = 1 if integer else 0.5
    values: list[Any] = []
    if bound.low is not None:
        values.append(bound.low if bound.open_low else bound.low - step)
    if bound.high is not None:
        values.append(bound.high if bound.open_high else bound.high + step)
    if integer:
        values = [int(v) for v in values]
    listy = all(_base(k) in (list, tuple) for k in _kinds(key.hint))
    return [[v] if listy else v for v in values]


# ---------------------------------------------------------------------------------------------
# CLI options


@dataclass(frozen=True)
class Places:
    """Existing things a bad path can point at."""

    file: Path  # a regular file
    folder: Path  # a directory

    @property
    def under_file(self) -> str:
        """A path whose parent is a regular file: neither readable nor writable."""
        return str(self.file / "x.out")


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The words that name every command of ``group``, sub-groups included (``prepare faces``)."""
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def command_of(group: click.Group, words: tuple[str, ...]) -> click.Command:
    """The command named by ``words``."""
    command: click.Command = group
    for word in words:
        command = command.commands[word]  # type: ignore[attr-defined]
    return command


def takes_numbers(param: click.Parameter) -> bool:
    """Whether an option or argument is a number (or an image size)."""
    t = param.type
    return isinstance(t, (click.types.IntParamType, click.types.FloatParamType)) or t.name == "SIZE"


def bad_option_values(param: click.Parameter, places: Places) -> list[str]:
    """Values this option or argument refuses, judged from its click type."""
    t = param.type
    if isinstance(param, click.Option) and param.is_flag:
        return []
    if isinstance(t, (click.IntRange, click.FloatRange)):
        integer = isinstance(t, click.IntRange)
        values = ["zz", "1.5"] if integer else ["zz", "nan", "inf"]
        if t.min is not None:
            values.append(str(t.min if t.min_open else t.min - 1))
        if t.max is not None:
            values.append(str(t.max if t.max_open else t.max + 1))
        return values
    if isinstance(t, click.Choice):
        return ["zz-nope"]
    if isinstance(t, click.Path):
        values = [places.under_file]
        if not t.dir_okay:
            values.append(str(places.folder))
        if not t.file_okay:
            values.append(str(places.file))
        return values
    if t.name == "name":  # a run name (cli.RunName)
        return ["..", "", "/abs"]
    if t.name == "SIZE":  # an image size, 64 or HxW (cli.ImageSize)
        over = str(limits.MAX_SIDE + 1)
        return ["zz", "0", "64x", "8x0", "-8", over, f"8x{over}"]
    if isinstance(t, click.types.StringParamType):
        return ["zz-nope"]
    raise AssertionError(f"no bad values known for {param.name} of type {t!r}")


# ---------------------------------------------------------------------------------------------
# hypothesis strategies over the derived values


def outside_strategy(bound: limits.Bound, integer: bool) -> st.SearchStrategy[Any]:
    """Numbers outside ``bound``, up to about the magnitude every key refuses anyway."""
    parts = []
    big = limits.MAX_MAGNITUDE
    if bound.low is not None:
        low = bound.low
        if integer:
            parts.append(st.integers(-int(big), int(low) - (0 if bound.open_low else 1)))
        else:
            parts.append(st.floats(-big, low, exclude_max=not bound.open_low))
    if bound.high is not None:
        high = bound.high
        top = max(big, 2 * abs(high) + 1)
        if integer:
            parts.append(st.integers(int(high) + (0 if bound.open_high else 1), int(top)))
        else:
            parts.append(st.floats(high, top, exclude_min=not bound.open_high))
    return st.one_of(parts)


def bad_value_strategy(key: Key, at_runtime: bool = False) -> st.SearchStrategy[Any]:
    """The derived bad values of ``key`` plus generated numbers outside its range."""
    fixed = bad_values(key) + (runtime_bad_values(key) if at_runtime else [])
    parts: list[st.SearchStrategy[Any]] = [st.sampled_from(fixed)]
    if key.bound is not None and is_numeric(key) and not takes_text(key):
        listy = all(_base(k) in (list, tuple) for k in _kinds(key.hint))
        numbers = outside_strategy(key.bound, is_integer(key))
        parts.append(numbers.map(lambda v: [v]) if listy else numbers)
    return st.one_of(parts)


def is_integer(key: Key) -> bool:
    """Whether every number the key takes is an int."""
    return all(
        a is int
        for k in _kinds(key.hint)
        for a in (typing.get_args(k) if _base(k) in (list, tuple) else (k,))
        if a in (int, float)
    )


def bad_option_strategy(param: click.Parameter, places: Places) -> st.SearchStrategy[str]:
    """The derived bad values of an option plus generated numbers outside its range."""
    parts: list[st.SearchStrategy[str]] = [st.sampled_from(bad_option_values(param, places))]
    t = param.type
    if isinstance(t, (click.IntRange, click.FloatRange)):
        bound = limits.Bound(
            param.name or "", t.min, t.max, open_low=t.min_open, open_high=t.max_open
        )
        parts.append(outside_strategy(bound, isinstance(t, click.IntRange)).map(str))
    return st.one_of(parts)
