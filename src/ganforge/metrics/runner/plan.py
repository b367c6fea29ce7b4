"""What to measure for a dataset: the feature extractor and metric defaults, with clear fallbacks.

Points (2-D mixtures) use the points themselves; digits and MNIST use the project's domain
classifiers; other images use the FID Inception network when its weights are present. Where the
preferred extractor is missing the plan falls back to raw pixels and says so: such numbers are
only comparable with other pixel-feature numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ganforge.config import bind, parameters
from ganforge.data.base import DataInfo
from ganforge.errors import GanforgeError
from ganforge.metrics.features.base import Extractor
from ganforge.metrics.runner.base import check_not_translation, parse_spec
from ganforge.metrics.runner.suite import MetricCall, resolve, usable
from ganforge.registry import EXTRACTORS

INCEPTION = "inception-v3-fid"
DOMAIN_EXTRACTORS = {"digits": "digits-classifier", "mnist": "mnist-classifier"}
POINT_METRICS = ["modes", "pr", "mmd"]
CLASSIFIER_METRICS = ["fid", "kid", "pr", "dc", "is", "classes"]
INCEPTION_METRICS = ["fid", "is", "kid", "pr"]
PIXEL_METRICS = ["fid", "kid", "pr", "dc"]


def build_extractor(spec: str, **params: Any) -> Extractor:
    """An extractor from ``name[:key=value...]`` plus ``params`` (checked against its builder)."""
    name, parsed = parse_spec(spec)
    builder = EXTRACTORS.get(name)
    return builder(**bind(builder, {**parsed, **params}, f"extractor {name}"))


def _fallback(reason: str, what: str) -> tuple[Extractor, list[str]]:
    return build_extractor("pixels"), [f"{reason}; falling back to raw pixels ({what})"]


def default_extractor(
    info: DataInfo, data_params: dict[str, Any] | None = None
) -> tuple[Extractor, list[str]]:
    """The preferred extractor for a dataset and notes on any fallback taken.

    ``data_params`` are the dataset's parameters: a domain classifier that reads the same files
    (MNIST's ``path``, the classifier's ``root``) gets them.
    """
    check_not_translation(info)
    if info.kind == "points":
        return build_extractor("identity"), []
    domain = DOMAIN_EXTRACTORS.get(info.name)
    if domain is not None:
        comparable = "numbers comparable only with other pixel-feature numbers"
        if domain not in EXTRACTORS:
            return _fallback(f"the {domain} extractor is not available", comparable)
        accepted = parameters(EXTRACTORS.get(domain))
        location = (data_params or {}).get("path")
        shared = {"root": location} if location is not None and "root" in accepted else {}
        try:
            return build_extractor(domain, **shared), []
        except GanforgeError as exc:
            return _fallback(f"the {domain} extractor could not be built ({exc})", comparable)
    if INCEPTION not in EXTRACTORS:
        reason = f"the {INCEPTION} extractor is not available in this installation"
    else:
        try:
            return build_extractor(INCEPTION), []
        except GanforgeError as exc:
            reason = f"Inception weights are not available ({exc})"
    return _fallback(reason, "not comparable with published FID/IS")


def default_metrics(info: DataInfo, extractor: Extractor) -> list[str]:
    """Metrics that make sense for the data and that the extractor's outputs support."""
    if info.kind == "points":
        chosen = POINT_METRICS
    elif extractor.name == INCEPTION:
        chosen = INCEPTION_METRICS
    elif "logits" in extractor.outputs:
        chosen = CLASSIFIER_METRICS
    else:
        chosen = PIXEL_METRICS
    return list(chosen)


@dataclass
class Plan:
    """The extractor and metric calls of an evaluation, with notes on fallbacks."""

    extractor: Extractor
    calls: list[MetricCall]
    notes: list[str] = field(default_factory=list)


def make_plan(
    info: DataInfo,
    metrics: str | Iterable[str] | None = None,
    extractor: str | None = None,
    data_params: dict[str, Any] | None = None,
) -> Plan:
    """Resolve metrics and extractor ("auto"/None: dataset defaults).

    With an explicit extractor, a metric it cannot serve is an error; with the automatic choice
    (which may have fallen back) such a metric is dropped with a note. Notes are for the
    caller to show (the CLI prints them, training logs them).
    """
    automatic = extractor in (None, "auto")
    if automatic:
        chosen, notes = default_extractor(info, data_params)
    else:
        chosen, notes = build_extractor(extractor), []  # type: ignore[arg-type]
    wanted = metrics if metrics else default_metrics(info, chosen)
    calls = resolve(wanted)
    kept, dropped = usable(calls, chosen.outputs, chosen.name, strict=not automatic)
    if not kept:
        raise GanforgeError(f"none of the metrics can run with extractor {chosen.name}")
    return Plan(chosen, kept, notes + dropped)
