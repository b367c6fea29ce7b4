"""Mode coverage of every loss on 2-D Gaussian mixtures.

Two sections. The PacGAN protocol: every loss's preset ``<loss>-<dataset>`` on the VEEGAN/PacGAN
ring and grid. Each paper's own toy problem: the presets that reproduce a paper's released toy
setting (``pacgan4-ring``, ``wgan-gp-8gaussians``, ``dragan-25gaussians``, ...), beside what the
paper shows.

For each preset and seed: train from the CLI's code path, draw 2,500 samples from the (EMA)
generator, and count modes captured (a mode is captured when it is the nearest mean of at least
one high-quality sample; a sample is high quality within 3 std of its nearest mean), the
high-quality fraction and the KL of the high-quality samples' mode histogram to uniform (each run
also records the share of bridge samples, over 6 std from every mean, and the width of the modes
in data std). Reports mean and spread over seeds and CPU minutes per run.

    python benchmarks/toy_modes.py [--losses a,b] [--datasets ring,grid] [--seeds 0,1,2]
                                   [--update]  # redo only these runs, keep the others
    python benchmarks/toy_modes.py --paper [--set train.steps=N] --update
    python benchmarks/toy_modes.py --presets NAME,NAME [--set KEY=VALUE] --update
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


# The presets reproducing a paper's own toy setting: (paper and setting, what the paper shows).
WGAN_GP_FIGURE = (
    "Fig. 1a: critic value surfaces with the generator held fixed at data + N(0, 1) noise; the "
    "gradient-penalty critic peaks on every mode (clipping does not). The script's generator "
    "runs show samples only (no numbers)"
)
DRAGAN_FIGURE = (
    "toy figures run in WGAN-GP's toy code: sample scatters over training in which DRAGAN "
    "covers the modes where vanilla GAN collapses (no numbers)"
)
PACGAN_TABLE = "Table 1, PacGAN4 over 10 runs: {} modes, {}% high quality"
PAPER = {
    "pacgan4-ring": ("PacGAN4, released 2D-ring code", PACGAN_TABLE.format("7.8 of 8", 95.9)),
    "pacgan4-grid": ("PacGAN4, released 2D-grid code", PACGAN_TABLE.format("24.8 of 25", 93.6)),
    "wgan-gp-8gaussians": ("WGAN-GP, gan_toy.py 8 Gaussians", WGAN_GP_FIGURE),
    "wgan-gp-25gaussians": ("WGAN-GP, gan_toy.py 25 Gaussians", WGAN_GP_FIGURE),
    "dragan-8gaussians": ("DRAGAN in gan_toy.py's 8 Gaussians", DRAGAN_FIGURE),
    "dragan-25gaussians": ("DRAGAN in gan_toy.py's 25 Gaussians", DRAGAN_FIGURE),
}

Job = tuple[str, int, list[str]]  # (preset, seed, extra overrides)


def one_run(job: Job) -> dict:
    """Train one preset with one seed in this (fresh, single-threaded) process and score it."""
    import numpy as np
    import torch

    from ganforge import config
    from ganforge.metrics.measures.modes import toy_mode_coverage
    from ganforge.runs import load
    from ganforge.train import train

    preset, seed, extra = job
    torch.set_num_threads(1)
    cpu, wall = time.process_time(), time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config.resolve(preset, [f"train.seed={seed}", "train.progress=false", *extra])
        result = train(cfg, runs_root=tmp)
        model = load(result.run.path)
        points = model.sample(SAMPLES, seed=10_000 + seed).numpy()
    info = model.info
    cov = toy_mode_coverage(points, np.asarray(info.extra["means"]), info.extra["std"])
    return {
        "preset": preset,
        "loss": cfg.loss.name,
        "dataset": cfg.data.name,
        "seed": seed,
        "overrides": extra,
        "steps": result.step,
        "modes": cov.modes,
        "total_modes": cov.total,
        "high_quality": cov.high_quality,
        "kl": cov.kl_uniform,
        "bridges": cov.bridges,
        "width": cov.width,
        "cpu_minutes": (time.process_time() - cpu) / 60,
        "wall_minutes": (time.perf_counter() - wall) / 60,
    }


def preset_of(run: dict) -> str:
    """The preset a run trained (runs recorded before presets were stored: <loss>-<dataset>)."""
    return run.get("preset") or f"{run['loss']}-{run['dataset']}"


def kept_runs(path: Path, jobs: list[Job]) -> list[dict]:
    """The runs of an earlier results file that this invocation does not redo."""
    if not path.is_file():
        return []
    redo = {(preset, seed) for preset, seed, _ in jobs}
    runs = json.loads(path.read_text())["runs"]
    return [r for r in runs if (preset_of(r), r["seed"]) not in redo]


def cost(job: Job) -> int:
    """Rough relative cost of a job: generator steps times updates per step, times batch."""
    from ganforge import config
    from ganforge.registry import LOSSES

    preset, _, extra = job
    cfg = config.resolve(preset, extra)
    n_critic = cfg.optim.n_critic or LOSSES.get(cfg.loss.name).optim.n_critic
    return cfg.train.steps * (1 + n_critic) * cfg.train.batch_size


def summarise(runs: list[dict]) -> list[dict]:
    """Mean and spread over seeds for each preset."""
    rows = []
    keys = sorted({(r["dataset"], preset_of(r)) for r in runs})
    for dataset, preset in keys:
        group = [r for r in runs if preset_of(r) == preset]

        def stats(key: str, group: list[dict] = group) -> tuple[float, float]:
            values = [r[key] for r in group if r[key] == r[key]]  # drop nan
            if not values:
                return float("nan"), float("nan")
            return statistics.mean(values), statistics.pstdev(values)

        rows.append(
            {
                "preset": preset,
                "loss": group[0]["loss"],
                "dataset": dataset,
                "seeds": len(group),
                "steps": sorted({r["steps"] for r in group}),
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


def scores(r: dict) -> str:
    """Modes, high-quality % and KL cells: mean ± std over seeds, with the worst seed."""
    m, hq, kl = r["modes"], r["high_quality"], r["kl"]
    return (
        f"{m[0]:.1f} ± {m[1]:.1f} (min {r['min_modes']}) of {r['total_modes']} | "
        f"{100 * hq[0]:.1f} ± {100 * hq[1]:.1f} (min {100 * r['min_high_quality']:.1f}) | "
        f"{kl_text(kl, r['kl_seeds'], r['seeds'])}"
    )


def markdown(rows: list[dict]) -> str:
    """The README tables: the PacGAN protocol beside its published rows; each paper's own set."""
    protocol = [r for r in rows if r["preset"] == f"{r['loss']}-{r['dataset']}"]
    lines = [
        "| dataset | method | modes (of total) | high quality % | KL to uniform | CPU min/run |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for dataset in ("ring", "grid"):
        for (method, ds), (modes, hq) in PUBLISHED.items():
            if ds == dataset:
                lines.append(f"| {dataset} | {method} (published) | {modes} | {hq} | | |")
        for r in (r for r in protocol if r["dataset"] == dataset):
            lines.append(
                f"| {dataset} | `{r['preset']}` | {scores(r)} | {r['cpu_minutes'][0]:.1f} |"
            )
    paper = [r for r in rows if r["preset"] in PAPER]
    if paper:
        lines += [
            "",
            "| preset | paper's setting | what the paper shows | steps | modes (of total) "
            "| high quality % | KL to uniform | CPU min/run |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in sorted(paper, key=lambda r: list(PAPER).index(r["preset"])):
            setting, shows = PAPER[r["preset"]]
            steps = ", ".join(f"{s:,}" for s in r["steps"])
            lines.append(
                f"| `{r['preset']}` | {setting} | {shows} | {steps} | {scores(r)} | "
                f"{r['cpu_minutes'][0]:.1f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run every (loss, dataset, seed) and write benchmarks/results/toy_modes.{json,md}."""
    from ganforge.presets import toy_losses

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--losses", default=",".join(toy_losses()))
    parser.add_argument("--datasets", default="ring,grid")
    parser.add_argument("--presets", help="train these presets instead of <loss>-<dataset>")
    parser.add_argument("--paper", action="store_true", help="the papers' own toy presets")
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
    if args.paper:
        args.presets = ",".join(PAPER)
    presets = (
        args.presets.split(",")
        if args.presets
        else [f"{loss}-{ds}" for ds in args.datasets.split(",") for loss in args.losses.split(",")]
    )
    jobs = [(preset, int(seed), args.set) for preset in presets for seed in args.seeds.split(",")]
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
        "runs": sorted(runs, key=lambda r: (r["dataset"], preset_of(r), r["seed"])),
    }
    (RESULTS / f"{args.out}.json").write_text(json.dumps(payload, indent=1) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(rows))
    print(markdown(rows))


if __name__ == "__main__":
    main()
