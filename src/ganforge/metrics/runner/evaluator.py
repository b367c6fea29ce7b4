"""The evaluator the training engine calls every ``eval.every`` steps (and at the end)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ganforge.config import Config, bind, recipe_of
from ganforge.data import build_dataset
from ganforge.data.base import DataInfo, Dataset
from ganforge.errors import GanforgeError
from ganforge.metrics.runner.base import Context, parse_spec
from ganforge.metrics.runner.evaluate import (
    as_samples,
    check_stats_only,
    compute_floors,
    label_samples,
    needs_real,
    write_floors,
)
from ganforge.metrics.runner.featureset import FeatureSet, extract
from ganforge.metrics.runner.plan import Plan, make_plan
from ganforge.metrics.runner.reference import dataset_choice, is_stats_file, real_side
from ganforge.metrics.runner.suite import IMAGES, flat_values, resolve, run_metrics
from ganforge.metrics.runner.translation import TranslationEvaluator
from ganforge.registry import EXTRACTORS, RECIPES

log = logging.getLogger("ganforge.metrics")


def check_eval_settings(cfg: Config) -> None:
    """The metric names and parameters, the extractor name and the real data of ``eval``,
    checked before any data is loaded (the extractor is not built: its weights may be large)."""
    if cfg.eval.metrics:
        resolve(cfg.eval.metrics)
    if cfg.eval.extractor not in (None, "auto"):
        name, params = parse_spec(cfg.eval.extractor)
        bind(EXTRACTORS.get(name), params, f"eval.extractor ({name})")
    if cfg.eval.real is not None and not is_stats_file(cfg.eval.real):
        dataset_choice(cfg.eval.real, cfg.data, None)  # a known dataset, folder or stats file


class TrainingEvaluator:
    """Scores ``eval.n_samples`` samples with ``eval.metrics`` against the real features.

    The plan and the real features are prepared once (``prepare``, before training starts, so a
    bad setting fails early); each call extracts the fake features once and runs every metric.
    A metric that fails is logged and left out; it does not stop training.
    """

    def __init__(self, cfg: Config, dataset: Dataset | None = None) -> None:
        self.cfg = cfg
        self.dataset = dataset  # the training dataset, reused rather than built again
        self.info: DataInfo | None = None
        self.plan: Plan | None = None
        self.real: FeatureSet | None = None
        self.real_ready = False
        self.records: list[dict[str, Any]] = []

    def prepare(self, real: bool = True) -> None:
        """Choose the extractor and metrics and (``real``) extract the real features."""
        ev, data = self.cfg.eval, self.cfg.data
        if self.plan is None:
            dataset = self.dataset or build_dataset(data.name, data.params)
            self.info = dataset.info
            self.plan = make_plan(self.info, ev.metrics, ev.extractor, data.params)
            for note in self.plan.notes:
                log.warning("eval: %s", note)
        if not real or self.real_ready:
            return
        self.real_ready = True
        assert self.info is not None
        dataset = self.dataset or build_dataset(data.name, data.params)
        if needs_real(self.plan):
            extractor = self.plan.extractor
            self.real = real_side(
                ev.real, data, self.info, extractor, seed=ev.seed, run_dataset=dataset
            )
            check_stats_only(self.plan, self.real)

    def __call__(
        self,
        step: int,
        sample_fn: Callable[[int], torch.Tensor],
        generators: dict[str, nn.Module] | None = None,
    ) -> dict[str, float]:
        """Scores of ``sample_fn``'s samples (what the engine logs as an "eval" record); the
        generator ``g`` among the engine's ``generators`` gives the samples' labels."""
        self.prepare()
        assert self.plan is not None and self.info is not None
        samples = as_samples(sample_fn(self.cfg.eval.n_samples), self.info)
        fake = extract(self.plan.extractor, samples, {"source": "training", "step": step})
        return self._score(step, fake, generators)

    @property
    def shards(self) -> bool:
        """Whether the samples can be scored from their features alone, so that each process
        extracts its share and only features and logits are gathered (no metric of the plan
        reads the images themselves)."""
        self.prepare(real=False)
        assert self.plan is not None
        return not any(IMAGES in call.needs for call in self.plan.calls)

    def features(self, samples: torch.Tensor) -> dict[str, np.ndarray]:
        """The extractor's outputs (features, logits) for some generated samples in [-1, 1]:
        one process's share of an evaluation."""
        self.prepare(real=False)
        assert self.plan is not None and self.info is not None
        return self.plan.extractor(as_samples(samples, self.info))

    def score_features(
        self,
        step: int,
        outputs: dict[str, np.ndarray],
        generators: dict[str, nn.Module] | None = None,
    ) -> dict[str, float]:
        """Scores of the eval.n_samples samples whose extractor outputs (in sample order) are
        ``outputs``: what ``__call__`` gives for those samples."""
        self.prepare()
        assert self.plan is not None
        count = len(next(iter(outputs.values())))
        provenance = {
            "source": "training",
            "step": step,
            "count": count,
            "extractor": self.plan.extractor.provenance(),
        }
        return self._score(step, FeatureSet(outputs, provenance), generators)

    def _score(
        self, step: int, fake: FeatureSet, generators: dict[str, nn.Module] | None
    ) -> dict[str, float]:
        assert self.plan is not None and self.info is not None
        ev = self.cfg.eval
        if generators and "g" in generators:  # the labels the sampler conditioned on
            label_samples(fake, generators["g"], ev.n_samples)
        ctx = Context(self.info, ev.seed, None, f"step-{step:07d}")
        self.records = run_metrics(self.plan.calls, self.real, fake, ctx, strict=False)
        return flat_values(self.records)

    @property
    def extractors(self) -> dict[str, str]:
        """Each score of the last call -> the feature extractor it was computed on (scores
        computed without features, such as pixel-space ones, are left out)."""
        out = {}
        for record in self.records:
            extractor = (record.get("provenance") or {}).get("extractor") or {}
            name = extractor.get("extractor") if isinstance(extractor, dict) else None
            for key in record.get("values", {}):
                if name:
                    out[key] = str(name)
        return out

    def finish(self, run: Path) -> None:
        """After a completed run (before its report): the real-vs-real floor."""
        self.write_floors(run)

    def write_floors(self, run: Path) -> Path | None:
        """Compute the real-vs-real floor of the planned metrics into ``run/floors.json``."""
        self.prepare()
        assert self.plan is not None and self.info is not None
        ev = self.cfg.eval
        try:
            records = compute_floors(self.plan, self.cfg.data, self.info, ev.n_samples, ev.seed)
        except GanforgeError as exc:  # e.g. a dataset without a held-out split
            log.warning("no real-vs-real floor: %s", exc)
            return None
        return write_floors(run, flat_values(records))


def training_evaluator(
    cfg: Config, dataset: Dataset, *, scores: bool = True
) -> TrainingEvaluator | TranslationEvaluator | None:
    """The evaluator a run's recipe asks for (its registered ``evaluation``): held-out
    translation scores, or ``eval.metrics`` on samples (None when there are none).

    ``scores=False`` (the processes of a torchrun job other than rank 0): only what extracts
    the features of a share of the samples, without the real side."""
    kind = RECIPES.entry(recipe_of(cfg.model.name)).meta.get("evaluation", "samples")
    if kind == "translation":
        return TranslationEvaluator(cfg, dataset.info, dataset) if scores else None  # type: ignore[arg-type]
    if not cfg.eval.metrics:
        return None
    evaluator = TrainingEvaluator(cfg, dataset)
    evaluator.prepare(real=scores)  # bad metric settings fail before training starts
    return evaluator
