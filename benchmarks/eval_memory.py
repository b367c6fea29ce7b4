"""Peak memory of one sharded training evaluation (each rank: its share of the samples, their
features; rank 0: the gathered features), for scaling to a 50,000-sample FID.

Run under torchrun (gloo on the CPU), for example with the Inception layout and random weights:

    OMP_NUM_THREADS=1 torchrun --standalone --nproc_per_node 2 benchmarks/eval_memory.py \
        --samples 200 --size 128 --weights inception-fp32.pt

It builds the DCGAN generator of ``dcgan-digits`` at ``--size`` and the extractor, then runs
``Engine.shared_features`` (generation, extraction and the gather on rank 0) and prints each
rank's resident memory before the evaluation and its peak after it (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import resource

import torch

from ganforge import config
from ganforge.data.base import DataInfo
from ganforge.metrics.runner.evaluator import TrainingEvaluator
from ganforge.metrics.runner.plan import make_plan
from ganforge.train import distributed
from ganforge.train.recipes.gan import GANRecipe


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    """Measure and print one line per rank."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200, help="eval.n_samples (all ranks)")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--weights", default=None, help="Inception weights file")
    args = parser.parse_args()
    extractor = "inception-v3-fid" + (f":weights={args.weights}" if args.weights else "")
    sets = [
        f"data.size={args.size}",
        "eval.metrics=[fid]",
        f"eval.n_samples={args.samples}",
        f"eval.extractor={extractor}",
        "train.batch_size=8",
    ]
    cfg = config.resolve("dcgan-digits", sets)
    world, device = distributed.setup(torch.device("cpu"))
    info = DataInfo("digits", "image", (3, args.size, args.size), args.samples)
    recipe = GANRecipe(cfg, info, device)
    evaluator = TrainingEvaluator(cfg)  # the fake side only: no dataset, no real features
    evaluator.info = info
    evaluator.plan = make_plan(info, ["fid"], extractor)

    class Shell:  # what Engine.shared_features reads
        pass

    shell = Shell()
    shell.cfg, shell.recipe, shell.world, shell.evaluator = cfg, recipe, world, evaluator
    shell.sample_generators = recipe.generators  # type: ignore[attr-defined]
    from ganforge.train.engine import Engine

    before = _rss_mb()
    outputs = Engine.shared_features(shell, args.samples)  # type: ignore[arg-type]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = {k: tuple(v.shape) for k, v in outputs.items()}
    print(
        f"rank {world.rank}/{world.size} n={args.samples} size={args.size}: rss before "
        f"{before:.0f} MB, peak {peak:.0f} MB; outputs {rows}",
        flush=True,
    )
    distributed.barrier()
    distributed.teardown()


if __name__ == "__main__":
    main()
