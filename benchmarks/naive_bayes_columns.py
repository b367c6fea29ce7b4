"""``ganforge naive-bayes`` on wide tables: seconds against the number of columns (it must grow
linearly; looking each column up in the list of names made it quadratic).

Run: ``nice -n 10 .venv/bin/python benchmarks/naive_bayes_columns.py`` (writes
``benchmarks/results/naive_bayes_columns.json``). Each table has ``--rows`` rows of random
numbers in N feature columns plus a two-class label; the command runs in-process (imports not
timed) with 2-fold cross-validation and a ``--predict`` file of the same layout, for the
gaussian and the mixed model. The best of ``--repeats`` runs is kept, in wall-clock and in
process CPU seconds, with the machine's load average when it was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from ganforge import api

RESULTS = Path(__file__).resolve().parent / "results" / "naive_bayes_columns.json"


def write_table(path: Path, rows: int, columns: int, seed: int) -> Path:
    """A CSV with a header, ``columns`` numeric features and a label column ``label``."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((rows, columns)).round(3)
    lines = [",".join([*(f"c{j}" for j in range(columns)), "label"])]
    lines += [",".join([*map(str, values[i]), "ab"[i % 2]]) for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def best_seconds(data: Path, predict: Path, model: str, repeats: int) -> tuple[float, float]:
    """Smallest wall and CPU time of one cross-validated run with predictions (the CPU time
    of this process is what a busy shared machine disturbs least)."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        api.naive_bayes(data, "label", model=model, cv=2, predict=predict)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def main() -> None:
    """Time the command at each width and write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for columns in args.columns:
            data = write_table(Path(tmp) / f"train-{columns}.csv", args.rows, columns, args.seed)
            new = write_table(Path(tmp) / f"new-{columns}.csv", 4, columns, args.seed + 1)
            for model in ("gaussian", "mixed"):
                wall, cpu = best_seconds(data, new, model, args.repeats)
                rows.append(
                    {
                        "columns": columns,
                        "model": model,
                        "seconds": round(wall, 3),
                        "cpu_seconds": round(cpu, 3),
                        "load_average": round(os.getloadavg()[0], 1),
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    report = {
        "benchmark": "ganforge naive-bayes on wide tables (cv 2 + predict, in-process)",
        "data": {"rows": args.rows, "predict_rows": 4, "seed": args.seed},
        "repeats": args.repeats,
        "timing": "best of repeats, wall clock and process CPU time, imports excluded",
        "results": rows,
        "versions": {"python": platform.python_version(), "numpy": np.__version__},
        "machine": platform.machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
