"""The run directory: create it, find checkpoints, rebuild a generator from a run alone.

``runs/<name>/`` holds ``config.yaml``, ``checkpoints/step-XXXXXXX.pt`` (+ ``latest.pt``),
``samples/step-XXXXXXX.png``, ``metrics.jsonl``, ``log.txt``, ``env.json`` and ``report.html``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganforge import config as config_mod
from ganforge.checkpoints import (
    CheckpointWriteError,
    describe_write_failure,
    list_checkpoints,
    load_checkpoint,
    remove_stale_temps,
)
from ganforge.data.base import DataInfo
from ganforge.device import resolve_device
from ganforge.errors import GanforgeError, TrainingError
from ganforge.limits import check_run_name
from ganforge.models.base import Discriminator
from ganforge.registry import LOSSES, MODELS

DEFAULT_ROOT = Path("runs")
log = logging.getLogger(__name__)


class RunLogHandler(logging.FileHandler):
    """Writes ``log.txt``; on a full disk a record is dropped quietly (no logging traceback):
    the run itself then stops with one line at its next checkpoint or metrics write."""

    def handleError(self, record: logging.LogRecord) -> None:
        """Drop the record."""

    def flush(self) -> None:
        """Flush, ignoring a full disk."""
        with contextlib.suppress(OSError):
            super().flush()


class RunDir:
    """Paths and small I/O helpers for one run directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    # paths
    @property
    def config_path(self) -> Path:
        """``config.yaml``: the resolved configuration."""
        return self.path / "config.yaml"

    @property
    def checkpoints(self) -> Path:
        """The checkpoint folder."""
        return self.path / "checkpoints"

    @property
    def samples(self) -> Path:
        """The sample-grid folder."""
        return self.path / "samples"

    @property
    def metrics_path(self) -> Path:
        """``metrics.jsonl``: one JSON record per logging interval or evaluation."""
        return self.path / "metrics.jsonl"

    @property
    def log_path(self) -> Path:
        """``log.txt``: the human-readable log."""
        return self.path / "log.txt"

    @property
    def report_path(self) -> Path:
        """``report.html``."""
        return self.path / "report.html"

    @classmethod
    def create(cls, name: str, root: str | Path = DEFAULT_ROOT) -> RunDir:
        """A new, empty run directory ``root/name`` (suffixed -2, -3, ... if taken)."""
        check_run_name(name)
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        candidate, n = root / name, 1
        while candidate.exists():
            n += 1
            candidate = root / f"{name}-{n}"
        for sub in (candidate, candidate / "checkpoints", candidate / "samples"):
            sub.mkdir(parents=True, exist_ok=True)
        return cls(candidate)

    @classmethod
    def find(cls, name_or_path: str | Path, root: str | Path = DEFAULT_ROOT) -> RunDir:
        """An existing run given its path or its name under ``root``."""
        for candidate in (Path(name_or_path), Path(root) / str(name_or_path)):
            if (candidate / "config.yaml").is_file():
                return cls(candidate)
        raise GanforgeError(
            f"no run at '{name_or_path}' (looked for config.yaml there and under {root}/); "
            "pass the run directory printed by `ganforge train`"
        )

    @classmethod
    def of_checkpoint(cls, checkpoint: str | Path) -> RunDir | None:
        """The run directory holding a checkpoint file, if it sits in one."""
        folder = Path(checkpoint).parent
        if folder.name == "checkpoints" and (folder.parent / "config.yaml").is_file():
            return cls(folder.parent)
        return None

    def latest_sample(self) -> Path | None:
        """The newest ``samples/step-*.png`` grid, if any."""
        grids = sorted(self.samples.glob("step-*.png"))
        return grids[-1] if grids else None

    def outputs(self) -> list[tuple[str, Path]]:
        """(label, path) of what a run left behind, for printing after training."""
        rows = [
            ("samples", self.latest_sample()),
            ("checkpoints", self.checkpoints / "latest.pt"),
            ("metrics", self.metrics_path),
            ("loss plot", self.path / "losses.png"),
            ("metric plot", self.path / "metrics.png"),
            ("report", self.report_path),
            ("log", self.log_path),
            ("config", self.config_path),
        ]
        return [(label, path) for label, path in rows if path is not None and path.exists()]

    def load_newest(self, map_location: str | torch.device = "cpu") -> tuple[Path, dict[str, Any]]:
        """The newest readable checkpoint and its state: ``latest.pt``, else the newest
        ``step-*.pt`` that loads (each unreadable one is logged as a warning).

        Temporary files left by a write that was killed are removed first."""
        for tmp in remove_stale_temps(self.checkpoints):
            log.info("removed %s, left by an interrupted write", tmp)
        latest = self.checkpoints / "latest.pt"
        candidates = [latest] if latest.is_file() else []
        candidates += [p for _, p in reversed(list_checkpoints(self.checkpoints))]
        if not candidates:
            raise GanforgeError(f"run {self} has no checkpoint yet")
        failed: list[str] = []
        for path in candidates:
            try:
                state = load_checkpoint(path, map_location)
            except GanforgeError as exc:
                failed.append(path.name)
                log.warning("%s", exc)
                continue
            if failed:
                log.warning(
                    "%s unreadable; using %s (step %s) instead",
                    " and ".join(failed) + (" is" if len(failed) == 1 else " are"),
                    path,
                    state.get("step"),
                )
            return path, state
        raise GanforgeError(
            f"no checkpoint of run {self} is readable ({', '.join(failed)}); "
            "start a new run, or restore the checkpoints folder from a backup"
        )

    def latest_checkpoint(self) -> Path | None:
        """``latest.pt`` or the newest step checkpoint, if any."""
        latest = self.checkpoints / "latest.pt"
        if latest.is_file():
            return latest
        found = list_checkpoints(self.checkpoints)
        return found[-1][1] if found else None

    def write_failure(self, exc: OSError | CheckpointWriteError) -> TrainingError:
        """One line for a write into the run that failed (a full disk): what, where, the last
        good checkpoint and how to continue."""
        if isinstance(exc, CheckpointWriteError):
            what = str(exc)
        else:
            what = describe_write_failure(Path(exc.filename or self.path), exc)
        found = list_checkpoints(self.checkpoints)
        last = f"the last good checkpoint is {found[-1][1]}" if found else "none was saved yet"
        what += f"; {last}"
        return TrainingError(
            f"{what}. Once it can be written, continue with `ganforge train --resume {self.path}`"
        )

    def append_metrics(self, record: dict[str, Any]) -> None:
        """Append one JSON line to metrics.jsonl (non-finite floats written as null)."""
        clean = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in record.items()
        }
        with open(self.metrics_path, "a") as handle:
            handle.write(json.dumps(clean) + "\n")

    def read_metrics(self) -> list[dict[str, Any]]:
        """All records of metrics.jsonl (a torn last line from a crash is ignored)."""
        if not self.metrics_path.is_file():
            return []
        records = []
        for line in self.metrics_path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return records

    def truncate_metrics(self, step: int, final: bool = False) -> None:
        """Drop records after ``step`` (on resume, so the log has no duplicated steps); with
        ``final`` (a run resumed at its last step) also the evaluation at ``step``, which the
        finished run writes after its last checkpoint and writes again when it is resumed."""
        kept = [
            r
            for r in self.read_metrics()
            if r.get("step", 0) < step
            or (r.get("step", 0) == step and not (final and r.get("kind") == "eval"))
        ]
        self.metrics_path.write_text("".join(json.dumps(r) + "\n" for r in kept))

    def __str__(self) -> str:
        return str(self.path)


