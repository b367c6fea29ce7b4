"""What to measure for a dataset: the feature extractor and metric defaults, with clear fallbacks.

Points (2-D mixtures) use the points themselves; digits and MNIST use the project's domain
classifiers; other images use the FID Inception network when its weights are present. Where the
preferred extractor is missing the plan falls back to raw pixels and says so: such numbers are
only comparable with other pixel-feature numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ganforge.config import bind
from ganforge.data.base import DataInfo
from ganforge.errors import GanforgeError
from ganforge.metrics.base import parse_spec
from ganforge.metrics.features.base import Extractor
from ganforge.metrics.suite import MetricCall, resolve, usable
from ganforge.registry import EXTRACTORS

INCEPTION = "inception-v3-fid"
DOMAIN_EXTRACTORS = {"digits": "digits-classifier", "mnist": "mnist-classifier"}
POINT_METRICS = ["modes", "pr", "mmd"]
CLASSIFIER_METRICS = ["fid", "kid", "pr", "dc", "is", "classes"]
INCEPTION_METRICS = ["fid", "is", "kid", "pr"]
PIXEL_METRICS = ["fid", "kid", "pr", "dc"]


def build_extractor(spec: str) -> Extractor:
    """An extractor from ``name[:key=value...]`` (parameters checked against its builder)."""
    name, params = parse_spec(spec)
    builder = EXTRACTORS.get(name)
    return builder(**bind(builder, params, f"extractor {name}"))


def default_extractor(info: DataInfo) -> tuple[Extractor, list[str]]:
    """The preferred extractor for a dataset and notes on any fallback taken."""
    if info.kind == "points":
        return build_extractor("identity"), []
    if info.kind != "image":
        raise GanforgeError(
            f"{info.name} holds {info.kind} data; evaluate translation models with the paired "
            "metrics (SSIM, PSNR)"
        )
    domain = DOMAIN_EXTRACTORS.get(info.name)
    if domain is not None:
        if domain in EXTRACTORS:
            return build_extractor(domain), []
        return build_extractor("pixels"), [
            f"the {domain} extractor is not available in this installation; falling back to "
            "raw pixels (numbers comparable only with other pixel-feature numbers)"
        ]
    if INCEPTION not in EXTRACTORS:
        reason = f"the {INCEPTION} extractor is not available in this installation"
    else:
        try:
            return build_extractor(INCEPTION), []
        except GanforgeError as exc:
            reason = f"Inception weights are not available ({exc})"
    return build_extractor("pixels"), [
        f"{reason}; falling back to raw pixels (not comparable with published FID/IS)"
    ]


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
) -> Plan:
    """Resolve metrics and extractor ("auto"/None: dataset defaults).

    With an explicit extractor, a metric it cannot serve is an error; with the automatic choice
    (which may have fallen back) such a metric is dropped with a note. Notes are for the
    caller to show (the CLI prints them, training logs them).
    """
    automatic = extractor in (None, "auto")
    if automatic:
        chosen, notes = default_extractor(info)
    else:
        chosen, notes = build_extractor(extractor), []  # type: ignore[arg-type]
    wanted = metrics if metrics else default_metrics(info, chosen)
    calls = resolve(wanted)
    kept, dropped = usable(calls, chosen.outputs, chosen.name, strict=not automatic)
    if not kept:
        raise GanforgeError(f"none of the metrics can run with extractor {chosen.name}")
    return Plan(chosen, kept, notes + dropped)
