"""Configuration: dataclass sections, YAML presets, dotted ``--set`` overrides, validation.

A config has fixed sections (``optim``, ``train``, ``eval``), selectable sections (``data``,
``model``, ``loss``: a ``name`` looked up in a registry plus parameters validated against the
keyword-only arguments of what is registered) and the ``schedule`` section, validated the same
way against the schedule of the recipe that trains the model family. Every preset is pure data
and every mistake is an error naming the key and the allowed values.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ganforge.augment import parse_augment
from ganforge.errors import ConfigError, warn_config
from ganforge.legacy import migrate
from ganforge.limits import (
    SEED_MAX,
    Bound,
    OutOfRange,
    check_number,
    check_parameters,
    check_run_name,
    image_size,
)
from ganforge.registry import DATASETS, LOSSES, METRICS, MODELS, PRESETS, RECIPES, Registry


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file; a missing file or a syntax error is a ConfigError naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{where}: invalid YAML ({problem})") from None


# ---------------------------------------------------------------------------------------------
# value coercion by annotation


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "null"
    if origin in (list, tuple):
        args = typing.get_args(hint)
        return f"a list of {_describe(args[0])}" if origin is list and args else str(hint)
    return getattr(hint, "__name__", str(hint))


def coerce(value: Any, hint: Any, key: str) -> Any:
    """Convert ``value`` to the annotated type or raise ConfigError naming ``key``."""
    if hint is Any or hint is inspect.Parameter.empty:
        return value
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    bad = ConfigError(f"{key}: {value!r} is not valid; expected {_describe(hint)}")
    if origin is Literal:
        for choice in args:
            if value == choice or (isinstance(value, str) and str(choice) == value):
                return choice
        raise bad
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.lower() in ("null", "none")):
            if type(None) in args:
                return None
            raise bad
        for arg in args:
            if arg is type(None):
                continue
            try:
                return coerce(value, arg, key)
            except OutOfRange:
                raise  # the right type, the wrong size: say so rather than "expected ..."
            except ConfigError:
                continue
        raise bad
    if hint is type(None):
        if value is None:
            return None
        raise bad
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise bad
    if hint is int:
        if isinstance(value, bool):
            raise bad
        if isinstance(value, str):
            try:
                value = float(value.replace("_", ""))
            except ValueError:
                raise bad from None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int):
            check_number(value, key)
            return value
        raise bad
    if hint is float:
        if isinstance(value, bool):
            raise bad
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise bad from None
        if isinstance(value, (int, float)):
            check_number(float(value), key)
            return float(value)
        raise bad
    if hint is str:
        if isinstance(value, str):
            return value
        raise bad
    if origin in (list, tuple) or hint in (list, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            value = [value]
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise bad
            return tuple(coerce(v, a, f"{key}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
        item = args[0] if args else Any
        items = [coerce(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if (origin is tuple or hint is tuple) else items
    if origin is dict or hint is dict:
        if isinstance(value, Mapping):
            return dict(value)
        raise bad
    return value


# ---------------------------------------------------------------------------------------------
# selectable sections: a registered name plus keyword-only parameters


def parameters(obj: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    """The keyword-only parameters of a builder: these are what a config may set."""
    sig = inspect.signature(obj)
    return {n: p for n, p in sig.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}


def _hints(obj: Callable[..., Any]) -> dict[str, Any]:
    target = obj.__init__ if inspect.isclass(obj) else obj  # type: ignore[misc]
    try:
        return typing.get_type_hints(target)
    except Exception:  # pragma: no cover - unresolvable annotations fall back to no coercion
        return {}


def defaults(obj: Callable[..., Any]) -> dict[str, Any]:
    """The default value of every keyword-only parameter that has one."""
    return {
        n: p.default for n, p in parameters(obj).items() if p.default is not inspect.Parameter.empty
    }


Keys = dict[str, tuple[inspect.Parameter, Any]]  # a section's schema: key -> (parameter, hint)


def keys_of(obj: Callable[..., Any]) -> Keys:
    """A builder's schema: its keyword-only parameters with their type hints."""
    hints = _hints(obj)
    return {n: (p, hints.get(n, Any)) for n, p in parameters(obj).items()}


