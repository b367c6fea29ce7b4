"""Run by the multi-process tests under torchrun: train a preset and save what every rank ends
with (the models' weights and buffers, the loss's state), one file per rank.

    torchrun --nproc_per_node N tests/train/ddp_worker.py OUT PRESET [KEY=VALUE ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from ganforge import config
from ganforge.train import Engine, train
from ganforge.train.step_logs import Logs


def main() -> None:
    """Train ``PRESET`` with the overrides; each rank writes ``OUT/rank<r>.pt`` at the end."""
    out, preset, sets = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]

    def dump(engine: Engine, step: int, logs: Logs) -> None:
        if step != engine.total_steps:
            return
        recipe = engine.recipe
        state = {
            "models": {k: m.state_dict() for k, m in recipe.models.items()},
            "loss": recipe.loss.state_dict(),  # type: ignore[attr-defined]
            "ema": engine.ema.state_dict() if engine.ema else None,
        }
        torch.save(state, out / f"rank{engine.world.rank}.pt")

    train(config.resolve(preset, sets), runs_root=out / "runs", callbacks=[dump])


if __name__ == "__main__":
    main()
