"""Measures listed with the metrics but run by their own commands: those that compare several
runs (GAM, tournaments, NRDS) and the full-reference measures of paired translation runs.

The suite refuses them with the command to use (registry metadata ``command``), which their
one-line summary also names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ganforge.metrics.judges.gam import battle
from ganforge.metrics.judges.nrds import nrds
from ganforge.metrics.judges.tournament import standings
from ganforge.metrics.measures import paired
from ganforge.registry import METRICS

TRANSLATE_EVAL = "ganforge translate-eval RUN"


def _listed(name: str, obj: Callable[..., Any], summary: str, command: str, **meta: Any) -> None:
    meta.setdefault("real", "features")
    METRICS.add(name, obj, summary=f"{summary} [{command}]", command=command, **meta)


_listed(
    "gam",
    battle,
    "GAM (Im et al. 2016): two runs' discriminators judge each other's generators",
    "ganforge battle RUN_A RUN_B",
    needs=("discriminator",),
    better={},
)
_listed(
    "tournament",
    standings,
    "Tournament win rate and skill rating (Olsson et al. 2018): discriminators as judges",
    "ganforge tournament RUN_A RUN_B ...",
    needs=("discriminator",),
    better={},
)
_listed(
    "nrds",
    nrds,
    "NRDS (Zhang et al. 2018): one classifier against several runs' samples",
    "ganforge nrds RUN_A RUN_B ...",
    needs=("features",),
    better={},
)
_listed(
    "psnr",
    paired.psnr,
    "PSNR of paired translations against their targets (dB)",
    TRANSLATE_EVAL,
    needs=("pairs",),
    better={"psnr": "higher"},
)
_listed(
    "ssim",
    paired.ssim,
    "SSIM (Wang et al. 2004) of paired translations against their targets",
    TRANSLATE_EVAL,
    needs=("pairs",),
    better={"ssim": "higher"},
)
_listed(
    "sharpness-paired",
    paired.sharpness_difference,
    "Sharpness difference (Mathieu et al. 2016) of paired translations (dB)",
    TRANSLATE_EVAL,
    needs=("pairs",),
    better={"sharp_diff_paired": "higher"},
)
