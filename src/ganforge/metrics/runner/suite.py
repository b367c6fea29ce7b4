"""The suite runner: resolve metric specs, check them against the extractor, run them on feature
sets extracted once, and keep the provenance of every number."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ganforge.config import bind
from ganforge.errors import GanforgeError
from ganforge.metrics.runner.base import Context, MetricResult, parse_spec, split_specs
from ganforge.metrics.runner.bootstrap import bootstrap_intervals
from ganforge.metrics.runner.featureset import FeatureSet
from ganforge.registry import METRICS, Entry

log = logging.getLogger("ganforge.metrics")

IMAGES = "images"  # a metric that reads the uint8 samples themselves (any extractor serves it)


@dataclass
class MetricCall:
    """One metric to run: its registry entry and validated parameters."""

    entry: Entry[Any]
    params: dict[str, Any]

    @property
    def name(self) -> str:
        """The registered name."""
        return self.entry.name

    @property
    def needs(self) -> tuple[str, ...]:
        """Extractor outputs it reads."""
        return tuple(self.entry.meta.get("needs", ("features",)))

    @property
    def real(self) -> str:
        """What it needs of the real side: features, stats or none."""
        return str(self.entry.meta.get("real", "features"))

    @property
    def better(self) -> dict[str, str | None]:
        """Direction of each score it returns."""
        return dict(self.entry.meta.get("better", {}))

    def __call__(self, real: FeatureSet | None, fake: FeatureSet, ctx: Context) -> MetricResult:
        return self.entry.obj(real, fake, ctx, **self.params)


def resolve(specs: str | Iterable[str]) -> list[MetricCall]:
    """Parse ``"fid,kid:subsets=10"`` (or a list) into validated metric calls."""
    calls = []
    for spec in split_specs(specs if isinstance(specs, str) else list(specs)):
        name, params = parse_spec(spec)
        entry = METRICS.entry(name)
        if "command" in entry.meta:  # it needs several runs or paired images, not one sample set
            raise GanforgeError(f"{name} is not a sample metric: use `{entry.meta['command']}`")
        calls.append(MetricCall(entry, bind(entry.obj, params, f"metric {name}")))
    if not calls:
        raise GanforgeError("no metrics given; e.g. --metrics fid,kid,pr (see `ganforge metrics`)")
    return calls


def score_of(key: str) -> tuple[str, str, str | None]:
    """(metric, score, better direction) for a score such as ``recall`` or a metric such as ``pr``
    (whose first score is meant)."""
    if key in METRICS:
        better = METRICS.entry(key).meta.get("better", {})
        scored = [k for k, v in better.items() if v]
        if scored:
            return key, scored[0], better[scored[0]]
    for entry in METRICS:
        if key in entry.meta.get("better", {}):
            return entry.name, key, entry.meta["better"][key]
    keys = sorted({k for e in METRICS for k in e.meta.get("better", {})})
    raise GanforgeError(f"unknown score {key!r}; scores: {', '.join(keys)}")


def usable(
    calls: list[MetricCall], outputs: Iterable[str], extractor: str, strict: bool
) -> tuple[list[MetricCall], list[str]]:
    """Calls whose needed outputs the extractor gives; others fail (strict) or are dropped
    with a note."""
    have = set(outputs) | {IMAGES}
    kept, notes = [], []
    for call in calls:
        missing = [o for o in call.needs if o not in have]
        if not missing:
            kept.append(call)
            continue
        message = (
            f"metric {call.name} needs {', '.join(missing)} which extractor {extractor} does not "
            f"give (it gives {', '.join(sorted(have))})"
        )
        if strict:
            raise GanforgeError(message + "; choose another --extractor or drop the metric")
        notes.append(message + "; skipped")
    return kept, notes


def provenance(real: FeatureSet | None, fake: FeatureSet, ctx: Context) -> dict[str, Any]:
    """Where a number came from: extractor, real and fake sources, counts, seed, version."""
    from ganforge import __version__

    def source(side: FeatureSet) -> dict[str, Any]:
        return {k: v for k, v in side.provenance.items() if k != "extractor"}

    return {
        "extractor": fake.provenance.get("extractor"),
        "real": source(real) if real is not None else None,
        "fake": source(fake),
        "n_real": real.count if real is not None else 0,
        "n_fake": fake.count,
        "seed": ctx.seed,
        "ganforge": __version__,
    }


LOCAL_KEYS = ("weights", "cache")  # file locations: the same network may sit anywhere


def _identity(provenance: Any) -> Any:
    if not isinstance(provenance, dict):
        return provenance
    return {k: v for k, v in provenance.items() if k not in LOCAL_KEYS}


def check_sides(real: FeatureSet | None, fake: FeatureSet) -> None:
    """Both sides must come from the same extractor (a stats file records which one); where
    its files lie does not matter, its hashes, settings and preprocessing do."""
    if real is None:
        return
    a, b = real.provenance.get("extractor"), fake.provenance.get("extractor")
    if a and b and _identity(a) != _identity(b):
        raise GanforgeError(
            f"the real side was computed with extractor {a} but the fake side with {b}; "
            "recompute the real statistics with the same extractor (`ganforge stats`)"
        )


def run_metrics(
    calls: list[MetricCall],
    real: FeatureSet | None,
    fake: FeatureSet,
    ctx: Context,
    bootstrap: int = 0,
    strict: bool = True,
) -> list[dict[str, Any]]:
    """Run each metric; every record carries values, extras, intervals and provenance."""
    check_sides(real, fake)
    records = []
    for call in calls:
        start = time.perf_counter()
        record: dict[str, Any] = {"metric": call.name, "params": call.params}
        try:
            result = call(real, fake, ctx)
            record["values"] = {k: float(v) for k, v in result.values.items()}
            record["extra"] = result.extra
            if bootstrap:
                record["ci"] = _intervals(call, real, fake, ctx, bootstrap)
        except GanforgeError as exc:
            if strict:
                raise
            log.warning("metric %s failed: %s", call.name, exc)
            record["error"] = str(exc)
        record["seconds"] = round(time.perf_counter() - start, 3)
        record["provenance"] = provenance(real, fake, ctx)
        records.append(record)
    return records


def _intervals(
    call: MetricCall, real: FeatureSet | None, fake: FeatureSet, ctx: Context, rounds: int
) -> dict[str, tuple[float, float]]:
    quiet = dataclasses.replace(ctx, out_dir=None)  # no figures for resampled rounds
    resample_real = real is not None and bool(real.outputs) and call.real != "none"

    def score(real_index: Any, fake_index: Any) -> dict[str, float]:
        side = real.take(real_index) if resample_real else real  # type: ignore[union-attr]
        return {k: float(v) for k, v in call(side, fake.take(fake_index), quiet).values.items()}

    n_real = real.count if resample_real else None  # type: ignore[union-attr]
    distinct = bool(call.entry.meta.get("distinct", False))
    return bootstrap_intervals(score, n_real, fake.count, rounds, seed=ctx.seed, distinct=distinct)


def flat_values(records: list[dict[str, Any]]) -> dict[str, float]:
    """All scores of all records in one mapping (what training logs to metrics.jsonl)."""
    out: dict[str, float] = {}
    for record in records:
        out.update(record.get("values", {}))
    return out
