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


SUMMARY_MAX = 110  # characters of a one-line description in `ganforge presets`


def _header(text: str) -> str:
    """The leading comment block of a preset file, as one line."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(part for part in lines if part)


def _stop_at(text: str, marks: str) -> int:
    """The index of the first of ``marks`` followed by a space (or the end) outside
    parentheses (-1 if none): "(Lin et al. 2018)" does not end a sentence."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char in marks and text[i + 1 : i + 2] in ("", " "):
            return i
    return -1


def summary_of(text: str) -> str:
    """A preset's one-line description: the first sentence of its header comment, or, when that
    runs past SUMMARY_MAX characters, its opening clause (up to a colon or semicolon) as one."""
    header = _header(text)
    end = _stop_at(header, ".")
    sentence = header if end < 0 else header[:end]
    clause = _stop_at(sentence, ":;")
    if len(sentence) > SUMMARY_MAX and clause > 0:
        sentence = sentence[:clause]
    return sentence + "." if sentence else ""


for _file in sorted(HERE.glob("*.yaml")):
    PRESETS.add(_file.stem, _yaml_loader(_file), summary=summary_of(_file.read_text()))


# Per-loss adjustments of the toy presets (everything else comes from toy-ring / toy-grid).
# The one-step Adam losses train better with a faster discriminator and a less noisy first
# moment than the DCGAN defaults (benchmarks/toy_modes.py); the Wasserstein losses, DRAGAN and
# BEGAN keep their papers' optimisers (DRAGAN's penalty is zero-centred here). non-saturating
# is the tuned flagship: a wider critic, a light R1 penalty and twice the steps.
_ADAM_TOY = {"optim": {"betas": [0.8, 0.999], "lr_g": 1e-4, "lr_d": 3e-4}}
TOY_TWEAKS: dict[str, dict[str, Any]] = {
    "minimax": _ADAM_TOY,
    "least-squares": _ADAM_TOY,
    "hinge": _ADAM_TOY,
    # DRAGAN's paper centres its penalty at 1 (k = 1): the critic keeps a unit slope at the
    # data, so the generator is never at rest on a mode of std 0.01 and the ring blurs or
    # collapses; zero-centred (k = 0) it keeps its modes (docs/losses.md, toy presets).
    "dragan": {"loss": {"dragan_center": 0.0}},
    "non-saturating": {
        **_ADAM_TOY,
        "model": {"d_width": 400},
        "loss": {"penalty": "r1", "r1_gamma": 0.1},
        "train": {"steps": 20000},
    },
}


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