def describe_keys(keys: Keys) -> list[tuple[str, str, str]]:
    """(name, type, default) of every key of a schema, for listings and docs."""
    rows = []
    for name, (param, hint) in keys.items():
        default = "(required)" if param.default is inspect.Parameter.empty else repr(param.default)
        rows.append((name, _describe(hint), default))
    return rows


def describe_parameters(obj: Callable[..., Any]) -> list[tuple[str, str, str]]:
    """(name, type, default) of every keyword-only parameter, for listings and docs."""
    return describe_keys(keys_of(obj))


def bind_keys(
    keys: Keys, params: Mapping[str, Any], where: str, section: str | None = None
) -> dict[str, Any]:
    """Validate and coerce ``params`` against a schema; with ``section``, also check the
    values against the ranges declared for that section's parameter names (``ganforge.limits``)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key not in keys:
            names = ", ".join(sorted(keys)) or "(none)"
            raise ConfigError(f"{where}: unknown key {key!r}. Allowed: {names}")
        out[key] = coerce(value, keys[key][1], f"{where}.{key}")
    if section is not None:
        check_parameters(section, out)
    missing = [
        n for n, (p, _) in keys.items() if p.default is inspect.Parameter.empty and n not in out
    ]
    if missing:
        raise ConfigError(f"{where}: missing required key(s): {', '.join(missing)}")
    return out


def bind(obj: Callable[..., Any], params: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Validate and coerce ``params`` against ``obj``'s keyword-only signature (and the ranges
    declared for its section, when a registry holds it)."""
    return bind_keys(keys_of(obj), params, where, _section_of(obj))


def _section_of(obj: Callable[..., Any]) -> str | None:
    """Where ``obj``'s parameter ranges are declared: the selectable section (data, model,
    loss) whose registry holds it, or ``metric NAME`` for a metric (ranges per metric)."""
    for section, registry in SELECTABLE.items():
        if any(entry.obj is obj for entry in registry):
            return section
    for entry in METRICS:
        if entry.obj is obj:
            return f"metric {entry.name}"
    return None


def section_keys(section: str, name: str, params: Mapping[str, Any]) -> Keys:
    """The schema of a selectable section: its builder's parameters; for a loss, also
    ``penalty`` and the parameters of each selected penalty (``ganforge.losses.compose``)."""
    if section == "loss":
        from ganforge.losses.compose import loss_keys

        return loss_keys(name, params)
    return keys_of(SELECTABLE[section].get(name))


def section_defaults(section: str, choice: Choice) -> dict[str, Any]:
    """Every parameter of a selectable section with a default, given values first."""
    keys = section_keys(section, choice.name, choice.params)
    full = {n: p.default for n, (p, _) in keys.items() if p.default is not inspect.Parameter.empty}
    return {**full, **choice.params}


@dataclass
class Choice:
    """A registry name plus the parameters given for it (defaults filled in at build time)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The YAML form: ``{name: ..., **params}``."""
        return {"name": self.name, **self.params}


SELECTABLE: dict[str, Registry[Any]] = {"data": DATASETS, "model": MODELS, "loss": LOSSES}


# ---------------------------------------------------------------------------------------------
# fixed sections


@dataclass
class OptimConfig:
    """Optimisers; ``null`` means the default of the chosen loss and recipe."""

    name: Literal["adam", "rmsprop", "sgd"] | None = None
    lr_g: float | None = None
    lr_d: float | None = None
    betas: tuple[float, float] | None = None
    eps: float | None = None
    weight_decay: float = 0.0
    n_critic: int | None = None  # discriminator steps per generator step
    accumulate: int = 1  # micro-batches summed per update (effective batch: batch_size * this)
    lr_schedule: Literal["constant", "linear-decay"] = "constant"
    decay_start: float = 0.5  # fraction of the budget after which linear decay starts


@dataclass
class TrainConfig:
    """The training loop: budget, logging, sampling, checkpoints, robustness."""

    steps: int | None = 2000  # generator steps; ignored when epochs is set
    epochs: float | None = None
    batch_size: int = 64
    seed: int = 0
    device: str = "auto"  # auto, cpu, cuda, cuda:N
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"  # autocast; fp16 adds grad scalers
    channels_last: bool = False  # NHWC weights (faster convolutions on recent hardware)
    compile: bool = False  # torch.compile the training step's models
    ema: float | None = 0.999  # decay of the generator EMA; null disables it
    ema_start: int = 0  # step at which the EMA starts tracking
    ema_warmup: bool = False  # decay min(ema, (1 + t) / (10 + t)) t steps after ema_start
    fake_labels: Literal["sampled", "real"] = "sampled"  # conditional fakes' classes
    reuse_fake: bool = True  # the generator step reuses the last critic step's fake batch
    log_every: int = 25
    sample_every: int = 250
    grid_size: int = 64  # images in each sample grid
    checkpoint_every: int = 500
    keep_last: int = 5
    keep_every: int | None = None  # steps kept for `select` (never pruned); null: eval.every
    on_nonfinite: Literal["stop", "rollback"] = "stop"
    max_rollbacks: int = 3
    tensorboard: bool = False  # the same as "tensorboard" in loggers
    # experiment trackers that also receive the scalars, sample grids and resolved config
    loggers: list[Literal["tensorboard", "mlflow", "wandb"]] = field(default_factory=list)
    threads: int | None = None  # torch CPU threads; null keeps torch's default
    sync_batchnorm: bool = False  # > 1 CUDA process: batch statistics over all ranks
    workers: int = 0  # DataLoader processes decoding batches ahead; 0: in the training loop
    progress: bool = True
    augment: str = "none"  # none, diffaugment[:POLICIES] or ada[:GROUPS][,p=P] (augment/spec.py)
    ada_target: float = 0.6  # ADA: the target of r_t = E[sign(D(real))]
    ada_interval: int = 4  # ADA: steps between adjustments of p


@dataclass
class EvalConfig:
    """Metrics computed during training (every ``every`` steps) and by ``ganforge evaluate``."""

    metrics: list[str] = field(default_factory=list)
    every: int = 0  # 0: only at the end of training
    n_samples: int = 1000
    extractor: str = "auto"
    real: str | None = None  # dataset name, stats file or folder; null: the training data
    seed: int = 0


@dataclass
class Config:
    """A whole training configuration."""

    data: Choice = field(default_factory=lambda: Choice("digits"))
    model: Choice = field(default_factory=lambda: Choice("dcgan"))
    loss: Choice = field(default_factory=lambda: Choice("non-saturating"))
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    schedule: dict[str, Any] = field(default_factory=dict)  # the recipe's phases, pools, ...
    preset: str | None = None
    name: str | None = None  # run name; default: preset (or "run") plus a timestamp


FIXED = {"optim": OptimConfig, "train": TrainConfig, "eval": EvalConfig}
TOP_LEVEL = {"preset", "name", "base", "schedule", *SELECTABLE, *FIXED}


def recipe_of(model: str) -> str:
    """The recipe that trains a model family (``recipe=`` in its registration)."""
    return str(MODELS.entry(model).meta.get("recipe", "gan"))


def schedule_builder(model: str) -> Callable[..., Any]:
    """The ``make_schedule`` of the recipe training ``model``: its keyword-only parameters are
    the keys of the ``schedule`` section."""
    return RECIPES.get(recipe_of(model)).make_schedule


def _schedule_from(raw: Any, model: str) -> dict[str, Any]:
    if raw is None:
        return {}
    recipe = recipe_of(model)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"schedule: expected a mapping of keys, got {raw!r}")
    builder = schedule_builder(model)
    if raw and not parameters(builder):
        raise ConfigError(
            f"schedule: model {model!r} trains with the {recipe} recipe, which has no schedule "
            f"settings (got {', '.join(map(str, raw))}); drop a preset's with --set schedule=null"
        )
    bound = bind_keys(keys_of(builder), raw, f"schedule (recipe {recipe})", "schedule")
    builder(**bound)  # values are checked now, not when training starts
    return bound


def check_batch_sizes(cfg: Config, raw: Mapping[str, Any]) -> None:
    """Per-phase batch sizes in the schedule decide every batch; train.batch_size follows them
    (it is the first phase's), with a warning when it was set to something else."""
    sizes = cfg.schedule.get("batch_sizes")
    if not sizes:
        return
    given = cfg.train.batch_size
    train = raw.get("train")
    if isinstance(train, Mapping) and train.get("batch_size") is not None and given != sizes[0]:
        warn_config(
            f"train.batch_size={given} does not apply: schedule.batch_sizes={list(sizes)} sets "
            f"every phase's batch (train.batch_size follows it: {sizes[0]})"
        )
    cfg.train.batch_size = int(sizes[0])


