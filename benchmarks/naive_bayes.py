"""Gaussian Naive Bayes fit + predict time: ganforge against scikit-learn on 1,000,000 x 50.

Run: ``nice -n 10 .venv/bin/python benchmarks/naive_bayes.py`` (writes
``benchmarks/results/naive_bayes.json``). Both libraries get the same data and the same number of
BLAS threads (1 by default, ``--threads`` to change); each phase is timed ``--repeats`` times
and the best time is kept (the least disturbed by other work on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import sys


def _threads_from_argv(default: int = 1) -> int:
    """Read --threads before NumPy is imported (BLAS reads the variables at load time)."""
    if "--threads" in sys.argv:
        return int(sys.argv[sys.argv.index("--threads") + 1])
    return default


THREADS = _threads_from_argv()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(THREADS)

import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.naive_bayes import GaussianNB as SklearnGaussianNB  # noqa: E402

from ganforge.bayes.naive_bayes import GaussianNB  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "naive_bayes.json"


def make_data(n: int, d: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian classes with random means (spread 0.5) and per-feature scales."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    means = rng.normal(0.0, 0.5, (classes, d))
    scales = rng.uniform(0.5, 2.0, d)
    X = rng.standard_normal((n, d))
    X += means[y]
    X *= scales
    return X, y


def best_time(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Smallest wall time over ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure(make: Callable[[], object], X: np.ndarray, y: np.ndarray, repeats: int) -> dict:
    fit_s, model = best_time(lambda: make().fit(X, y), repeats)
    predict_s, predicted = best_time(lambda: model.predict(X), repeats)
    proba = model.predict_proba(X[:100_000])
    return {
        "fit_s": fit_s,
        "predict_s": predict_s,
        "total_s": fit_s + predict_s,
        "accuracy": float(np.mean(predicted == y)),
        "_predicted": predicted,
        "_proba": proba,
    }


def main() -> None:
    """Time both implementations, check they agree, and write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    X, y = make_data(args.rows, args.features, args.classes, args.seed)
    ours = measure(GaussianNB, X, y, args.repeats)
    theirs = measure(SklearnGaussianNB, X, y, args.repeats)
    agreement = {
        "predictions_equal_fraction": float(np.mean(ours["_predicted"] == theirs["_predicted"])),
        "max_abs_probability_difference": float(np.abs(ours["_proba"] - theirs["_proba"]).max()),
    }
    for result in (ours, theirs):
        del result["_predicted"], result["_proba"]
    report = {
        "benchmark": "Gaussian Naive Bayes fit + predict",
        "data": {
            "rows": args.rows,
            "features": args.features,
            "classes": args.classes,
            "seed": args.seed,
        },
        "repeats": args.repeats,
        "timing": "best of repeats, wall clock, per phase",
        "blas_threads": THREADS,
        "ganforge": ours,
        "sklearn": theirs,
        "speedup_total": theirs["total_s"] / ours["total_s"],
        "speedup_fit": theirs["fit_s"] / ours["fit_s"],
        "speedup_predict": theirs["predict_s"] / ours["predict_s"],
        "agreement": agreement,
        "target_met": ours["total_s"] <= theirs["total_s"],
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "date": time.strftime("%Y-%m-%d"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
