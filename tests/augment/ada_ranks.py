"""Run under torchrun (2 processes, gloo): each rank feeds ADA different D outputs and prints
its p after each adjustment (tests/augment/test_augment_training.py reads the lines)."""

from __future__ import annotations

import json

import torch
import torch.distributed as dist

from ganforge.augment.adaptive import AdaptiveP
from ganforge.train import distributed


def main() -> None:
    """Two adjustments (interval 2) from rank-specific scripted scores."""
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    scores = torch.ones(4) if rank == 0 else -torch.ones(12)
    images = 100 if rank == 0 else 300
    ada_p = AdaptiveP(0.6, 2, torch.device("cpu"), distributed.all_sum, p=0.5)
    history = []
    for step in range(4):
        ada_p.observe(scores, images)
        ada_p.end_step()
        if step % 2 == 1:
            history.append(ada_p.p.item())
    print(json.dumps({"rank": rank, "p": history}), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
