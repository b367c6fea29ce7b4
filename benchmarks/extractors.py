"""Feature-extractor costs on CPU: Inception-v3 throughput per resize mode, classifier training.

Run: ``python benchmarks/extractors.py`` (writes ``benchmarks/results/extractors.json``).
Inception speed does not depend on the weight values, so randomly initialised weights in the
standard layout stand in for the published file. CPU seconds (process time) are reported beside
wall seconds because the machine may be shared.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.metrics.features.classifier import digits_classifier, mnist_classifier
from ganforge.metrics.features.inception import InceptionExtractor
from ganforge.metrics.features.inception_net import FIDInceptionV3

ROOT = Path(__file__).resolve().parent
# the read-only shared MNIST test set beside the checkout (or beside one of its parents)
MNIST = next(
    (
        p / "shared" / "data" / "mnist"
        for p in ROOT.parents
        if (p / "shared" / "DESIGN.md").is_file()
    ),
    ROOT / "no-mnist",
)


def timed(fn: Any) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def inception_rows(folder: Path, n: int = 16) -> list[dict[str, Any]]:
    """Images per second of inception-v3-fid for 32x32 RGB input, per resize mode."""
    weights = folder / "random-inception.pt"
    torch.save(FIDInceptionV3().state_dict(), weights)
    images = np.random.default_rng(0).integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    rows = []
    for mode in ("tf1-bilinear", "pil-bicubic"):
        extractor = InceptionExtractor(weights, resize=mode, batch_size=n, device="cpu")
        extractor(images[:2])  # warm-up
        _, wall, cpu = timed(lambda e=extractor: e(images))
        rows.append(
            {
                "resize": mode,
                "images": n,
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "images_per_cpu_s": round(n / cpu, 2),
            }
        )
    return rows


def classifier_rows() -> list[dict[str, Any]]:
    """Training time (first use) and held-out accuracy of the domain classifiers."""
    builders = {"digits-classifier": lambda: digits_classifier(device="cpu")}
    if MNIST.is_dir():
        builders["mnist-classifier"] = lambda: mnist_classifier(root=str(MNIST), device="cpu")
    rows = []
    for name, build in builders.items():
        extractor, wall, cpu = timed(build)
        _, cached_wall, _ = timed(build)
        info = extractor.provenance()
        rows.append(
            {
                "extractor": name,
                "data": info["data"],
                "held_out_accuracy": round(info["accuracy"], 4),
                "first_use_wall_s": round(wall, 1),
                "first_use_cpu_s": round(cpu, 1),
                "train_s": extractor.record["train_seconds"],
                "cached_load_wall_s": round(cached_wall, 2),
                "settings": info["settings"],
            }
        )
    return rows


def main() -> None:
    """Run both parts on one torch thread and write the JSON results."""
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GANFORGE_HOME"] = tmp  # a cold cache: classifiers are trained here
        result = {
            "machine": {
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "load_average_1min": round(os.getloadavg()[0], 1),
                "torch": str(torch.__version__),
                "threads": torch.get_num_threads(),
            },
            "inception_v3_fid": inception_rows(Path(tmp)),
            "classifiers": classifier_rows(),
        }
    out = ROOT / "results" / "extractors.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
