"""Simple regret of ganforge's Bayesian optimiser beside scikit-optimize, Optuna and random search.

For each problem (the 1-D walk-through function, Branin, Hartmann-6; all noise-free) and each
method, runs ``--seeds`` seeds of ``--calls`` evaluations and records the best value found after 20,
50 and 100 evaluations and the seconds per iteration (wall time of the whole run over its
evaluations, and CPU seconds of the process, which a loaded machine distorts less; the
objectives themselves cost microseconds). Each finished run is appended to a
cache file so an interrupted benchmark resumes where it stopped; the summary (median and mean
simple regret, seconds per iteration) goes to ``benchmarks/results/bayesopt.json`` and a markdown
table is printed.

    nice -n 10 python benchmarks/bayesopt.py                 # everything (hours on 2 cores)
    python benchmarks/bayesopt.py --methods ganforge random  # a subset; other methods from cache

The competitors are optional (``pip install -e '.[bench]'``); a method whose package is missing
is skipped with a note. One thread for BLAS keeps the timings comparable.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from ganforge.bayes.optimize.objectives import PROBLEMS, Problem  # noqa: E402

RESULTS = Path(__file__).parent / "results"
CHECKPOINTS = (20, 50, 100)
METHODS = ("ganforge", "skopt-gp_minimize", "optuna-gp", "optuna-tpe", "random")


def run_ganforge(problem: Problem, seed: int, n_calls: int) -> list[float]:
    """ganforge.bayes.minimize with its defaults."""
    from ganforge.bayes import Real, minimize

    space = [Real(lo, hi) for lo, hi in problem.bounds]
    return list(minimize(problem.func, space, n_calls=n_calls, seed=seed).func_vals)


def run_skopt(problem: Problem, seed: int, n_calls: int) -> list[float]:
    """scikit-optimize's gp_minimize with its defaults (GP-Hedge, 10 initial points)."""
    import skopt

    result = skopt.gp_minimize(
        problem.func, list(problem.bounds), n_calls=n_calls, random_state=seed
    )
    return [float(v) for v in result.func_vals]


def _run_optuna(sampler: object, problem: Problem, n_calls: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=sampler)

    def objective(trial: optuna.Trial) -> float:
        x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(problem.bounds)]
        return problem.func(x)

    study.optimize(objective, n_trials=n_calls)
    return [float(t.value) for t in study.trials]


def run_optuna_gp(problem: Problem, seed: int, n_calls: int) -> list[float]:
    """Optuna's GPSampler with its defaults."""
    import optuna

    return _run_optuna(optuna.samplers.GPSampler(seed=seed), problem, n_calls)


def run_optuna_tpe(problem: Problem, seed: int, n_calls: int) -> list[float]:
    """Optuna's TPESampler with its defaults."""
    import optuna

    return _run_optuna(optuna.samplers.TPESampler(seed=seed), problem, n_calls)


def run_random(problem: Problem, seed: int, n_calls: int) -> list[float]:
    """Uniform random search."""
    rng = np.random.default_rng(seed)
    lo, hi = np.array(problem.bounds).T
    return [problem.func(lo + rng.random(len(lo)) * (hi - lo)) for _ in range(n_calls)]


RUNNERS: dict[str, Callable[[Problem, int, int], list[float]]] = {
    "ganforge": run_ganforge,
    "skopt-gp_minimize": run_skopt,
    "optuna-gp": run_optuna_gp,
    "optuna-tpe": run_optuna_tpe,
    "random": run_random,
}


def _available(method: str) -> str | None:
    """None when the method can run, else why not."""
    module = {"skopt-gp_minimize": "skopt", "optuna-gp": "optuna", "optuna-tpe": "optuna"}.get(
        method
    )
    if module is None:
        return None
    try:
        __import__(module)
    except ImportError as exc:
        return f"{module} not installed ({exc}); pip install -e '.[bench]'"
    return None


def load_cache(path: Path) -> dict[tuple[str, str, int], dict]:
    """Finished runs keyed by (method, problem, seed)."""
    runs: dict[tuple[str, str, int], dict] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                runs[(rec["method"], rec["problem"], rec["seed"])] = rec
    return runs


