"""Training on little data: what DiffAugment and ADA do for ``dcgan-digits``.

For each training-set size (a fixed subset: the first N images of the digits train split,
``data.limit``), each augmentation (``train.augment``) and each seed, train the preset for the
same number of steps and score the EMA generator's 1,000 samples by FID against the whole
digits test split (359 images), in the digits classifier's features. Writes the runs and a
table (mean and spread over seeds) to benchmarks/results/limited_data.json and .md.

    python benchmarks/limited_data.py [--sizes 100,300] [--seeds 0,1,2] [--steps 3000]
        [--augments "none;diffaugment:color,translation,cutout;ada"] [--jobs 1]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
AUGMENTS = "none;diffaugment:color,translation,cutout;ada"


def overrides(size: int, augment: str, seed: int, steps: int) -> list[str]:
    """The settings of one run: the preset's model and loss, only the data and budget changed."""
    return [
        "data.split=train",
        f"data.limit={size}",
        f"train.augment={augment}",
        f"train.seed={seed}",
        f"train.steps={steps}",
        "train.threads=1",
        "train.sample_every=0",
        f"train.checkpoint_every={steps}",
        "eval.metrics=[fid]",
        "eval.every=0",
        "eval.real=digits:split=test",
        "eval.extractor=digits-classifier",
        "eval.n_samples=1000",
    ]


def run_one(job: tuple[int, str, int, int]) -> dict[str, object]:
    """Train one configuration in a scratch directory; its final FID and ADA's last p."""
    import ganforge.api as gf

    size, augment, seed, steps = job
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as root:
        result = gf.train(
            "dcgan-digits", overrides(size, augment, seed, steps), runs_root=root, progress=False
        )
        records = [json.loads(line) for line in (result.run.path / "metrics.jsonl").open()]
    fid = [r["fid"] for r in records if r.get("kind") == "eval" and "fid" in r][-1]
    p = [r["ada_p"] for r in records if "ada_p" in r]
    return {
        "size": size,
        "augment": augment,
        "seed": seed,
        "steps": steps,
        "fid": fid,
        "ada_p_last": p[-1] if p else None,
        "wall_minutes": (time.perf_counter() - start) / 60,
    }


def table(runs: list[dict[str, object]], sizes: list[int], augments: list[str]) -> str:
    """Markdown: FID mean (and spread over seeds) per size and augmentation."""
    lines = [
        "| training images | " + " | ".join(f"`{a}`" for a in augments) + " |",
        "|---|" + "---|" * len(augments),
    ]
    for size in sizes:
        cells = []
        for augment in augments:
            fids = [float(r["fid"]) for r in runs if r["size"] == size and r["augment"] == augment]  # type: ignore[arg-type]
            if not fids:
                cells.append("-")
            elif len(fids) == 1:
                cells.append(f"{fids[0]:.2f}")
            else:
                cells.append(f"{statistics.mean(fids):.2f} +- {statistics.stdev(fids):.2f}")
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write(
    args: argparse.Namespace, runs: list[dict[str, object]], sizes: list[int], augments: list[str]
) -> str:
    """Write the JSON record and the markdown table of the runs so far; the table."""
    md = table(runs, sizes, augments)
    report = {
        "command": "python benchmarks/limited_data.py "
        f"--sizes {args.sizes} --seeds {args.seeds} --steps {args.steps} "
        f'--augments "{args.augments}"',
        "preset": "dcgan-digits",
        "fid": "1,000 EMA samples against the digits test split, digits-classifier features",
        "runs": runs,
        "table": md,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(md + "\n")
    return md


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300")
    parser.add_argument("--augments", default=AUGMENTS, help="';'-separated train.augment values")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "limited_data.json")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    augments = args.augments.split(";")
    seeds = [int(s) for s in args.seeds.split(",")]
    jobs = [(n, a, s, args.steps) for s in seeds for n in sizes for a in augments]
    runs: list[dict[str, object]] = []
    with mp.get_context("spawn").Pool(args.jobs) as pool:
        for run in pool.imap(run_one, jobs, chunksize=1):
            runs.append(run)  # written after each run: a partial table survives a stop
            md = write(args, runs, sizes, augments)
    print(md)


if __name__ == "__main__":
    main()
