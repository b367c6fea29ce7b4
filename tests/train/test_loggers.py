"""train.loggers (TensorBoard, MLflow, W&B) read back from what they wrote; the one line for a
missing extra; a tracker that fails is dropped; api.train's callbacks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ganforge import api
from ganforge.config import resolve
from ganforge.train import loggers as loggers_mod

from ..conftest import run_cli

TINY = [
    "data.size=8",
    "model.g_width=4",
    "model.d_width=4",
    "model.z_dim=6",
    "train.batch_size=8",
    "train.steps=6",
    "train.log_every=3",
    "train.sample_every=3",
    "train.threads=1",
    "eval.every=3",
    "eval.n_samples=100",
    "eval.metrics=[fid]",
    "eval.extractor=pixels",  # no classifier to train first
]


def _train(root: Path, *loggers: str) -> Path:
    sets = [*TINY, f"train.loggers=[{','.join(loggers)}]"]
    return api.train(None, sets, runs_root=root, name="r", progress=False).run.path


@pytest.mark.slow  # ~28 s here: torch's TensorBoard writer imports TensorFlow when installed
def test_tensorboard_event_files_hold_scalars_sample_grids_and_the_config(tmp_path: Path) -> None:
    __import__("tensorboard")  # in the test extra: a missing package fails, never skips
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = _train(tmp_path, "tensorboard")
    events = EventAccumulator(str(run / "tensorboard"), size_guidance={"images": 0})
    events.Reload()
    assert [e.step for e in events.Scalars("train/g_loss")] == [3, 6]
    assert [e.step for e in events.Scalars("eval/fid")] == [3, 6]
    assert [e.step for e in events.Images("samples")] == [3, 6]
    assert events.Images("samples")[0].width > 0
    assert "config/text_summary" in events.Tags()["tensors"]


@pytest.mark.slow  # ~23 s here: MLflow creates its SQLite tables (migrations) first
def test_mlflow_store_holds_metrics_params_config_and_sample_grids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    __import__("mlflow")  # in the test extra: a missing package fails, never skips
    from mlflow.tracking import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    run = _train(tmp_path, "mlflow")
    client = MlflowClient(f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}")  # the default store
    experiment = client.get_experiment_by_name("ganforge")
    (found,) = client.search_runs([experiment.experiment_id])
    assert found.info.run_name == run.name and found.info.status == "FINISHED"
    assert [m.step for m in client.get_metric_history(found.info.run_id, "train/g_loss")] == [3, 6]
    assert "eval/fid" in found.data.metrics
    assert found.data.params["train.steps"] == "6" and found.data.params["data.size"] == "8"
    files = {f.path for f in client.list_artifacts(found.info.run_id)}
    assert files == {"config.yaml", "samples"}
    grids = {f.path for f in client.list_artifacts(found.info.run_id, "samples")}
    assert grids == {"samples/step-0000003.png", "samples/step-0000006.png"}


def test_mlflow_file_store_through_its_tracking_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    __import__("mlflow")  # in the test extra: a missing package fails, never skips
    from mlflow.tracking import MlflowClient

    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps it behind this
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "tiny")
    _train(tmp_path / "runs", "mlflow")
    client = MlflowClient(uri)
    (found,) = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    assert [m.step for m in client.get_metric_history(found.info.run_id, "eval/fid")] == [3, 6]


def test_wandb_offline_run_is_written_under_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    __import__("wandb")  # in the test extra: a missing package fails, never skips
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("WANDB_SILENT", "true")
    run = _train(tmp_path, "wandb")
    (offline,) = (run / "wandb").glob("offline-run-*")
    (log,) = offline.glob("run-*.wandb")
    data = log.read_bytes()  # W&B's record log: the keys are stored as they were logged
    assert b"train/g_loss" in data and b"eval/fid" in data and b"data" in data
    assert len(list((offline / "files" / "media" / "images").glob("samples_*.png"))) == 2


@pytest.mark.parametrize("name", ["tensorboard", "mlflow", "wandb"])
def test_a_missing_extra_is_one_line_before_training(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setitem(sys.modules, name, None)  # import now raises ImportError
    sets = [a for o in [*TINY, f"train.loggers=[{name}]"] for a in ("--set", o)]
    code, _, err = run_cli(capsys, "train", "--runs-dir", str(tmp_path), *sets)
    assert code == 2
    assert err.strip() == (
        f"error: train.loggers: {name} is not installed; pip install 'ganforge[{name}]' "
        f"(or drop {name} from train.loggers)"
    )
    assert not list(tmp_path.iterdir())  # refused before a run directory was made


def test_train_tensorboard_true_still_means_the_tensorboard_logger() -> None:
    cfg = resolve(None, ["train.tensorboard=true", "train.loggers=[mlflow]"])
    assert loggers_mod.wanted(cfg) == ["tensorboard", "mlflow"]


def test_a_failing_tracker_is_dropped_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    calls = []

    class Broken:
        def __init__(self, run: Path, cfg: object) -> None:
            pass

        def scalars(self, step: int, values: dict) -> None:
            calls.append(step)
            raise ConnectionError("server went away")

    monkeypatch.setitem(loggers_mod.KINDS, "mlflow", Broken)
    trackers = loggers_mod.Loggers(tmp_path, resolve(None, ["train.loggers=[mlflow]"]))
    trackers.scalars(1, {"g_loss": 1.0}, "train")
    trackers.scalars(2, {"g_loss": 1.0}, "train")
    assert calls == [1] and not trackers.active
    assert "mlflow failed (server went away)" in caplog.text


def test_api_train_calls_callbacks_each_step_and_they_can_stop_the_run(tmp_path: Path) -> None:
    seen = []

    def callback(engine, step, logs) -> None:  # type: ignore[no-untyped-def]
        seen.append((step, sorted(logs)))
        if step == 4:
            engine.request_stop("enough")

    sets = [*TINY, "eval.metrics=[]"]
    result = api.train(None, sets, runs_root=tmp_path, progress=False, callbacks=[callback])
    assert [s for s, _ in seen] == [1, 2, 3, 4]
    assert "g_loss" in seen[0][1]
    assert result.status == "interrupted" and result.step == 4 and result.stop_reason == "enough"
