"""Experiment trackers a run also reports to (``train.loggers``): TensorBoard, MLflow, W&B.

Each receives the resolved config once, the training means every ``train.log_every`` steps
(``train/<key>``), the evaluation scores (``eval/<key>``) and each sample grid the run writes.
They work offline by default: TensorBoard event files in ``RUN/tensorboard``; MLflow in a local
SQLite store beside the runs (``RUNS/mlflow.db``, artifacts in ``RUNS/mlartifacts``) unless
``MLFLOW_TRACKING_URI`` names another; W&B in offline mode under ``RUN/wandb`` unless
``WANDB_MODE`` says otherwise. Each is an extra (``pip install 'ganforge[mlflow]'``). A tracker
that fails during the run is reported once and dropped; training goes on.
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from PIL import Image

from ganforge.config import Config, dotted, to_dict
from ganforge.errors import ConfigError

log = logging.getLogger("ganforge.train")

# logger name -> (module to import, extra that installs it)
PACKAGES = {
    "tensorboard": ("tensorboard", "tensorboard"),
    "mlflow": ("mlflow", "mlflow"),
    "wandb": ("wandb", "wandb"),
}


def wanted(cfg: Config) -> list[str]:
    """The loggers a config asks for (``train.tensorboard=true`` counts as tensorboard)."""
    names = list(dict.fromkeys(cfg.train.loggers))
    if cfg.train.tensorboard and "tensorboard" not in names:
        names.insert(0, "tensorboard")
    return names


def missing(name: str) -> ConfigError:
    """The one-line error for a logger whose package is not installed."""
    return ConfigError(
        f"train.loggers: {name} is not installed; pip install 'ganforge[{PACKAGES[name][1]}]' "
        f"(or drop {name} from train.loggers)"
    )


def check_installed(cfg: Config) -> None:
    """One line naming the missing extra of an asked-for logger, before any data is loaded."""
    for name in wanted(cfg):
        try:
            importlib.import_module(PACKAGES[name][0])
        except ImportError:
            raise missing(name) from None


class TensorBoard:
    """Event files in ``RUN/tensorboard`` (``tensorboard --logdir runs``)."""

    def __init__(self, run: Path, cfg: Config) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(run / "tensorboard"))
        text = yaml.safe_dump(to_dict(cfg), sort_keys=False)
        self.writer.add_text("config", "\n".join("    " + ln for ln in text.splitlines()), 0)

    def scalars(self, step: int, values: dict[str, float]) -> None:
        """Scalars at ``step``."""
        for key, value in values.items():
            self.writer.add_scalar(key, value, step)

    def image(self, step: int, tag: str, path: Path) -> None:
        """A PNG at ``step``."""
        array = np.asarray(Image.open(path).convert("RGB"))
        self.writer.add_image(tag, array, step, dataformats="HWC")

    def close(self) -> None:
        """Flush and close the event file."""
        self.writer.close()


class MLflow:
    """An MLflow run (``mlflow ui --backend-store-uri sqlite:///runs/mlflow.db``)."""

    def __init__(self, run: Path, cfg: Config) -> None:
        from mlflow.tracking import MlflowClient

        root = run.parent.resolve()
        uri = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{root / 'mlflow.db'}"
        self.client = MlflowClient(uri)
        name = os.environ.get("MLFLOW_EXPERIMENT_NAME", "ganforge")
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            experiment = found.experiment_id
        elif uri.startswith("sqlite:"):  # artifacts beside the database, not in the cwd
            experiment = self.client.create_experiment(
                name, artifact_location=(root / "mlartifacts").as_uri()
            )
        else:
            experiment = self.client.create_experiment(name)
        self.run_id = self.client.create_run(experiment, run_name=run.name).info.run_id
        raw = to_dict(cfg)
        params = {k: str(v)[:500] for k, v in dotted(raw).items()}  # MLflow's value limit
        self.client.log_batch(self.run_id, params=[_param(k, v) for k, v in params.items()])
        self.client.log_text(self.run_id, yaml.safe_dump(raw, sort_keys=False), "config.yaml")

    def scalars(self, step: int, values: dict[str, float]) -> None:
        """Metrics at ``step``."""
        for key, value in values.items():
            self.client.log_metric(self.run_id, key, float(value), step=step)

    def image(self, step: int, tag: str, path: Path) -> None:
        """The PNG as an artifact under ``samples/``."""
        self.client.log_artifact(self.run_id, str(path), "samples")

    def close(self) -> None:
        """Mark the MLflow run finished."""
        self.client.set_terminated(self.run_id)


def _param(key: str, value: str) -> Any:
    from mlflow.entities import Param

    return Param(key, value)


class WandB:
    """A Weights & Biases run, offline under ``RUN/wandb`` unless WANDB_MODE says otherwise
    (``wandb sync RUN/wandb/offline-run-*`` uploads it later)."""

    def __init__(self, run: Path, cfg: Config) -> None:
        import wandb

        self.wandb = wandb
        self.run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", "ganforge"),
            name=run.name,
            dir=str(run),
            mode=os.environ.get("WANDB_MODE", "offline"),  # type: ignore[arg-type]
            config=to_dict(cfg),
            reinit="create_new",
        )

    def scalars(self, step: int, values: dict[str, float]) -> None:
        """Values at ``step``."""
        self.run.log({k: float(v) for k, v in values.items()}, step=step)

    def image(self, step: int, tag: str, path: Path) -> None:
        """The PNG as a W&B image."""
        self.run.log({tag: self.wandb.Image(str(path))}, step=step)

    def close(self) -> None:
        """Finish the W&B run (offline: its files are complete)."""
        self.run.finish()


KINDS = {"tensorboard": TensorBoard, "mlflow": MLflow, "wandb": WandB}


class Loggers:
    """The run's trackers as one: each call goes to all; one that fails is dropped."""

    def __init__(self, run: Path, cfg: Config) -> None:
        self.active: dict[str, Any] = {}
        for name in wanted(cfg):
            try:
                self.active[name] = KINDS[name](run, cfg)
            except ImportError:
                raise missing(name) from None

    def _each(self, method: str, *args: Any) -> None:
        for name, logger in list(self.active.items()):
            try:
                getattr(logger, method)(*args)
            except Exception as exc:  # a tracker never stops training
                log.warning("train.loggers: %s failed (%s); no longer logging to it", name, exc)
                self.active.pop(name)

    def scalars(self, step: int, values: dict[str, float], prefix: str) -> None:
        """``prefix/key`` scalars at ``step``."""
        if values:
            self._each("scalars", step, {f"{prefix}/{k}": v for k, v in values.items()})

    def image(self, step: int, tag: str, path: Path) -> None:
        """A sample grid (PNG) at ``step``."""
        self._each("image", step, tag, path)

    def close(self) -> None:
        """Finish every tracker."""
        self._each("close")
        self.active.clear()
