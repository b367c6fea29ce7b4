"""Mode coverage of every loss on the 2-D ring and grid (VEEGAN / PacGAN protocol).

For each preset ``<loss>-<dataset>`` and seed: train from the CLI's code path, draw 2,500
samples from the EMA generator, and count modes captured (a mode is captured when it is the
nearest mean of at least one high-quality sample; a sample is high quality within 3 std of its
nearest mean), the high-quality fraction and the KL of the high-quality samples' mode histogram
to uniform. Reports mean and spread over seeds and CPU minutes per run, beside the published rows.

    python benchmarks/toy_modes.py [--losses a,b] [--datasets ring,grid] [--seeds 0,1,2]
                                   [--update]  # redo only these runs, keep the others
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
SAMPLES = 2500
# Lin et al. 2018 (PacGAN), Table 1: modes captured and high-quality samples (%)
PUBLISHED = {
    ("GAN (PacGAN study)", "ring"): (6.3, 98.2),
    ("GAN (PacGAN study)", "grid"): (17.3, 94.8),
    ("PacGAN4", "ring"): (7.8, 95.9),
    ("PacGAN4", "grid"): (24.8, 93.6),
}


def one_run(job: tuple[str, str, int, list[str]]) -> dict:
    """Train one preset with one seed in this (fresh, single-threaded) process and score it."""
    import numpy as np
    import torch

    from ganforge import config
    from ganforge.metrics.modes import toy_mode_coverage
    from ganforge.runs import load
    from ganforge.train import train

    loss, dataset, seed, extra = job
    torch.set_num_threads(1)
    cpu, wall = time.process_time(), time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config.resolve(
            f"{loss}-{dataset}", [f"train.seed={seed}", "train.progress=false", *extra]
        )
        result = train(cfg, runs_root=tmp)
        model = load(result.run.path)
        points = model.sample(SAMPLES, seed=10_000 + seed).numpy()
    info = model.info
    cov = toy_mode_coverage(points, np.asarray(info.extra["means"]), info.extra["std"])
    return {
        "loss": loss,
        "dataset": dataset,
        "seed": seed,
        "overrides": extra,
        "steps": result.step,
        "modes": cov.modes,
        "total_modes": cov.total,
        "high_quality": cov.high_quality,
        "kl": cov.kl_uniform,
        "cpu_minutes": (time.process_time() - cpu) / 60,
        "wall_minutes": (time.perf_counter() - wall) / 60,
    }


def kept_runs(path: Path, jobs: list[tuple[str, str, int, list[str]]]) -> list[dict]:
    """The runs of an earlier results file that this invocation does not redo."""
    if not path.is_file():
        return []
    redo = {(loss, ds, seed) for loss, ds, seed, _ in jobs}
    runs = json.loads(path.read_text())["runs"]
    return [r for r in runs if (r["loss"], r["dataset"], r["seed"]) not in redo]


def cost(job: tuple[str, str, int, list[str]]) -> int:
    """Rough relative cost of a job: generator steps times updates per step."""
    from ganforge import config
    from ganforge.registry import LOSSES

    loss, dataset, _, extra = job
    cfg = config.resolve(f"{loss}-{dataset}", extra)
    n_critic = cfg.optim.n_critic or LOSSES.get(loss).optim.n_critic
    return cfg.train.steps * (1 + n_critic)


def summarise(runs: list[dict]) -> list[dict]:
    """Mean and spread over seeds for each (loss, dataset)."""
    rows = []
    keys = sorted({(r["loss"], r["dataset"]) for r in runs}, key=lambda k: (k[1], k[0]))
    for loss, dataset in keys:
        group = [r for r in runs if (r["loss"], r["dataset"]) == (loss, dataset)]

        def stats(key: str, group: list[dict] = group) -> tuple[float, float]:
            values = [r[key] for r in group if r[key] == r[key]]  # drop nan
            if not values:
                return float("nan"), float("nan")
            return statistics.mean(values), statistics.pstdev(values)

        rows.append(
            {
                "loss": loss,
                "dataset": dataset,
                "seeds": len(group),
                "modes": stats("modes"),
                "min_modes": min(r["modes"] for r in group),
                "total_modes": group[0]["total_modes"],
                "high_quality": stats("high_quality"),
                "min_high_quality": min(r["high_quality"] for r in group),
                "kl": stats("kl"),
                "kl_seeds": sum(r["kl"] == r["kl"] for r in group),  # seeds with HQ samples
                "cpu_minutes": stats("cpu_minutes"),
            }
        )
    return rows


def kl_text(kl: tuple[float, float], defined: int, seeds: int) -> str:
    """KL mean ± std, saying over how many seeds when some had no high-quality sample."""
    if defined == 0:
        return "n/a (no high-quality sample)"
    text = f"{kl[0]:.3f} ± {kl[1]:.3f}"
    return text if defined == seeds else f"{text} ({defined} of {seeds} seeds)"


def markdown(rows: list[dict]) -> str:
    """The README table: ours (mean ± std over seeds) beside the published rows."""
    lines = [
        "| dataset | method | modes (of total) | high quality % | KL to uniform | CPU min/run |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for dataset in ("ring", "grid"):
        for (method, ds), (modes, hq) in PUBLISHED.items():
            if ds == dataset:
                lines.append(f"| {dataset} | {method} (published) | {modes} | {hq} | | |")
        for r in (r for r in rows if r["dataset"] == dataset):
            m, hq, kl, cpu = r["modes"], r["high_quality"], r["kl"], r["cpu_minutes"]
            lines.append(
                f"| {dataset} | `{r['loss']}-{dataset}` | {m[0]:.1f} ± {m[1]:.1f} "
                f"(min {r['min_modes']}) of {r['total_modes']} | {100 * hq[0]:.1f} ± "
                f"{100 * hq[1]:.1f} (min {100 * r['min_high_quality']:.1f}) | "
                f"{kl_text(kl, r['kl_seeds'], r['seeds'])} | {cpu[0]:.1f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run every (loss, dataset, seed) and write benchmarks/results/toy_modes.{json,md}."""
    from ganforge.presets import toy_losses

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--losses", default=",".join(toy_losses()))
    parser.add_argument("--datasets", default="ring,grid")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], help="extra override for every run")
    parser.add_argument("--out", default="toy_modes")
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the other runs already in the results file; replace only these",
    )
    parser.add_argument(
        "--render", action="store_true", help="only rewrite the table from the results file"
    )
    args = parser.parse_args()
    if args.render:
        payload = json.loads((RESULTS / f"{args.out}.json").read_text())
        payload["summary"] = summarise(payload["runs"])
        (RESULTS / f"{args.out}.json").write_text(json.dumps(payload, indent=1) + "\n")
        (RESULTS / f"{args.out}.md").write_text(markdown(payload["summary"]))
        print(markdown(payload["summary"]))
        return
    jobs = [
        (loss, ds, int(seed), args.set)
        for ds in args.datasets.split(",")
        for loss in args.losses.split(",")
        for seed in args.seeds.split(",")
    ]
    jobs.sort(key=cost, reverse=True)  # longest first, so the workers finish together
    ctx = mp.get_context("spawn")
    with ctx.Pool(args.workers, maxtasksperchild=1) as pool:
        runs = kept_runs(RESULTS / f"{args.out}.json", jobs) if args.update else []
        for run in pool.imap_unordered(one_run, jobs):
            runs.append(run)
            print(json.dumps(run), flush=True)
    rows = summarise(runs)
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "protocol": {
            "samples": SAMPLES,
            "high_quality_within_std": 3,
            "seeds": args.seeds,
            "overrides": args.set,
        },
        "published": {f"{m} / {d}": v for (m, d), v in PUBLISHED.items()},
        "summary": rows,
        "runs": sorted(runs, key=lambda r: (r["dataset"], r["loss"], r["seed"])),
    }
    (RESULTS / f"{args.out}.json").write_text(json.dumps(payload, indent=1) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(rows))
    print(markdown(rows))


if __name__ == "__main__":
    main()
