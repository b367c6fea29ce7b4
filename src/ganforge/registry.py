"""The one small Registry used by datasets, models, losses, penalties, recipes, metrics, ..."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ganforge.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A registered object with its name, one-line summary and free-form metadata."""

    name: str
    obj: T
    summary: str
    meta: dict[str, Any] = field(default_factory=dict)


def first_line(obj: object) -> str:
    """The first line of an object's docstring, or an empty string."""
    doc = getattr(obj, "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


class Registry(Generic[T]):
    """Name -> object mapping filled by a decorator; lookups fail with the list of valid names.

    ``package`` is imported on first lookup so that its modules can register themselves
    (plugin-style discovery: lower layers can look names up without importing upper ones).
    """

    def __init__(self, kind: str, package: str | None = None) -> None:
        self.kind = kind
        self.package = package
        self._entries: dict[str, Entry[T]] = {}
        self._loaded = package is None

    def register(self, name: str, *, summary: str | None = None, **meta: Any) -> Callable[[T], T]:
        """Decorator that registers ``obj`` under ``name`` (a duplicate name is a bug)."""

        def decorate(obj: T) -> T:
            self.add(name, obj, summary=summary, **meta)
            return obj

        return decorate

    def add(self, name: str, obj: T, *, summary: str | None = None, **meta: Any) -> None:
        """Register ``obj`` under ``name``."""
        if name in self._entries and self._entries[name].obj is not obj:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = Entry(name, obj, summary or first_line(obj), dict(meta))

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            importlib.import_module(self.package)  # type: ignore[arg-type]

    def entry(self, name: str) -> Entry[T]:
        """The entry for ``name``; unknown names raise ConfigError listing the valid ones."""
        self._load()
        try:
            return self._entries[name]
        except KeyError:
            valid = ", ".join(sorted(self._entries)) or "(none)"
            close = difflib.get_close_matches(str(name), self._entries, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"unknown {self.kind} {name!r}.{hint} Valid: {valid}") from None

    def get(self, name: str) -> T:
        """The object registered under ``name``."""
        return self.entry(name).obj

    def names(self) -> list[str]:
        """Registered names, sorted."""
        self._load()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries

    def __iter__(self) -> Iterator[Entry[T]]:
        self._load()
        return iter(sorted(self._entries.values(), key=lambda e: e.name))


# The project's registries. Each one imports its package on first use.
DATASETS: Registry[Any] = Registry("dataset", "ganforge.data")
MODELS: Registry[Any] = Registry("model", "ganforge.models")
LOSSES: Registry[Any] = Registry("loss", "ganforge.losses")
PENALTIES: Registry[Any] = Registry("penalty", "ganforge.losses")
RECIPES: Registry[Any] = Registry("recipe", "ganforge.train.recipes")
METRICS: Registry[Any] = Registry("metric", "ganforge.metrics")
EXTRACTORS: Registry[Any] = Registry("feature extractor", "ganforge.metrics.features")
PRESETS: Registry[Any] = Registry("preset", "ganforge.presets")