def _dataclass_from(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"{where}: expected a mapping of keys, got {raw!r}; use --set {where}.KEY=VALUE"
        )
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    values = {}
    for key, value in raw.items():
        if key not in names:
            raise ConfigError(f"{where}: unknown key {key!r}. Allowed: {', '.join(sorted(names))}")
        values[key] = coerce(value, hints[key], f"{where}.{key}")
    return cls(**values)


def _choice_from(section: str, raw: Any) -> Choice:
    registry = SELECTABLE[section]
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, Mapping) or "name" not in raw:
        raise ConfigError(f"{section}: expected a mapping with a 'name' key, got {raw!r}")
    params = {k: v for k, v in raw.items() if k != "name"}
    name = str(raw["name"])
    registry.entry(name)  # an unknown name fails first, with the valid ones
    if section == "loss" and "penalty" in params and params["penalty"] is None:
        params["penalty"] = []  # null: no penalties (absent: the loss's default ones)
    keys = section_keys(section, name, params)
    for key in params:
        if key not in keys:
            _explain_unknown(section, name, key, keys, params)
    return Choice(name, bind_keys(keys, params, f"{section} ({name})", section))


def _explain_unknown(
    section: str, name: str, key: str, keys: Keys, params: Mapping[str, Any]
) -> None:
    """Raise the most helpful error for a key the section's schema does not have (if any)."""
    registry = SELECTABLE[section]
    owners = [e.name for e in registry if key in parameters(e.obj)]
    if owners:
        raise ConfigError(
            f"{section}.{key} is not used by {section} {name!r}; it belongs to "
            f"{', '.join(owners)}. Parameters of {name!r}: {', '.join(sorted(keys)) or '(none)'}"
        )
    if section == "loss":
        from ganforge.losses.compose import penalty_owning, selected_penalties

        penalty = penalty_owning(key)
        if penalty and "penalty" in keys:
            chosen = selected_penalties(name, params)
            raise ConfigError(
                f"loss.{key} belongs to penalty {penalty!r}, which loss.penalty does not select "
                f"(it selects {chosen or 'none'}); add it: --set "
                f"loss.penalty=[{','.join([*chosen, penalty])}]"
            )


BOUNDS = [
    Bound("train.steps", 1),
    Bound("train.epochs", 0, open_low=True),
    Bound("train.batch_size", 1),
    Bound("train.ema", 0, 1, open_low=True, open_high=True),
    Bound("train.ema_start", 0),
    Bound("train.log_every", 1),
    Bound("train.sample_every", 0),
    Bound("train.grid_size", 1),
    Bound("train.checkpoint_every", 0),
    Bound("train.keep_last", 0),
    Bound("train.keep_every", 0),
    Bound("train.max_rollbacks", 0),
    Bound("train.threads", 1),
    Bound("train.workers", 0, 64),
    Bound("train.seed", 0, SEED_MAX),
    Bound("train.ada_target", -1, 1, open_low=True, open_high=True),
    Bound("train.ada_interval", 1),
    Bound("eval.seed", 0, SEED_MAX),
    Bound("optim.lr_g", 0, open_low=True),
    Bound("optim.lr_d", 0, open_low=True),
    Bound("optim.eps", 0, open_low=True),
    Bound("optim.betas", 0, 1, open_high=True),
    Bound("optim.weight_decay", 0),
    Bound("optim.n_critic", 1),
    Bound("optim.accumulate", 1, 1024),
    Bound("optim.decay_start", 0, 1),
    Bound("eval.every", 0),
    Bound("eval.n_samples", 2),
]


def check_ranges(cfg: Config) -> None:
    """Reject out-of-range values of the fixed sections, naming the key and the range."""
    for bound in BOUNDS:
        section, name = bound.key.split(".")
        value = getattr(getattr(cfg, section), name)
        if value is not None:
            bound.check(value)
    if cfg.train.steps is None and cfg.train.epochs is None:
        raise ConfigError("set a budget: train.steps (>= 1) or train.epochs")


