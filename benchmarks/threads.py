"""Seconds for N DCGAN steps on the CPU with 2 torch threads under libgomp's default wait policy
(a waiting thread spins a while, then sleeps), under ganforge's default (OMP_WAIT_POLICY=passive:
it sleeps at once) and with 1 thread, on a machine as it is and
with busy neighbour processes (pure-Python busy loops, one per core) competing for the cores.

Each measurement is a fresh process (OpenMP reads its environment once, at start), training
the default preset (dcgan-digits, 32x32, batch 64) with nothing else in the loop (no samples,
metrics or checkpoints until the end); the time is the engine's clock at the last step (the
steps only, set-up excluded). The variants are interleaved within each repeat so that a change
in the machine's other load falls on all of them; the load average is recorded with each.

    python benchmarks/threads.py [--steps 100] [--repeats 3] [--neighbours 0,2]

Writes ``results/threads.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
UNSET = "THREADS_BENCH_UNSET"  # the child removes ganforge's OMP_WAIT_POLICY before torch loads
VARIANTS = {  # name -> (train.threads, extra environment)
    "2 threads, OMP_WAIT_POLICY unset, libgomp's default (before)": (2, {UNSET: "1"}),
    "2 threads, OMP_WAIT_POLICY unset, ganforge sets passive (now)": (2, {}),
    "1 thread": (1, {}),
}
TRAIN = """
import json, os, sys
import ganforge
if os.environ.get("THREADS_BENCH_UNSET"):  # libgomp's own default, as before ganforge set it
    del os.environ["OMP_WAIT_POLICY"]
from ganforge import api
result = api.train("dcgan-digits", sys.argv[3:], runs_root=sys.argv[1], name=sys.argv[2],
                   progress=False)
last = [json.loads(l) for l in (result.run.metrics_path).read_text().splitlines()][-1]
print(json.dumps({"seconds": last["time"], "step": last["step"]}))
"""


def busy_neighbours(count: int) -> list[subprocess.Popen]:
    """``count`` processes that keep one core busy each."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def one_run(steps: int, threads: int, env: dict[str, str], root: str, name: str) -> float:
    """Seconds for ``steps`` steps in a fresh process."""
    sets = [
        f"train.steps={steps}",
        f"train.threads={threads}",
        f"train.log_every={steps}",
        "train.sample_every=0",
        f"train.checkpoint_every={steps}",
        "eval.metrics=[]",
    ]
    drop = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    out = subprocess.run(
        [sys.executable, "-c", TRAIN, root, name, *sets],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])


def main() -> None:
    """Measure every variant with each neighbour count; write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--neighbours", default="0,2", help="Busy processes, comma-separated.")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as root:
        for count in [int(n) for n in args.neighbours.split(",")]:
            times: dict[str, list[float]] = {name: [] for name in VARIANTS}
            loads = []
            procs = busy_neighbours(count)
            try:
                time.sleep(1.0)
                for repeat in range(args.repeats):
                    for name, (threads, env) in VARIANTS.items():
                        loads.append(os.getloadavg()[0])
                        run = f"n{count}-r{repeat}-{threads}-{len(env)}"
                        seconds = one_run(args.steps, threads, env, root, run)
                        times[name].append(round(seconds, 2))
                        print(f"neighbours {count}, {name}: {seconds:.1f} s", flush=True)
            finally:
                for proc in procs:
                    proc.kill()
                    proc.wait()
            for name, values in times.items():
                rows.append(
                    {
                        "busy_neighbours": count,
                        "variant": name,
                        "steps": args.steps,
                        "seconds": values,
                        "median_seconds": statistics.median(values),
                    }
                )
            rows[-len(times)]["load_average_1min"] = [round(x, 2) for x in loads]
            write(rows, args)  # after each neighbour count: a long run keeps what it measured
    for row in rows:
        print(f"{row['busy_neighbours']} busy  {row['variant']:<66} {row['median_seconds']:.1f} s")


def write(rows: list[dict], args: argparse.Namespace) -> None:
    """``results/threads.json`` with the rows measured so far."""
    import torch

    doc = {
        "benchmark": "benchmarks/threads.py",
        "command": " ".join(["python", "benchmarks/threads.py", *sys.argv[1:]]),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "parallel": torch.__config__.parallel_info().splitlines()[3].strip(),
        "platform": platform.platform(),
        "note": "a machine shared with other jobs: the 0-neighbour rows are not an idle machine",
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "threads.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
