"""The real side of an evaluation: a dataset's features (cached by content hash) or a stats file,
and reference statistics for ``ganforge stats``."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge import config as config_mod
from ganforge.config import Choice
from ganforge.data import build_dataset
from ganforge.data.base import DataInfo, Dataset
from ganforge.data.download import cache_dir
from ganforge.data.zipped import is_zip
from ganforge.errors import GanforgeError
from ganforge.legacy import data_location
from ganforge.metrics.features.base import Extractor
from ganforge.metrics.measures.stats import FeatureStats
from ganforge.metrics.runner.base import check_not_translation, parse_spec
from ganforge.metrics.runner.featureset import FeatureSet, content_hash, extract
from ganforge.registry import DATASETS

log = logging.getLogger("ganforge.metrics")

DEFAULT_REAL_LIMIT = 50_000  # the usual cap for reference sets (e.g. "FID 50k full")
CHUNK = 1000


def holds_images(path: str | Path) -> bool:
    """Whether an .npz file holds images (an ``images`` array and no statistics)."""
    try:
        with np.load(Path(path).expanduser(), allow_pickle=False) as data:
            return "images" in data.files and "mu" not in data.files
    except (OSError, ValueError):
        return False  # unreadable: reading it as statistics says what is wrong


def is_stats_file(spec: str | None) -> bool:
    """Whether a spec names a statistics file (an existing .npz that does not hold images)."""
    if spec is None or not spec.endswith(".npz"):
        return False
    path = Path(spec).expanduser()
    return path.is_file() and not holds_images(path)


def dataset_choice(
    spec: str | None,
    run_data: Choice | None,
    info: DataInfo | None,
    size: int | tuple[int, int] | list[int] | None = None,
) -> Choice:
    """The dataset named by ``spec``: ``name[:key=value...]``, a folder or an .npz of images.

    Nothing given: the run's own data. The run's dataset again: its parameters plus the given
    ones. Another dataset: its defaults, with ``size`` when given, else the run's image size and
    channels when it takes them. Without a run (``info`` None) a folder keeps each image at its
    own size unless ``size`` or ``:size=`` is given.
    """
    if spec is None:
        if run_data is None:
            raise GanforgeError("no real data: pass --real DATASET or a statistics .npz file")
        return run_data
    path = Path(spec).expanduser()
    if spec.endswith(".npz") and not path.is_file() and ":" not in spec:
        raise GanforgeError(f"file {spec} does not exist")
    if path.is_dir() or (spec.lower().endswith(".zip") and is_zip(path)):
        name, params = "folder", {"path": str(path)}
    elif spec.endswith(".npz") and holds_images(path):
        name, params = "npz", {"path": str(path)}
    else:
        name, params = parse_spec(spec)
        params = data_location(name, params)
    builder = DATASETS.get(name)
    accepted = config_mod.parameters(builder)
    if size is not None and "size" in accepted:
        params.setdefault("size", list(size) if isinstance(size, (tuple, list)) else size)
    if run_data is not None and name == run_data.name:
        params = {**run_data.params, **params}
    elif info is not None and info.kind == "image":
        if "size" in accepted and "size" not in params:
            params["size"] = list(info.size)
        if "channels" in accepted and "channels" not in params:
            params["channels"] = info.channels
    elif name == "folder":
        params.setdefault("size", None)  # metrics see each image at its own size
    return Choice(name, config_mod.bind(builder, params, f"real data ({name})"))


def split_of(choice: Choice) -> str | None:
    """The split a dataset choice reads (its parameter or the builder's default)."""
    builder = DATASETS.get(choice.name)
    return choice.params.get("split", config_mod.defaults(builder).get("split"))


def samples_of(dataset: Dataset, index: np.ndarray) -> torch.Tensor:
    """uint8 NCHW images (or float points) at ``index``, read in chunks."""
    parts = []
    for start in range(0, len(index), CHUNK):
        chunk = torch.as_tensor(index[start : start + CHUNK])
        if dataset.info.kind == "points":
            parts.append(dataset.get(chunk)["x"])
        else:
            parts.append(dataset.real_uint8(chunk))
    return torch.cat(parts)


def choose(count: int, limit: int | None, seed: int) -> np.ndarray:
    """All indices, or ``limit`` of them drawn with ``seed`` (sorted)."""
    if limit is None or count <= limit:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, limit, replace=False))