def check_kinds(cfg: Config) -> None:
    """The model family must be built for the kind of data the dataset holds."""
    holds = DATASETS.entry(cfg.data.name).meta.get("kind")
    needs = MODELS.entry(cfg.model.name).meta.get("data_kind")
    if holds and needs and holds != needs:
        fits = ", ".join(e.name for e in DATASETS if e.meta.get("kind") == needs)
        raise ConfigError(
            f"model {cfg.model.name!r} needs {needs} data, but dataset {cfg.data.name!r} holds "
            f"{holds} data: choose data.name from {fits}, or another model"
        )


def check_augment(cfg: Config) -> None:
    """``train.augment`` parses, and the recipe and loss can augment what their discriminator
    sees (a score, not an auto-encoder's reconstruction of its input)."""
    spec = parse_augment(cfg.train.augment)
    if spec.kind == "none":
        return
    recipe = recipe_of(cfg.model.name)
    if not getattr(RECIPES.get(recipe), "augments", False):
        raise ConfigError(
            f"train.augment={cfg.train.augment!r}: the {recipe} recipe (model "
            f"{cfg.model.name!r}) does not augment; use train.augment=none"
        )
    kind = DATASETS.entry(cfg.data.name).meta.get("kind")
    if kind != "image":
        raise ConfigError(
            f"train.augment={cfg.train.augment!r} augments images, and dataset "
            f"{cfg.data.name!r} holds {kind} data; use train.augment=none"
        )
    if LOSSES.get(cfg.loss.name).d_output != "score":
        raise ConfigError(
            f"train.augment={cfg.train.augment!r}: loss {cfg.loss.name!r} has an auto-encoder "
            "discriminator, which would reconstruct the augmented image and be compared with "
            "the plain one; use train.augment=none"
        )


def check_fits(cfg: Config) -> None:
    """The model family can be built at the size the dataset will produce: checked before any
    data is loaded or resized (each family registers ``limits=`` in the models registry)."""
    limits = MODELS.entry(cfg.model.name).meta.get("limits")
    size = image_size({**defaults(DATASETS.get(cfg.data.name)), **cfg.data.params}.get("size"))
    if limits is not None and size is not None:
        limits(size, {**defaults(MODELS.get(cfg.model.name)), **cfg.model.params})


