"""What every metric shares: its result type, its context, and ``name:key=value`` specs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganforge.config import yaml_value
from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError, GanforgeError

TRANSLATION_KINDS = ("paired", "unpaired")


def check_not_translation(info: DataInfo) -> None:
    """Sample metrics do not apply to image-to-image translation data: name what does."""
    if info.kind in TRANSLATION_KINDS:
        raise GanforgeError(
            "this is an image-to-image translation run: use `ganforge translate-eval RUN`"
        )


@dataclass
class MetricResult:
    """``values``: the scores (each with a better direction); ``extra``: spreads, sizes, files."""

    values: dict[str, float]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """What a metric may need beyond features: the dataset's info, the seed, where to write."""

    info: DataInfo | None = None
    seed: int = 0
    out_dir: Path | None = None  # figures (nearest neighbours, duplicates) go here; None: none
    tag: str = "eval"  # stem of figure file names
    model: Any = None  # the loaded generator (runs.Loaded) for measures that need it; None: none


def split_specs(text: str | list[str] | tuple[str, ...]) -> list[str]:
    """Split ``"fid,kid:subsets=10"`` at commas outside brackets (lists stay whole)."""
    if not isinstance(text, str):
        return [s for item in text for s in split_specs(item)]
    out, depth, current = [], 0, ""
    for char in text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            out.append(current)
            current = ""
        else:
            current += char
    out.append(current)
    return [s.strip() for s in out if s.strip()]


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"kid:subsets=10:subset_size=500"`` -> ("kid", {"subsets": 10, "subset_size": 500})."""
    name, *pairs = spec.split(":")
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"{spec!r}: expected name:key=value[:key=value...], e.g. kid:subsets=10"
            )
        params[key.strip()] = yaml_value(value, f"{name.strip()}:{key.strip()}")
    return name.strip(), params


def jsonable(obj: Any) -> Any:
    """Plain JSON data: numpy scalars and arrays unwrapped, paths as text, NaN/inf as null."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj
