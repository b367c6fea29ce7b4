"""The allowed range of every numeric configuration value.

Three layers, checked before any data is loaded or any network is built:

- every number is finite and of a sane magnitude (``MAX_MAGNITUDE``), whatever its key: a typo
  such as ``1e300`` or ``inf`` is one error, not an overflow deep inside PyTorch;
- parameters of the selectable sections (a loss's penalties included) and of the ``schedule``
  section have ranges by name (``PARAMETER_BOUNDS``): the parameter vocabulary means the same in
  every family, so ``model.z_dim`` has one range whichever model uses it; metric parameters
  (``--metrics pr:k=3``) have ranges per metric (``metric pr.k``), since their names mean
  different things in different metrics; a new numeric parameter needs a range here (a test
  says so);
- a model family registers ``limits=`` (a function of the image size and its parameters, raising
  ConfigError) so that a size it cannot build is refused before the dataset is resized to it.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganforge.errors import ConfigError

MAX_MAGNITUDE = 1e10  # no config number is meaningful beyond this (float32 stays far away)
SEED_MAX = 2**32 - 1  # the largest seed every random generator we seed accepts
MAX_SIDE = 4096  # image sides a dataset may be resized to


class OutOfRange(ConfigError):
    """A value of the right type outside its allowed range."""


def _number(x: float) -> str:
    return str(x) if isinstance(x, int) else f"{x:g}"


@dataclass(frozen=True)
class Bound:
    """An allowed interval for a key; ``open_*`` excludes that end; lists are checked per item."""

    key: str
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False

    def allows(self, value: float) -> bool:
        """Whether ``value`` lies in the interval."""
        above = self.low is None or (value > self.low if self.open_low else value >= self.low)
        below = self.high is None or (value < self.high if self.open_high else value <= self.high)
        return above and below

    def describe(self) -> str:
        """E.g. '> 0 and < 1'."""
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.open_low else '>='} {_number(self.low)}")
        if self.high is not None:
            parts.append(f"{'<' if self.open_high else '<='} {_number(self.high)}")
        return " and ".join(parts)

    def check(self, value: Any) -> None:
        """Raise ConfigError naming the key when ``value`` (or an item of it) is outside."""
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        numbers = [v for v in items if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if all(self.allows(v) for v in numbers):
            return
        shown = list(value) if isinstance(value, tuple) else value
        each = "each value" if isinstance(value, (list, tuple)) else "it"
        raise OutOfRange(f"{self.key}={shown} is out of range: {each} must be {self.describe()}")


def check_number(value: Any, key: str) -> None:
    """Every config number: finite and at most MAX_MAGNITUDE in size."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise OutOfRange(f"{key}={value} is not valid: it must be a finite number")
    if abs(value) > MAX_MAGNITUDE:
        raise OutOfRange(
            f"{key}={_number(value)} is out of range: no setting takes numbers beyond "
            f"{MAX_MAGNITUDE:g} in size"
        )


PARAMETER_BOUNDS: dict[str, Bound] = {
    b.key: b
    for b in [
        # data
        Bound("data.size", 1, MAX_SIDE),
        Bound("data.channels", 1, 3),
        Bound("data.channels_a", 1, 3),
        Bound("data.channels_b", 1, 3),
        Bound("data.limit", 1),
        Bound("data.n", 1, 10**7),
        Bound("data.n_train", 1),
        Bound("data.seed", 0, SEED_MAX),
        Bound("data.modes", 1, 10_000),
        Bound("data.side", 1, 100),
        Bound("data.radius", 0, open_low=True),
        Bound("data.spacing", 0, open_low=True),
        Bound("data.std", 0, open_low=True),
        Bound("data.divide_by", 0, open_low=True),
        Bound("data.scale", 0, 2, open_low=True),
        Bound("data.max_pixels", 1),
        # model (one vocabulary: a name has one range in every family, models/vocabulary.py)
        Bound("model.z_dim", 1, 16384),
        Bound("model.w_dim", 1, 16384),
        Bound("model.code", 1, 16384),
        Bound("model.g_width", 1, 4096),
        Bound("model.d_width", 1, 4096),
        Bound("model.width_max", 1, 16384),
        Bound("model.widths", 1, 16384),
        Bound("model.g_depth", 0, 64),
        Bound("model.d_depth", 0, 64),
        Bound("model.patch_layers", 0, 64),
        Bound("model.pack", 1, 64),
        Bound("model.d_maxout", 1, 64),
        Bound("model.dropout", 0, 1, open_high=True),
        Bound("model.dropout_layers", 0, 16),
        Bound("model.mbstd_group", 1, 1024),
        Bound("model.mapping_layers", 1, 64),
        Bound("model.mapping_lr_mul", 0, 1, open_low=True),
        Bound("model.style_mixing", 0, 1),
        Bound("model.truncation_cutoff", 0, 64),
        Bound("model.w_avg_beta", 0, 1, open_high=True),
        Bound("model.class_dim", 1, 16384),
        Bound("model.categories", 2, 10_000),
        Bound("model.continuous", 0, 1024),
        Bound("model.shared_dim", 0, 16384),
        Bound("model.g_attention", 0, MAX_SIDE),
        Bound("model.d_attention", 0, MAX_SIDE),
        Bound("model.sn_eps", 0, 1, open_low=True),
        Bound("model.bn_eps", 0, 1, open_low=True),
        # loss: the adversarial losses' own parameters
        Bound("loss.gamma", 0, 1, open_low=True),
        Bound("loss.lambda_k", 0),
        Bound("loss.k0", 0, 1),
        Bound("loss.cycle_weight", 0),
        Bound("loss.identity_ratio", 0),
        Bound("loss.l1_weight", 0),
        Bound("loss.clip", 0, open_low=True),
        # loss: the penalties' parameters, as the loss section spells them (loss.penalty)
        Bound("loss.r1_gamma", 0),
        Bound("loss.r2_gamma", 0),
        Bound("loss.r1_every", 1, 1_000_000),
        Bound("loss.r2_every", 1, 1_000_000),
        Bound("loss.gp_weight", 0),
        Bound("loss.gp_center", 0),
        Bound("loss.orthogonal_beta", 0),
        Bound("loss.dragan_weight", 0),
        Bound("loss.dragan_perturb", 0, open_low=True),
        Bound("loss.dragan_center", 0),
        Bound("loss.drift_weight", 0),
        # schedule (the recipe's make_schedule: progressive growing, CycleGAN's image pool)
        Bound("schedule.phase_images", 1),
        Bound("schedule.final_images", 1),
        Bound("schedule.resolution_epochs", 0, open_low=True),
        Bound("schedule.fade_share", 0, 1, open_low=True, open_high=True),
        Bound("schedule.batch_sizes", 1),
        Bound("schedule.pool_size", 0, 100_000),
        Bound("schedule.class_weight", 0),
        Bound("schedule.info_weight", 0),
        Bound("schedule.continuous_weight", 0),
        Bound("schedule.labelled", 1, 10**7),
        # metrics (per metric: `k` is a neighbour count in one, a figure size in another)
        Bound("metric boundary.classes", 0),
        Bound("metric c2st.folds", 2, 1000),
        Bound("metric critic.steps", 1),
        Bound("metric critic.hidden", 1, 65536),
        Bound("metric dc.k", 1),
        Bound("metric duplicates.batch", 2),
        Bound("metric duplicates.repeats", 1),
        Bound("metric duplicates.pairs", 1, 1000),
        Bound("metric fid.points", 2),
        Bound("metric fid.min_fraction", 0, 1, open_low=True, open_high=True),
        Bound("metric geometry.landmarks", 1),
        Bound("metric geometry.gamma", 0, open_low=True),
        Bound("metric geometry.i_max", 1),
        Bound("metric geometry.repeats", 1),
        Bound("metric is.splits", 1),
        Bound("metric kid.subsets", 1),
        Bound("metric kid.subset_size", 2),
        Bound("metric kid.degree", 1, 16),
        Bound("metric kid.coef0"),  # the kernel's offset: any finite number
        Bound("metric m-is.min_count", 1),
        Bound("metric mmd.sigma", 0, open_low=True),
        Bound("metric modes.threshold", 0, open_low=True),
        Bound("metric ndb.bins", 2),
        Bound("metric ndb.alpha", 0, 1, open_low=True, open_high=True),
        Bound("metric ms-ssim.pairs", 1),
        Bound("metric ms-ssim.class_pairs", 1),
        Bound("metric ms-ssim.window", 1, 255),
        Bound("metric ms-ssim.scales", 1, 5),
        Bound("metric nn.k", 1),
        Bound("metric nn.rows", 1, 1000),
        Bound("metric parzen.sigmas", 0, open_low=True),
        Bound("metric pr.k", 1),
        Bound("metric prd.clusters", 1),
        Bound("metric prd.angles", 1),
        Bound("metric prd.runs", 1),
        Bound("metric recon.n", 1),
        Bound("metric recon.steps", 1),
        Bound("metric recon.lr", 0, open_low=True),
        Bound("metric retrieval.worst", 0, 1000),
        Bound("metric retrieval.k", 1),
        Bound("metric wavelets.levels", 1, 16),
        Bound("metric tstr.epochs", 1, 1000),
    ]
}


def check_parameters(section: str, params: Mapping[str, Any]) -> None:
    """Each named parameter of a selectable section inside its range."""
    for name, value in params.items():
        bound = PARAMETER_BOUNDS.get(f"{section}.{name}")
        if bound is not None and value is not None:
            bound.check(value)


def check_run_name(name: str) -> str:
    """A run name is a folder (or sub-folder) under the runs root, never a path outside it,
    and prints as itself: no control characters (newlines, terminal escape codes)."""
    parts = Path(name).parts
    if not name.strip() or Path(name).is_absolute() or ".." in parts or not parts:
        raise ConfigError(
            f"run name {name!r} must name a folder under the runs directory "
            "(not empty, not absolute, no '..'); use --runs-dir to write elsewhere"
        )
    bad = sorted({c for c in name if unicodedata.category(c) in ("Cc", "Zl", "Zp")})
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad)
        raise ConfigError(
            f"run name {name!r} holds control characters ({shown}: a newline, a tab or a "
            "terminal escape code); use letters, digits, '-', '_' or '.'"
        )
    return name


def image_size(size: Any) -> tuple[int, int] | None:
    """A dataset's ``size`` parameter as (h, w), or None when it keeps the native size."""
    if size is None:
        return None
    if isinstance(size, int):
        return (size, size)
    h, w = size
    return (int(h), int(w))
