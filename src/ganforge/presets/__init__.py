"""Named presets: the YAML recipes in this folder plus one toy preset per loss and dataset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ganforge.registry import PRESETS, first_line

HERE = Path(__file__).parent


def _yaml_loader(path: Path) -> Callable[[], dict[str, Any]]:
    def load() -> dict[str, Any]:
        return yaml.safe_load(path.read_text()) or {}

    return load


for _file in sorted(HERE.glob("*.yaml")):
    _summary = next(
        (ln.lstrip("# ").strip() for ln in _file.read_text().splitlines() if ln.startswith("#")), ""
    )
    PRESETS.add(_file.stem, _yaml_loader(_file), summary=_summary)

__all__ = ["first_line"]
