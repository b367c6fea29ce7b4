"""Checkpoints that `ganforge select` chooses among are never pruned by train.keep_last."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganforge import api, config
from ganforge.checkpoints import list_checkpoints, save_checkpoint
from ganforge.train import train

from .test_engine import TINY_DCGAN


def test_multiples_of_keep_every_survive_pruning(tmp_path: Path) -> None:
    for step in range(1, 9):
        save_checkpoint({"recipe": {}, "step": step}, tmp_path, step, keep_last=2, keep_every=3)
    assert [s for s, _ in list_checkpoints(tmp_path)] == [3, 6, 7, 8]


@pytest.mark.parametrize(
    ("overrides", "steps"),
    [
        (["eval.every=6"], [6, 12]),  # default: one checkpoint per evaluation
        (["eval.every=6", "train.keep_every=0"], [12]),
        (["train.keep_every=5"], [5, 10, 12]),  # also written between checkpoint_every steps
    ],
)
def test_the_engine_keeps_one_checkpoint_per_evaluation_unless_told_otherwise(
    tmp_path: Path, overrides: list[str], steps: list[int]
) -> None:
    cfg = config.resolve(None, [*TINY_DCGAN, "train.keep_last=1", *overrides])
    run = train(cfg, runs_root=tmp_path).run
    assert [s for s, _ in list_checkpoints(run.checkpoints)] == steps


def test_select_scores_every_kept_checkpoint(tmp_path: Path) -> None:
    overrides = [*TINY_DCGAN, "train.keep_last=1", "eval.every=6", "eval.metrics=[]"]
    run = train(config.resolve(None, overrides), runs_root=tmp_path).run
    chosen = api.select(run.path, metric="fid", n=32, extractor="pixels", real_limit=64)
    assert [step for step, _ in chosen.scores] == [6, 12]
    assert chosen.best_step in (6, 12) and chosen.best_path.is_file()