def dataset_samples(
    choice: Choice,
    limit: int | None = DEFAULT_REAL_LIMIT,
    seed: int = 0,
    dataset: Dataset | None = None,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """Up to ``limit`` samples of a dataset (drawn with ``seed``) and where they came from.

    ``dataset`` is the already built ``choice``, if the caller has it.
    """
    dataset = dataset if dataset is not None else build_dataset(choice.name, choice.params)
    check_not_translation(dataset.info)
    index = choose(len(dataset), limit, seed)
    provenance: dict[str, Any] = {
        "source": choice.name,
        "params": choice.params,
        "split": split_of(choice),
        "dataset_size": len(dataset),
    }
    if dataset.info.kind == "image":  # the size the images entered the extractor at
        provenance["image_size"] = list(dataset.info.size)
        provenance["channels"] = dataset.info.channels
        if "native_size" in dataset.info.extra:  # image files: their own size, or resized
            provenance["native_size"] = dataset.info.extra["native_size"]
    return samples_of(dataset, index), provenance


def dataset_features(
    choice: Choice,
    extractor: Extractor,
    limit: int | None = DEFAULT_REAL_LIMIT,
    seed: int = 0,
    dataset: Dataset | None = None,
) -> FeatureSet:
    """Features of (up to ``limit`` samples of) a dataset, with its labels; cached by content
    hash."""
    dataset = dataset if dataset is not None else build_dataset(choice.name, choice.params)
    samples, provenance = dataset_samples(choice, limit, seed, dataset)
    features = extract(extractor, samples, provenance, cache=True)
    labels = getattr(dataset, "labels", None)
    if labels is not None:
        features.labels = np.asarray(labels)[choose(len(dataset), limit, seed)]
    return features


def stats_side(path: str | Path) -> FeatureSet:
    """A statistics file as the real side (FID and FID-infinity only)."""
    stats = FeatureStats.load(path)
    provenance = {**stats.provenance, "source": str(path), "count": stats.count}
    provenance.setdefault("extractor", None)
    return FeatureSet({}, provenance, None, stats)


def real_side(
    spec: str | None,
    run_data: Choice | None,
    info: DataInfo | None,
    extractor: Extractor,
    limit: int | None = DEFAULT_REAL_LIMIT,
    seed: int = 0,
    run_dataset: Dataset | None = None,
) -> FeatureSet:
    """The real side named by ``--real`` (a dataset, a folder, a stats file) or the run's data
    (``run_dataset``: that data already built)."""
    if is_stats_file(spec):
        return stats_side(spec)  # type: ignore[arg-type]
    choice = dataset_choice(spec, run_data, info)
    built = run_dataset if choice is run_data else None
    return dataset_features(choice, extractor, limit, seed, built)


def write_stats(
    choice: Choice,
    extractor: Extractor,
    out: str | Path | None = None,
    limit: int | None = None,
    seed: int = 0,
    dataset: Dataset | None = None,
) -> tuple[Path, FeatureStats]:
    """Reference statistics of a dataset, cached by content hash; ``out`` gets a copy."""
    from ganforge import __version__

    samples, provenance = dataset_samples(choice, limit, seed, dataset)
    key = content_hash(samples, extractor.provenance())
    split = split_of(choice) or "all"
    path = cache_dir("stats") / f"{choice.name}-{split}-{extractor.name}-{key[:16]}.npz"
    if path.is_file():
        stats = FeatureStats.load(path)
    else:
        stats = extract(extractor, samples, provenance).stats()
        stats.provenance = {
            **stats.provenance,
            "content_hash": key,
            "ganforge": __version__,
        }
        stats.save(path)
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        return out, stats
    return path, stats


def dataset_stats(
    dataset: str,
    extractor: str | None = "auto",
    out: str | Path | None = None,
    split: str | None = None,
    limit: int | None = None,
    size: int | tuple[int, int] | list[int] | None = None,
) -> tuple[Path, FeatureStats]:
    """``ganforge stats``: statistics of ``name[:key=value...]``, a folder or an .npz of images
    with an extractor; image files at their own size unless ``size`` is given."""
    from ganforge.metrics.runner.plan import build_extractor, default_extractor

    choice = dataset_choice(dataset, None, None, size)
    if split is not None:
        builder = DATASETS.get(choice.name)
        params = config_mod.bind(builder, {**choice.params, "split": split}, choice.name)
        choice = Choice(choice.name, params)
    built = build_dataset(choice.name, choice.params)
    if extractor in (None, "auto"):
        chosen, notes = default_extractor(built.info, choice.params)
        for note in notes:
            log.warning("%s", note)
    else:
        chosen = build_extractor(extractor)  # type: ignore[arg-type]
    return write_stats(choice, chosen, out, limit, dataset=built)
