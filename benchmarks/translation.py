"""Held-out figures of the bundled translation presets (the README's translation table).

Trains each preset exactly as `ganforge train PRESET` does (same config, seed 0), then records
the wall time and the end-of-training held-out scores next to the identity baseline, as the
run's metrics.jsonl holds them.

    python benchmarks/translation.py [--threads 2] [--presets pix2pix-edges cyclegan-strokes]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from pathlib import Path

import torch

from ganforge import api

RESULTS = Path(__file__).parent / "results"
PRESETS = ["pix2pix-edges", "cyclegan-strokes"]


def run_preset(preset: str, threads: int, root: Path) -> dict[str, object]:
    """Train ``preset`` and return its time and final held-out scores."""
    result = api.train(preset, [f"train.threads={threads}"], runs_root=root, progress=False)
    return {
        "steps": result.step,
        "seconds": round(result.elapsed, 1),
        "scores": {k: round(v, 5) for k, v in result.final_metrics.items()},
    }


def table(results: dict[str, dict[str, object]]) -> str:
    """A markdown table: one row per measure, model next to the identity baseline."""
    lines = ["| preset | measure | model | identity | real target |", "|---|---|---|---|---|"]
    for preset, record in results.items():
        scores: dict[str, float] = record["scores"]  # type: ignore[assignment]
        for row in api.translation_table(scores):
            lines.append(f"| {preset} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    """Train the presets and write benchmarks/results/translation.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--presets", nargs="+", default=PRESETS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        results = {p: run_preset(p, args.threads, Path(root)) for p in args.presets}
    record = {
        "presets": results,
        "threads": args.threads,
        "torch": torch.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "translation.json").write_text(json.dumps(record, indent=1) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
