"""What ``ganforge compare`` can score: a set of images (or points) from anywhere, or statistics.

A source is an image folder, an ``.npz`` of images, a dataset spec (``cifar10:split=test``), a
statistics ``.npz`` (``mu``/``sigma``, FID only), or a run or checkpoint whose generator is
sampled. Image files enter the extractor at their own size (its resize protocol does the rest);
a folder of mixed sizes is an error unless a size is given. The provenance says which.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

from ganforge.data import build_dataset
from ganforge.data.base import DataInfo
from ganforge.errors import GanforgeError
from ganforge.metrics.features.base import Extractor
from ganforge.metrics.runner.base import check_not_translation, parse_spec
from ganforge.metrics.runner.evaluate import sample_model
from ganforge.metrics.runner.featureset import FeatureSet, extract
from ganforge.metrics.runner.reference import (
    DEFAULT_REAL_LIMIT,
    dataset_choice,
    dataset_samples,
    is_stats_file,
    stats_side,
)
from ganforge.registry import DATASETS
from ganforge.runs import DEFAULT_ROOT, load

SourceKind = Literal["folder", "npz", "dataset", "stats", "run"]
CHECKPOINT_SUFFIXES = (".pt", ".pth")
Size = int | tuple[int, int] | list[int]


@dataclass
class Source:
    """One side of a comparison: samples (uint8 NCHW images or float points) or statistics."""

    spec: str
    kind: SourceKind
    provenance: dict[str, Any]
    samples: torch.Tensor | None = None
    info: DataInfo | None = None  # the dataset's or the run's (None for a statistics file)
    data_params: dict[str, Any] = field(default_factory=dict)  # for a domain extractor
    stats_set: FeatureSet | None = None

    @property
    def stats_only(self) -> bool:
        """Whether the source is a statistics file (mean and covariance, no samples)."""
        return self.stats_set is not None

    def features(self, extractor: Extractor | None) -> FeatureSet:
        """The source through ``extractor`` (data sources cached by content hash); a
        statistics file is its own (None: no extractor needed)."""
        if self.stats_set is not None:
            return self.stats_set
        assert self.samples is not None and extractor is not None
        return extract(extractor, self.samples, self.provenance, cache=self.kind != "run")

    def describe(self) -> str:
        """One line: what was read, how many, at which size."""
        count = self.provenance.get("count", 0)
        if self.stats_only:
            return f"{self.spec}: statistics file ({count} samples)"
        what = {"folder": "image folder", "npz": "images .npz", "dataset": "dataset"}
        if self.kind == "run":
            head = f"run, step {self.provenance['step']}, {count} samples"
        else:
            head = f"{what[self.kind]}, {count} of {self.provenance['dataset_size']}"
        size = self.provenance.get("image_size")
        if size:
            native = self.provenance.get("native_size")
            resized = "" if native is None else (" (own size)" if native else " (resized)")
            head += f" at {size[0]}x{size[1]}{resized}"
        return f"{self.spec}: {head}"


def _run_spec(spec: str) -> bool:
    path = Path(spec).expanduser()
    if path.is_dir():
        return (path / "config.yaml").is_file()
    if path.is_file():
        return path.suffix in CHECKPOINT_SUFFIXES
    return ":" not in spec and (DEFAULT_ROOT / spec / "config.yaml").is_file()


def unknown_source(spec: str) -> str:
    """What to say about a source that is neither a path, a run name nor a dataset."""
    if "/" in spec or Path(spec).suffix in (".npz", *CHECKPOINT_SUFFIXES):
        return f"no such file or folder: {spec}"
    close = difflib.get_close_matches(parse_spec(spec)[0], DATASETS.names(), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"{spec!r} is not a folder, a file, a run under {DEFAULT_ROOT}/ or a dataset{hint}; a "
        "source is an image folder, an .npz of images or statistics, a run or checkpoint, or "
        f"a dataset ({', '.join(DATASETS.names())})"
    )


def run_source(spec: str, n: int | None, seed: int, use_ema: bool) -> Source:
    """``n`` samples (default: the run's ``eval.n_samples``) of a run's or checkpoint's
    generator, through the same sampler as ``ganforge evaluate``."""
    model = load(spec, use_ema=use_ema)
    check_not_translation(model.info)
    count = n or model.config.eval.n_samples
    provenance: dict[str, Any] = {
        "source": str(model.checkpoint),
        "kind": "run",
        "step": model.step,
        "ema": model.ema,
        "sample_seed": seed,
    }
    if model.info.kind == "image":
        provenance["image_size"] = list(model.info.size)
        provenance["channels"] = model.info.channels
    samples = sample_model(model, count, seed)
    provenance["count"] = len(samples)
    return Source(spec, "run", provenance, samples, model.info, dict(model.config.data.params))


def data_source(spec: str, size: Size | None, limit: int | None, seed: int) -> Source:
    """A folder, an .npz of images or a dataset spec: at most ``limit`` samples (seeded draw)."""
    path = Path(spec).expanduser()
    if not path.exists() and parse_spec(spec)[0] not in DATASETS:
        raise GanforgeError(unknown_source(spec))
    choice = dataset_choice(spec, None, None, size)
    dataset = build_dataset(choice.name, choice.params)
    check_not_translation(dataset.info)
    samples, provenance = dataset_samples(choice, limit, seed, dataset)
    kind: SourceKind = "folder" if choice.name == "folder" else "dataset"
    kind = "npz" if choice.name == "npz" else kind
    provenance = {**provenance, "kind": kind, "spec": spec, "count": len(samples)}
    return Source(spec, kind, provenance, samples, dataset.info, dict(choice.params))


def open_source(
    spec: str | Path,
    *,
    n: int | None = None,
    seed: int = 0,
    size: Size | None = None,
    limit: int | None = DEFAULT_REAL_LIMIT,
    use_ema: bool = True,
) -> Source:
    """Read one source: a run or checkpoint (``n`` samples drawn with ``seed``), a statistics
    file, or images (``size`` resizes image files and datasets; ``limit`` caps their count)."""
    spec = str(spec)
    if _run_spec(spec):
        return run_source(spec, n, seed, use_ema)
    if is_stats_file(spec):
        side = stats_side(spec)
        side.provenance["kind"] = "stats"
        return Source(spec, "stats", side.provenance, stats_set=side)
    return data_source(spec, size, limit, seed)