def run_one(method: str, problem: Problem, seed: int, n_calls: int) -> dict:
    """One optimisation run: best-so-far regret at each checkpoint and seconds per iteration."""
    start, cpu = time.perf_counter(), time.process_time()
    values = RUNNERS[method](problem, seed, n_calls)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    best = np.minimum.accumulate(np.asarray(values[:n_calls], dtype=float))
    return {
        "method": method,
        "problem": problem.name,
        "seed": seed,
        "n_calls": len(values),
        "regret": {str(c): problem.regret(best[c - 1]) for c in CHECKPOINTS if c <= len(best)},
        "seconds_per_iter": seconds / max(len(values), 1),
        "cpu_seconds_per_iter": cpu / max(len(values), 1),
    }


def summarise(runs: Sequence[dict]) -> dict:
    """Median/mean regret per checkpoint and median seconds per iteration over seeds."""
    out: dict = {"seeds": sorted(r["seed"] for r in runs)}
    for c in CHECKPOINTS:
        vals = [r["regret"][str(c)] for r in runs if str(c) in r["regret"]]
        if vals:
            out[f"median_regret@{c}"] = float(np.median(vals))
            out[f"mean_regret@{c}"] = float(np.mean(vals))
            out[f"per_seed_regret@{c}"] = vals
    out["seconds_per_iter"] = float(np.median([r["seconds_per_iter"] for r in runs]))
    cpu = [r["cpu_seconds_per_iter"] for r in runs if "cpu_seconds_per_iter" in r]
    if len(cpu) == len(runs):
        out["cpu_seconds_per_iter"] = float(np.median(cpu))
    return out


def markdown(summary: dict) -> str:
    """The README table: median (mean) regret at each checkpoint and seconds per iteration."""
    head = "| problem | method | seeds | "
    head += " | ".join(f"regret @{c} median (mean)" for c in CHECKPOINTS)
    lines = [head + " | s/iter wall (CPU) |", "|" + "---|" * (4 + len(CHECKPOINTS))]
    for prob, methods in summary["problems"].items():
        for method, s in methods.items():
            cells = [
                f"{s[f'median_regret@{c}']:.3g} ({s[f'mean_regret@{c}']:.3g})"
                if f"median_regret@{c}" in s
                else "-"
                for c in CHECKPOINTS
            ]
            cpu = f" ({s['cpu_seconds_per_iter']:.3f})" if "cpu_seconds_per_iter" in s else ""
            lines.append(
                f"| {prob} | {method} | {len(s['seeds'])} | "
                + " | ".join(cells)
                + f" | {s['seconds_per_iter']:.3f}{cpu} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Run what the cache lacks, then write the summary JSON and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=max(CHECKPOINTS))
    parser.add_argument("--cache", type=Path, default=RESULTS / "bayesopt-runs.jsonl")
    parser.add_argument("--out", type=Path, default=RESULTS / "bayesopt.json")
    parser.add_argument("--run-only", action="store_true", help="Fill the cache, write no summary.")
    parser.add_argument(
        "--summary-only", action="store_true", help="Run nothing; summarise the cache."
    )
    args = parser.parse_args(argv)

    cache = load_cache(args.cache)
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    skipped = {}
    for method in [] if args.summary_only else args.methods:
        why = _available(method)
        if why:
            skipped[method] = why
            print(f"skip {method}: {why}", flush=True)
            continue
        for name in args.problems:
            for seed in range(args.seeds):
                if (method, name, seed) in cache:
                    continue
                rec = run_one(method, PROBLEMS[name], seed, args.calls)
                cache[(method, name, seed)] = rec
                with args.cache.open("a") as fh:
                    fh.write(json.dumps(rec) + "\n")
                print(
                    f"{method:18s} {name:10s} seed {seed}: regret@{args.calls} "
                    f"{rec['regret'].get(str(args.calls), float('nan')):.3g}, "
                    f"{rec['seconds_per_iter']:.3f} s/iter",
                    flush=True,
                )
    if args.run_only:
        return
    summary: dict = {
        "benchmark": "simple regret (best found minus known minimum), noise-free objectives",
        "checkpoints": list(CHECKPOINTS),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "skipped": skipped,
        "problems": {},
    }
    for name in PROBLEMS:
        for method in METHODS:
            runs = [r for (m, p, _), r in cache.items() if m == method and p == name]
            if runs:
                summary["problems"].setdefault(name, {})[method] = summarise(runs)
    summary["versions"] = _versions()
    args.out.write_text(json.dumps(summary, indent=1) + "\n")
    print(markdown(summary))


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("numpy", "scipy", "scikit-optimize", "scikit-learn", "optuna", "torch"):
        with contextlib.suppress(PackageNotFoundError):
            out[pkg] = version(pkg)
    return out


if __name__ == "__main__":
    main()
