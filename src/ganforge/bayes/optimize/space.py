"""Search spaces: real (optionally log-scaled), integer and categorical dimensions.

Points are lists of values, one per dimension. The optimiser works in an encoded unit box: a
real or integer dimension takes one column in [0, 1] (log-scaled when asked), a categorical one
takes one column per choice (one-hot); ``decode`` maps any point of the box back to the nearest
valid point, so a continuous optimiser can search the box and snap its answer.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

JSONScalar = str | int | float | bool | None


def _check_name(name: str | None) -> None:
    if name is not None and not isinstance(name, str):
        raise TypeError(f"dimension name must be a string, got {name!r}")


@dataclass(frozen=True)
class Real:
    """A real interval [low, high], searched uniformly or (``log=True``) in log scale."""

    low: float
    high: float
    log: bool = False
    name: str | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"Real needs finite low < high, got [{self.low}, {self.high}]")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-scaled Real needs low > 0, got {self.low}")

    n_columns = 1

    def _t(self, v: np.ndarray) -> np.ndarray:
        return np.log(v) if self.log else v

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        """Values -> column in [0, 1]."""
        lo, hi = self._t(np.array([self.low, self.high], dtype=float))
        return ((self._t(np.asarray(values, dtype=float)) - lo) / (hi - lo))[:, None]

    def decode(self, columns: np.ndarray) -> list[float]:
        """Column(s) of the unit box -> values (clipped to the interval)."""
        lo, hi = self._t(np.array([self.low, self.high], dtype=float))
        t = lo + np.clip(columns[:, 0], 0.0, 1.0) * (hi - lo)
        v = np.exp(t) if self.log else t
        return [float(x) for x in np.clip(v, self.low, self.high)]

    def from_unit(self, u: np.ndarray) -> list[float]:
        """Uniform draws in [0, 1) -> values spread evenly over the (log) interval."""
        return self.decode(u[:, None])

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a valid value of this dimension."""
        return _is_number(value) and self.low <= float(value) <= self.high

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return {"type": "real", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class Integer:
    """Integers low..high inclusive; each integer gets an equal share of the encoded column."""

    low: int
    high: int
    log: bool = False
    name: str | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        if int(self.low) != self.low or int(self.high) != self.high or self.low > self.high:
            raise ValueError(f"Integer needs integer low <= high, got [{self.low}, {self.high}]")
        if self.log and self.low < 1:
            raise ValueError(f"a log-scaled Integer needs low >= 1, got {self.low}")
        object.__setattr__(self, "low", int(self.low))
        object.__setattr__(self, "high", int(self.high))

    n_columns = 1

    def _edges(self) -> tuple[float, float]:
        lo, hi = self.low - 0.5, self.high + 0.5
        return (math.log(lo), math.log(hi)) if self.log else (lo, hi)

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        """Values -> column in (0, 1): the centre of each integer's bin (in log scale if asked)."""
        lo, hi = self._edges()
        v = np.asarray(values, dtype=float)
        return (((np.log(v) if self.log else v) - lo) / (hi - lo))[:, None]

    def decode(self, columns: np.ndarray) -> list[int]:
        """Column(s) of the unit box -> nearest integers in range."""
        lo, hi = self._edges()
        t = lo + np.clip(columns[:, 0], 0.0, 1.0) * (hi - lo)
        v = np.rint(np.exp(t) if self.log else t)
        return [int(x) for x in np.clip(v, self.low, self.high)]

    def from_unit(self, u: np.ndarray) -> list[int]:
        """Uniform draws in [0, 1) -> integers, each equally likely (log-spaced if ``log``)."""
        return self.decode(u[:, None])

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a valid value of this dimension."""
        return (
            isinstance(value, (int, np.integer))
            and not isinstance(value, bool)
            and self.low <= int(value) <= self.high
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return {"type": "int", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class Categorical:
    """One of a fixed tuple of choices (strings, numbers, booleans), encoded one-hot."""

    choices: tuple[JSONScalar, ...]
    name: str | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        choices = tuple(self.choices)
        if not choices:
            raise ValueError("Categorical needs at least one choice")
        if len(set(map(repr, choices))) != len(choices):
            raise ValueError(f"Categorical choices must be distinct, got {list(choices)}")
        for c in choices:
            if not isinstance(c, (str, int, float, bool, type(None))):
                raise TypeError(f"Categorical choices must be JSON scalars, got {c!r}")
        object.__setattr__(self, "choices", choices)

    @property
    def n_columns(self) -> int:
        """One column per choice."""
        return len(self.choices)

    def index(self, value: Any) -> int:
        """Position of ``value`` among the choices (type-exact, so True is not 1)."""
        for i, c in enumerate(self.choices):
            if type(c) is type(value) and c == value:
                return i
        raise ValueError(f"{value!r} is not one of {list(self.choices)}")

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        """Values -> one-hot columns."""
        out = np.zeros((len(values), len(self.choices)))
        out[np.arange(len(values)), [self.index(v) for v in values]] = 1.0
        return out

    def decode(self, columns: np.ndarray) -> list[JSONScalar]:
        """One-hot-like columns -> the choice with the largest column."""
        return [self.choices[i] for i in np.argmax(columns, axis=1)]

    def from_unit(self, u: np.ndarray) -> list[JSONScalar]:
        """Uniform draws in [0, 1) -> choices, each equally likely."""
        k = len(self.choices)
        return [self.choices[i] for i in np.minimum((u * k).astype(int), k - 1)]

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is one of the choices."""
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return {"type": "categorical", "choices": list(self.choices)}


Dimension = Real | Integer | Categorical


def as_dimension(spec: Any, name: str | None = None) -> Dimension:
    """A dimension from a Dimension, a (low, high) pair (ints -> Integer), a list of choices or
    a dict such as ``{"low": 1e-5, "high": 1e-2, "log": true}`` / ``{"choices": [...]}``."""
    if isinstance(spec, (Real, Integer, Categorical)):
        return spec if name is None or spec.name == name else _renamed(spec, name)
    if isinstance(spec, Mapping):
        return _from_mapping(spec, name)
    if isinstance(spec, tuple) and len(spec) == 2 and all(_is_number(v) for v in spec):
        lo, hi = spec
        if all(isinstance(v, (int, np.integer)) for v in spec):
            return Integer(int(lo), int(hi), name=name)
        return Real(float(lo), float(hi), name=name)
    if isinstance(spec, (list, tuple)):
        return Categorical(tuple(spec), name=name)
    raise TypeError(
        f"cannot make a search dimension from {spec!r}: give (low, high), a list of choices, "
        "a dict with low/high or choices, or a Real/Integer/Categorical"
    )


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _renamed(dim: Dimension, name: str) -> Dimension:
    return dataclasses.replace(dim, name=name)


_KEYS = {"type", "low", "high", "log", "choices", "name"}


def _from_mapping(spec: Mapping[str, Any], name: str | None) -> Dimension:
    unknown = set(spec) - _KEYS
    if unknown:
        raise ValueError(
            f"dimension {name or ''} has unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}"
        )
    name = spec.get("name", name)
    kind = spec.get("type")
    if "choices" in spec or kind == "categorical":
        if "choices" not in spec:
            raise ValueError(f"categorical dimension {name or ''} needs 'choices'")
        return Categorical(tuple(spec["choices"]), name=name)
    if "low" not in spec or "high" not in spec:
        raise ValueError(f"dimension {name or ''} needs 'low' and 'high' (or 'choices')")
    lo, hi, log = spec["low"], spec["high"], bool(spec.get("log", False))
    if not (_is_number(lo) and _is_number(hi)):
        raise ValueError(f"dimension {name or ''}: low and high must be numbers, got {lo}, {hi}")
    if kind is None:
        kind = "int" if isinstance(lo, int) and isinstance(hi, int) else "real"
    if kind in ("int", "integer"):
        return Integer(lo, hi, log=log, name=name)
    if kind in ("real", "float"):
        return Real(float(lo), float(hi), log=log, name=name)
    raise ValueError(f"dimension {name or ''}: type must be real, int or categorical, not {kind}")


class Space:
    """An ordered list of dimensions with the encoding to and from the unit box."""

    def __init__(self, dimensions: Sequence[Any] | Mapping[str, Any]) -> None:
        if isinstance(dimensions, Space):
            dimensions = dimensions.dimensions
        if isinstance(dimensions, Mapping):
            dims = [as_dimension(spec, str(name)) for name, spec in dimensions.items()]
        else:
            dims = [as_dimension(spec) for spec in dimensions]
        if not dims:
            raise ValueError("a search space needs at least one dimension")
        names = [d.name if d.name is not None else f"x{i}" for i, d in enumerate(dims)]
        if len(set(names)) != len(names):
            raise ValueError(f"dimension names must be distinct, got {names}")
        self.dimensions: list[Dimension] = dims
        self.names: list[str] = names
        starts = np.cumsum([0] + [d.n_columns for d in dims])
        self._slices = [slice(int(a), int(b)) for a, b in itertools.pairwise(starts)]
        self.n_columns = int(starts[-1])

    def __len__(self) -> int:
        return len(self.dimensions)

    def __repr__(self) -> str:
        return f"Space({self.to_json()})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self.to_json() == other.to_json()

    @property
    def is_continuous(self) -> bool:
        """True when every dimension is Real (no snapping after optimisation)."""
        return all(isinstance(d, Real) for d in self.dimensions)

    def check(self, point: Sequence[Any]) -> list[Any]:
        """The point as a list, or ValueError naming the dimension that is out of range."""
        point = list(point)
        if len(point) != len(self.dimensions):
            raise ValueError(f"point has {len(point)} values, the space {len(self.dimensions)}")
        for name, dim, value in zip(self.names, self.dimensions, point):
            if not dim.contains(value):
                raise ValueError(f"{name}={value!r} is outside {dim.to_json()}")
        return point

    def encode(self, points: Sequence[Sequence[Any]]) -> np.ndarray:
        """Points -> (n, n_columns) array in the unit box."""
        points = [list(p) for p in points]
        if not points:
            return np.zeros((0, self.n_columns))
        cols = [dim.encode([p[i] for p in points]) for i, dim in enumerate(self.dimensions)]
        return np.hstack(cols)

    def decode(self, box: np.ndarray) -> list[list[Any]]:
        """(n, n_columns) array -> the nearest valid points."""
        box = np.atleast_2d(np.asarray(box, dtype=float))
        cols = [dim.decode(box[:, s]) for dim, s in zip(self.dimensions, self._slices)]
        return [list(values) for values in zip(*cols)]

    def snap(self, box: np.ndarray) -> np.ndarray:
        """Project box coordinates onto valid points (round integers, one-hot categories)."""
        return self.encode(self.decode(box))

    def from_unit(self, u: np.ndarray) -> list[list[Any]]:
        """(n, n_dims) draws in [0, 1) -> points, one coordinate per dimension."""
        u = np.atleast_2d(u)
        cols = [dim.from_unit(u[:, i]) for i, dim in enumerate(self.dimensions)]
        return [list(values) for values in zip(*cols)]

    def sample(self, n: int, rng: np.random.Generator) -> list[list[Any]]:
        """``n`` points drawn uniformly (log-uniformly for log dimensions)."""
        return self.from_unit(rng.random((n, len(self.dimensions))))

    def as_dict(self, point: Sequence[Any]) -> dict[str, Any]:
        """{name: value} for a point."""
        return dict(zip(self.names, point))

    def to_json(self) -> list[dict[str, Any]]:
        """A JSON-ready description (``Space.from_json`` rebuilds it)."""
        return [{"name": n, **d.to_json()} for n, d in zip(self.names, self.dimensions)]

    @classmethod
    def from_json(cls, data: Sequence[Mapping[str, Any]]) -> Space:
        """Rebuild a space written by ``to_json``."""
        return cls([_from_mapping(d, d.get("name")) for d in data])
