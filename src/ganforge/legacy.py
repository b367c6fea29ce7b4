"""Old config names that still load for one release, each with a warning that names the new key.

Configs saved by earlier versions (every run's ``config.yaml`` and checkpoint) and hand-written
presets use the old per-family names. ``migrate`` rewrites such a mapping into the current
vocabulary before validation and warns once per old key with a ``ConfigDeprecationWarning``.
Everything here is temporary: the next release deletes this module.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping
from typing import Any

import torch

from ganforge.errors import ConfigDeprecationWarning, ConfigError, warn_config
from ganforge.limits import Bound
from ganforge.registry import DATASETS, LOSSES

__all__ = ["ConfigDeprecationWarning", "data_location", "migrate"]


def deprecated(message: str) -> None:
    """Warn about an old config name (a ConfigDeprecationWarning naming the new one)."""
    warn_config(message, ConfigDeprecationWarning)


# model.KEY renames per family (old -> new); same meaning, new name
MODEL_RENAMES: dict[str, dict[str, str]] = {
    "mlp": {
        "g_hidden": "g_width",
        "g_layers": "g_depth",
        "d_hidden": "d_width",
        "d_layers": "d_depth",
    },
    "pix2pix": {"depth": "g_depth", "d_layers": "patch_layers"},
    "cyclegan": {"n_blocks": "g_depth", "d_layers": "patch_layers"},
    "progan": {"channels": "widths"},
    "stylegan": {"channels": "widths"},
}
PROGRESSION_KEYS = ("fmap_base", "fmap_max", "fmap_min")  # progan / stylegan before g_width
# training schedule that lived in the model (progressive families) or loss (cyclegan) section
TO_SCHEDULE: dict[tuple[str, str], tuple[str, ...]] = {
    ("model", "progan"): ("phase_images", "final_images", "batch_sizes", "reset_optimizers"),
    ("model", "stylegan"): ("phase_images", "final_images", "batch_sizes", "reset_optimizers"),
    ("loss", "cyclegan"): ("pool_size",),
}
PAPER_PROGRESSION = {"fmap_base": 8192, "fmap_max": 512, "fmap_min": 1}
PROGRESSION_BOUNDS = {  # the old keys' ranges (their values are converted, not validated later)
    "fmap_base": Bound("model.fmap_base", 1, 2**20),
    "fmap_max": Bound("model.fmap_max", 1, 16384),
    "fmap_min": Bound("model.fmap_min", 1, 16384),
}


def _rename(params: dict[str, Any], section: str, renames: Mapping[str, str]) -> None:
    for old, new in renames.items():
        if old not in params:
            continue
        if new in params:
            raise ConfigError(
                f"{section}.{old} and {section}.{new} name the same setting; keep {section}.{new}"
            )
        params[new] = params.pop(old)
        deprecated(f"{section}.{old} is now {section}.{new}; the old name goes in the next release")


def _data_side(raw: Mapping[str, Any]) -> int | None:
    """The configured image side (square data), from data.size or the dataset's default."""
    data = raw.get("data")
    data = {"name": data} if isinstance(data, str) else dict(data or {"name": "digits"})
    size = data.get("size")
    if size is None and str(data.get("name")) in DATASETS:
        param = inspect.signature(DATASETS.get(str(data["name"]))).parameters.get("size")
        size = None if param is None or param.default is inspect.Parameter.empty else param.default
    if isinstance(size, (list, tuple)):
        size = size[0] if len(size) == 2 and size[0] == size[1] else None
    return int(size) if isinstance(size, (int, float)) else None


def _old_width(key: str, value: Any) -> int:
    """An old progression value as an int inside its old range, else a ConfigError naming it."""
    number = value
    if isinstance(value, str):
        try:
            number = float(value.replace("_", ""))
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        number = None
    if number is None or not float(number).is_integer():
        raise ConfigError(f"model.{key}: {value!r} is not valid; expected int")
    PROGRESSION_BOUNDS[key].check(int(number))
    return int(number)


def _progression(params: dict[str, Any], raw: Mapping[str, Any]) -> None:
    """fmap_base / fmap_max / fmap_min -> g_width, d_width (width at the final resolution),
    width_max, or an explicit ``widths`` list where the old progression has no such form."""
    given = {k: params.pop(k) for k in PROGRESSION_KEYS if k in params}
    if not given:
        return
    deprecated(
        f"model.{', model.'.join(given)}: the widths are now model.g_width / model.d_width "
        "(channels at the final resolution, doubling towards 4x4) and model.width_max; the old "
        "names go in the next release"
    )
    given = {k: _old_width(k, v) for k, v in given.items()}
    old = {**PAPER_PROGRESSION, **given}
    if params.get("widths") is not None:
        return  # an explicit list always won over the progression
    params.setdefault("width_max", int(old["fmap_max"]))
    if old["fmap_base"] == PAPER_PROGRESSION["fmap_base"] and old["fmap_min"] == 1:
        return  # the papers' progression: the new default (g_width and d_width null)
    side = _data_side(raw)
    if side is None or side < 4 or side & (side - 1):
        raise ConfigError(
            "model.fmap_base is replaced by model.g_width / model.d_width (channels at the final "
            "resolution) and cannot be converted without a square power-of-two data.size: set "
            "the new keys"
        )
    resolutions = [2**k for k in range(2, side.bit_length())]
    widths = [
        max(int(old["fmap_min"]), min(int(old["fmap_max"]), int(old["fmap_base"]) // (r // 2)))
        for r in resolutions
    ]
    top, cap = widths[-1], int(params["width_max"])
    if [min(cap, top * (side // r)) for r in resolutions] == widths:
        params.setdefault("g_width", top)
        params.setdefault("d_width", top)
    else:
        params["widths"] = widths


def _migrate_model(model: dict[str, Any], raw: Mapping[str, Any]) -> None:
    family = str(model.get("name"))
    _rename(model, "model", MODEL_RENAMES.get(family, {}))
    if family in ("progan", "stylegan"):
        _progression(model, raw)
    if family == "dcgan" and model.get("d_norm") == "instance":
        model["d_norm"] = "instance-affine"
        deprecated(
            "model.d_norm=instance in dcgan meant instance norm with a learned scale and shift, "
            "now called 'instance-affine' ('instance' is the shared choice without them); it is "
            "read as instance-affine until the next release"
        )


def _to_schedule(out: dict[str, Any], section: str, params: dict[str, Any]) -> None:
    """Move schedule keys out of the model or loss section into the schedule section."""
    moved = [k for k in TO_SCHEDULE.get((section, str(params.get("name"))), ()) if k in params]
    if not moved:
        return
    schedule = out.get("schedule")
    schedule = dict(schedule) if isinstance(schedule, Mapping) else {}
    for key in moved:
        if key in schedule:
            raise ConfigError(
                f"{section}.{key} and schedule.{key} name the same setting; keep schedule.{key}"
            )
        schedule[key] = params.pop(key)
        deprecated(
            f"{section}.{key} is now schedule.{key} (training schedule, not "
            f"{'architecture' if section == 'model' else 'loss'}); the old place goes in the "
            "next release"
        )
        if key == "batch_sizes" and schedule[key] and isinstance(out.get("train"), Mapping):
            # the per-resolution list always decided the batches; train.batch_size now follows it
            out["train"] = {k: v for k, v in out["train"].items() if k != "batch_size"}
    out["schedule"] = schedule


# loss.KEY renames per loss: penalty parameters now carry the penalty's prefix
LOSS_RENAMES: dict[str, dict[str, str]] = {
    "wgan-gp": {"center": "gp_center"},
    "dragan": {"gp_weight": "dragan_weight", "perturb": "dragan_perturb"},
}
# penalty weights that used to switch their penalty on by being > 0: (loss, key) -> penalty
SWITCHES: dict[tuple[str, str], tuple[str, str]] = {
    ("wgan-gp", "drift"): ("drift", "drift_weight"),
    ("non-saturating", "r1_gamma"): ("r1", "r1_gamma"),
}


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _migrate_loss(loss: dict[str, Any]) -> None:
    from ganforge.losses.compose import penalty_owning

    name = str(loss.get("name"))
    renames = LOSS_RENAMES.get(name, {})
    if "penalty" in loss:  # the new form: loss.gp_weight is gp's weight, not DRAGAN's old name
        renames = {old: new for old, new in renames.items() if penalty_owning(old) is None}
    _rename(loss, "loss", renames)
    for (owner, old), (penalty, new) in SWITCHES.items():
        if owner != name or old not in loss:
            continue
        if old == new and "penalty" in loss:
            continue  # already the new form: loss.penalty selects, loss.r1_gamma weighs
        value = loss.pop(old)
        weight = _number(value)
        chosen = loss.get("penalty")
        chosen = [chosen] if isinstance(chosen, str) else list(chosen or [])
        if "penalty" not in loss:
            chosen = list(getattr(LOSSES.get(name), "default_penalty", ()))
        if weight != 0:  # a bad weight (negative, not a number) stays, for validation to refuse
            loss[new] = value
            loss["penalty"] = [*chosen, penalty] if penalty not in chosen else chosen
        elif "penalty" not in loss:
            loss["penalty"] = chosen
        now = f"loss.penalty={loss['penalty']}" + (f", loss.{new}={value}" if new in loss else "")
        what = f"loss.{old} alone" if old == new else f"loss.{old}"
        deprecated(
            f"{what} no longer switches {penalty} on: penalties are selected by loss.penalty and "
            f"weighted by loss.{new} (read as {now}); the old form goes in the next release"
        )


def data_location(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset's parameters with the old ``root`` read as ``path`` (the one key for a dataset's
    location, files and folders alike), with a warning."""
    out = dict(params)
    if "root" not in out or name not in DATASETS:
        return out
    accepted = inspect.signature(DATASETS.get(name)).parameters
    if "path" in accepted and "root" not in accepted:
        _rename(out, "data", {"root": "path"})
    return out


def _migrate_train(train: dict[str, Any]) -> None:
    """train.amp (float16 with a scaler on CUDA, bfloat16 on the CPU) -> train.precision."""
    if "amp" not in train:
        return
    if "precision" in train:
        raise ConfigError("train.amp and train.precision name the same setting; keep precision")
    amp = train.pop("amp")
    if amp is True or str(amp).lower() == "true":
        device = str(train.get("device", "auto"))
        cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
        train["precision"] = "fp16" if cuda else "bf16"
    elif not (amp is False or str(amp).lower() == "false"):
        raise ConfigError(f"train.amp: {amp!r} is not valid; expected bool")
    now = train.get("precision", "fp32")
    deprecated(
        f"train.amp is now train.precision (fp32, bf16 or fp16; read as {now}); the old name "
        "goes in the next release"
    )


def migrate(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The config mapping in the current vocabulary (old names rewritten, with warnings)."""
    out = copy.deepcopy(dict(raw))
    model = out.get("model")
    if isinstance(model, Mapping) and "name" in model:
        model = dict(model)
        _migrate_model(model, out)
        _to_schedule(out, "model", model)
        out["model"] = model
    loss = out.get("loss")
    if isinstance(loss, Mapping) and "name" in loss:
        loss = dict(loss)
        _migrate_loss(loss)
        _to_schedule(out, "loss", loss)
        out["loss"] = loss
    data = out.get("data")
    if isinstance(data, Mapping) and "root" in data:
        out["data"] = data_location(str(data.get("name", "digits")), data)
    train = out.get("train")
    if isinstance(train, Mapping) and "amp" in train:
        train = dict(train)
        _migrate_train(train)
        out["train"] = train
    return out