def default_run_name(cfg: config_mod.Config) -> str:
    """``<preset>-YYYYmmdd-HHMMSS``."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{cfg.name or cfg.preset or 'run'}-{stamp}"


def info_from_dict(raw: dict[str, Any]) -> DataInfo:
    """Rebuild a DataInfo saved in a checkpoint."""
    raw = dict(raw)
    raw["shape"] = tuple(raw["shape"])
    return DataInfo(**raw)


def info_to_dict(info: DataInfo) -> dict[str, Any]:
    """A DataInfo as plain data for checkpoints."""
    return asdict(info)


@dataclass
class Loaded:
    """A trained model rebuilt from a checkpoint: config, data info and (EMA) generators."""

    config: config_mod.Config
    info: DataInfo
    generators: dict[str, nn.Module]
    step: int
    checkpoint: Path
    ema: bool

    @property
    def g(self) -> nn.Module:
        """The (first) generator."""
        return next(iter(self.generators.values()))

    def sample(
        self,
        n: int,
        seed: int = 0,
        labels: Iterable[int] | None = None,
        z: torch.Tensor | None = None,
        truncation: float | None = None,
        post: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """``n`` samples in [-1, 1] from the generator's one sampler (``Generator.sample``).

        ``truncation`` works with generators that have a truncation trick (StyleGAN's psi,
        BigGAN's threshold).
        """
        g = self.g
        if truncation is not None and not getattr(g, "supports_truncation", False):
            raise GanforgeError(
                f"model {self.config.model.name!r} has no truncation trick; "
                "--truncation works with stylegan and biggan checkpoints"
            )
        return g.sample(n, seed, labels, truncation=truncation, z=z, post=post)  # type: ignore[operator]

    def translator(self, direction: str = "AtoB") -> nn.Module:
        """The generator of a translation run for ``direction`` (AtoB or BtoA)."""
        if self.info.kind not in ("paired", "unpaired"):
            raise GanforgeError(
                f"{self.checkpoint} holds a {self.config.model.name} model, not a translation "
                "model (pix2pix, cyclegan); use `ganforge sample` for it"
            )
        gens = self.generators
        if direction not in ("AtoB", "BtoA"):
            raise GanforgeError(f"--direction must be AtoB or BtoA, got {direction!r}")
        if direction == "AtoB":
            return gens["g"] if "g" in gens else gens["g_ab"]
        if "g_ba" not in gens:
            raise GanforgeError(
                "this model learned one direction (A to B); to translate B to A, train another "
                "with --set data.direction=BtoA"
            )
        return gens["g_ba"]


def load_state(path: str | Path) -> tuple[Path, dict[str, Any]]:
    """The checkpoint file and state of a checkpoint path, or of a run directory's newest
    readable checkpoint (an unreadable latest.pt falls back to older ones)."""
    if Path(path).is_file() or Path(path).suffix == ".pt":  # a missing .pt file says so
        return Path(path), load_checkpoint(path)
    return RunDir.find(path).load_newest()


def load(path: str | Path, device: str | torch.device = "auto", use_ema: bool = True) -> Loaded:
    """Rebuild the generator(s) of a run or checkpoint from the saved config and weights.

    ``device="auto"`` uses CUDA when present; samples are always returned on the CPU.
    """
    device = resolve_device(device) if isinstance(device, str) else device
    ckpt_path, state = load_state(path)
    cfg = config_mod.from_dict(state["config"])
    info = info_from_dict(state["info"])
    d_output = LOSSES.get(cfg.loss.name).d_output
    models = MODELS.get(cfg.model.name)(info, d_output, **cfg.model.params)
    weights = state.get("ema") if use_ema and state.get("ema") else state["recipe"]["models"]
    generators = {}
    for name, module in models.generators().items():
        module.load_state_dict(weights[name])
        generators[name] = module.to(device).eval()
    return Loaded(
        cfg, info, generators, int(state["step"]), ckpt_path, bool(use_ema and state.get("ema"))
    )


@dataclass
class LoadedCritic:
    """A run's discriminator rebuilt from a checkpoint, with the loss it was trained with."""

    d: Discriminator
    loss: str
    info: DataInfo
    step: int
    checkpoint: Path
    conditional: bool  # it takes class labels with each image


def load_discriminator(path: str | Path, device: str | torch.device = "auto") -> LoadedCritic:
    """Rebuild the discriminator of a run or checkpoint (GAN families: one ``d`` module)."""
    device = resolve_device(device) if isinstance(device, str) else device
    ckpt_path, state = load_state(path)
    cfg = config_mod.from_dict(state["config"])
    info = info_from_dict(state["info"])
    models = MODELS.get(cfg.model.name)(
        info, LOSSES.get(cfg.loss.name).d_output, **cfg.model.params
    )
    d = getattr(models, "d", None)
    weights = state["recipe"]["models"]
    if not isinstance(d, Discriminator) or "d" not in weights:  # e.g. a pair-judging PatchGAN
        raise GanforgeError(
            f"{ckpt_path} holds a {cfg.model.name} model without a single GAN discriminator; "
            "discriminator-judged measures work with unconditional or conditional GAN runs"
        )
    d.load_state_dict(weights["d"])
    conditional = bool(getattr(models.g, "n_classes", 0))
    return LoadedCritic(
        d.to(device).eval(), cfg.loss.name, info, int(state["step"]), ckpt_path, conditional
    )
