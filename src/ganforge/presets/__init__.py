"""Named presets: the YAML recipes in this folder plus one toy preset per loss and dataset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganforge.config import read_yaml
from ganforge.registry import PRESETS, first_line

HERE = Path(__file__).parent


def _yaml_loader(path: Path) -> Callable[[], dict[str, Any]]:
    def load() -> dict[str, Any]:
        return read_yaml(path) or {}

    return load


for _file in sorted(HERE.glob("*.yaml")):
    _summary = next(
        (ln.lstrip("# ").strip() for ln in _file.read_text().splitlines() if ln.startswith("#")), ""
    )
    PRESETS.add(_file.stem, _yaml_loader(_file), summary=_summary)


# Per-loss adjustments of the toy presets (everything else comes from toy-ring / toy-grid).
TOY_TWEAKS: dict[str, dict[str, Any]] = {}


def _toy_loader(loss: str, dataset: str) -> Callable[[], dict[str, Any]]:
    def load() -> dict[str, Any]:
        tweaks = TOY_TWEAKS.get(loss, {})
        return {
            "base": f"toy-{dataset}",
            **tweaks,
            "loss": {"name": loss, **tweaks.get("loss", {})},
        }

    return load


def toy_losses() -> list[str]:
    """Losses the GAN recipe trains (not those tied to another recipe, such as pix2pix)."""
    from ganforge.registry import LOSSES

    return [e.name for e in LOSSES if e.meta.get("recipe") in (None, "gan")]


def _register_toy_presets() -> None:
    for loss in toy_losses():
        for dataset, what in (("ring", "8-Gaussian ring"), ("grid", "25-Gaussian grid")):
            PRESETS.add(
                f"{loss}-{dataset}",
                _toy_loader(loss, dataset),
                summary=f"MLP GAN with the {loss} loss on the {what}.",
            )


_register_toy_presets()

__all__ = ["first_line", "toy_losses"]
