"""One sampler: the same seed gives the same images in training-time evaluation, in
``ganforge evaluate`` and in ``ganforge sample``; latents, labels and chunks as documented."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge import config
from ganforge.cli import main
from ganforge.data.base import DataInfo
from ganforge.errors import GanforgeError
from ganforge.metrics.runner.evaluate import sample_model
from ganforge.registry import MODELS
from ganforge.report import save_samples
from ganforge.runs import load
from ganforge.train import train

N, SEED = 520, 3  # more than one chunk of 500; 520 * z_dim 10 is not a multiple of 16
RUN = [
    "data.size=16",
    "model.conditional=true",  # 10 classes: 500 is a multiple of 10, 520 is not of 500
    "model.z_dim=10",
    "model.g_width=8",
    "model.d_width=8",
    "train.steps=3",
    "train.batch_size=16",
    "train.sample_every=0",
    "train.checkpoint_every=0",
    "train.progress=false",
    "train.ema=0.9",
    f"eval.seed={SEED}",
    f"eval.n_samples={N}",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.Tensor]:
    """A tiny conditional run and the samples its training-time evaluation drew at the end."""
    seen: list[torch.Tensor] = []

    def capture(step, sample_fn, generators) -> dict[str, float]:
        seen.append(sample_fn(N))
        return {}

    root = tmp_path_factory.mktemp("runs")
    result = train(config.resolve(None, RUN), runs_root=root, evaluator=lambda cfg, data: capture)
    return result.run.path, seen[-1]


def test_training_evaluate_and_sample_draw_the_same_images(
    trained: tuple[Path, torch.Tensor], tmp_path: Path
) -> None:
    run, during_training = trained
    assert during_training.shape == (N, 1, 16, 16)
    # ganforge evaluate's sampler (uint8, as the metrics see them)
    evaluated = sample_model(load(run), N, SEED)
    assert torch.equal(evaluated, ((during_training + 1) * 127.5).round().clamp(0, 255).byte())
    # ganforge sample's grid
    main(["sample", str(run), "--n", str(N), "--seed", str(SEED), "--out", str(tmp_path / "s.png")])
    expected = save_samples(during_training, load(run).info, tmp_path / "expected.png", nrow=None)
    with Image.open(tmp_path / "s.png") as got, Image.open(expected) as want:
        assert np.array_equal(np.asarray(got), np.asarray(want))


def test_samples_do_not_depend_on_the_chunk_size_and_are_class_balanced() -> None:
    torch.manual_seed(0)
    g = MODELS.get("dcgan")(
        DataInfo("t", "image", (1, 16, 16), 100, n_classes=3), z_dim=10, g_width=4, conditional=True
    ).g.eval()
    whole = g.sample(7, seed=5, batch_size=7)
    assert torch.equal(g.sample(7, seed=5, batch_size=2), whole)
    assert g.labels(7).tolist() == [0, 1, 2, 0, 1, 2, 0]
    z = g.latent(7, torch.Generator().manual_seed(5))
    assert torch.equal(g.generate(z, g.labels(7)), whole)
    assert torch.equal(g.sample(2, labels=[2, 2], z=z[:2]), g.generate(z[:2], torch.tensor([2, 2])))
    with pytest.raises(GanforgeError, match=r"labels must be 2 class indices in 0..2"):
        g.sample(2, labels=[0, 3])
    with pytest.raises(GanforgeError, match="no truncation trick"):
        g.sample(2, truncation=0.5)


def test_an_unconditional_generator_refuses_labels() -> None:
    g = MODELS.get("mlp")(DataInfo("ring", "points", (2,), 10), g_width=8).g
    with pytest.raises(GanforgeError, match="not class-conditional"):
        g.sample(2, labels=[0, 1])
    assert g.sample(3, seed=1).shape == (3, 2)


def test_the_report_is_written_once_after_the_evaluators_closing_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ganforge.train import orchestration

    calls: list[bool] = []
    real_write = orchestration.write_report

    def write_report(run: Path) -> Path:
        calls.append((run / "floors.json").is_file())
        return real_write(run)

    class Scorer:
        def __call__(self, step, sample_fn, generators) -> dict[str, float]:
            return {"score": 1.0}

        def finish(self, run: Path) -> None:
            (run / "floors.json").write_text('{"score": 0.5}')

    monkeypatch.setattr(orchestration, "write_report", write_report)
    sets = [s for s in RUN if not s.startswith("eval.n_samples")]
    train(config.resolve(None, sets), runs_root=tmp_path, evaluator=lambda cfg, data: Scorer())
    assert calls == [True]  # once, and after the floor it draws was written