def from_dict(raw: Mapping[str, Any]) -> Config:
    """Build and validate a Config from its YAML mapping (old key names are migrated, with a
    ``ConfigDeprecationWarning`` each)."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"a config must be a mapping, got {type(raw).__name__}")
    raw = migrate(raw)
    unknown = set(raw) - TOP_LEVEL
    if unknown:
        raise ConfigError(
            f"unknown config section(s) {sorted(unknown)}. Allowed: {', '.join(sorted(TOP_LEVEL))}"
        )
    cfg = Config()
    for section in SELECTABLE:
        if section in raw:
            setattr(cfg, section, _choice_from(section, raw[section]))
        else:
            current = getattr(cfg, section)
            setattr(cfg, section, _choice_from(section, current.as_dict()))
    for section, cls in FIXED.items():
        setattr(cfg, section, _dataclass_from(cls, raw.get(section) or {}, section))
    cfg.schedule = _schedule_from(raw.get("schedule"), cfg.model.name)
    check_batch_sizes(cfg, raw)
    cfg.preset = coerce(raw.get("preset"), str | None, "preset")
    cfg.name = coerce(raw.get("name"), str | None, "name")
    if cfg.name is not None:
        check_run_name(cfg.name)
    check_ranges(cfg)
    check_kinds(cfg)
    check_augment(cfg)
    check_fits(cfg)
    return cfg


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def dotted(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config mapping by dotted keys (``{"train": {"steps": 2}}`` -> ``train.steps``)."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(value, dict):
            out.update(dotted(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def to_dict(cfg: Config) -> dict[str, Any]:
    """The YAML-ready mapping of a Config (round-trips through ``from_dict``)."""
    out: dict[str, Any] = {"preset": cfg.preset, "name": cfg.name}
    for section in SELECTABLE:
        out[section] = _plain(getattr(cfg, section).as_dict())
    for section in FIXED:
        out[section] = _plain(dataclasses.asdict(getattr(cfg, section)))
    out["schedule"] = _plain(dict(cfg.schedule))
    if cfg.schedule.get("batch_sizes"):
        del out["train"]["batch_size"]  # the schedule's batch sizes decide it
    return out


# ---------------------------------------------------------------------------------------------
# presets and overrides


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``over`` into ``base``; a selectable section whose name changes starts afresh."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if key in SELECTABLE and isinstance(value, Mapping):
            old = out.get(key)
            old = {"name": old} if isinstance(old, str) else old
            if isinstance(old, Mapping) and value.get("name", old.get("name")) == old.get("name"):
                out[key] = {**old, **value}
            else:
                out[key] = dict(value)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def preset_mapping(name_or_path: str, _chain: tuple[str, ...] = ()) -> dict[str, Any]:
    """The raw mapping of a preset name or YAML file, with ``base:`` chains resolved."""
    if name_or_path in _chain:
        raise ConfigError(f"preset base chain loops: {' -> '.join([*_chain, name_or_path])}")
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        raw = read_yaml(path)
        if raw is None:
            raise ConfigError(
                f"{path} is empty; a config needs at least one key, e.g. 'base: dcgan-digits'"
            )
        default_name = path.stem
    else:
        raw = PRESETS.get(name_or_path)()
        default_name = name_or_path
    if not isinstance(raw, Mapping):
        raise ConfigError(f"preset {name_or_path}: expected a YAML mapping")
    raw = dict(raw)
    base = raw.pop("base", None)
    merged = _merge(preset_mapping(base, (*_chain, name_or_path)), raw) if base else raw
    merged["preset"] = raw.get("preset") or default_name
    return merged


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b=value`` into its key path and YAML-parsed value."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected key=value, e.g. optim.lr_g=1e-4")
    key, _, value = text.partition("=")
    path = [p for p in key.strip().split(".") if p]
    if not path:
        raise ConfigError(f"--set {text!r}: empty key")
    parsed = yaml_value(value, f"--set {'.'.join(path)}") if value.strip() else None
    return path, parsed


def yaml_value(text: str, what: str) -> Any:
    """A command-line value read as YAML (text that is not YAML stays text); a value that
    uses an alias of an anchor is refused before anything walks or formats it: a ConfigError
    that starts with ``what``."""
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except _AliasRefused:
        raise ConfigError(
            f"{what}: the value refers to a YAML anchor (*alias); write the value out in full "
            "(aliases can expand a short value into gigabytes)"
        ) from None
    except yaml.YAMLError:
        return text


class _AliasRefused(Exception):
    """A --set value used an alias of an anchor it defined."""


class _NoAliasLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases of defined anchors ("billion laughs": nested aliases
    multiply a few hundred bytes into gigabytes once anything walks or formats the value).
    An alias of no anchor stays a YAML error, so ``*.png`` is still read as the string."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent) and self.peek_event().anchor in self.anchors:
            raise _AliasRefused()
        return super().compose_node(parent, index)


def apply_overrides(raw: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply dotted ``key=value`` overrides; name changes are applied first."""
    parsed = [parse_override(o) for o in overrides]
    parsed.sort(key=lambda kv: not (len(kv[0]) == 2 and kv[0][1] == "name"))
    out = copy.deepcopy(dict(raw))
    for path, value in parsed:
        if path[0] not in TOP_LEVEL:
            raise ConfigError(
                f"--set {'.'.join(path)}: unknown section {path[0]!r}. "
                f"Allowed: {', '.join(sorted(TOP_LEVEL - {'base'}))}"
            )
        nested: Any = value
        for part in reversed(path[1:]):
            nested = {part: nested}
        out = _merge(out, {path[0]: nested})
    return out


def resolve(preset: str | None = None, overrides: Iterable[str] = ()) -> Config:
    """Load a preset (default: ``dcgan-digits``), apply overrides and validate."""
    raw = preset_mapping(preset or "dcgan-digits")
    return from_dict(apply_overrides(raw, overrides))


def save(cfg: Config, path: str | Path) -> None:
    """Write a Config as YAML."""
    Path(path).write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))


def load(path: str | Path) -> Config:
    """Read a Config written by ``save``."""
    return from_dict(read_yaml(path))
