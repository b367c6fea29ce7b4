"""``ganforge compare``: score one set of images against another, or alone, from any source.

Source A is the set being scored (torch-fidelity's ``input1``: one-sided measures such as the
Inception Score are computed on it; precision is the share of A inside B's manifold) and source
B the reference (``input2``). Both go through one extractor, chosen as for an evaluation: the
reference's domain classifier, else the FID Inception network, else raw pixels with a note.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganforge.config import bind, parameters
from ganforge.errors import GanforgeError
from ganforge.metrics.features.base import Extractor
from ganforge.metrics.runner.base import Context, jsonable
from ganforge.metrics.runner.evaluate import table
from ganforge.metrics.runner.featureset import FeatureSet
from ganforge.metrics.runner.plan import build_extractor, default_extractor, default_metrics
from ganforge.metrics.runner.reference import DEFAULT_REAL_LIMIT
from ganforge.metrics.runner.sources import Size, Source, open_source
from ganforge.metrics.runner.suite import MetricCall, flat_values, resolve, run_metrics, usable
from ganforge.registry import EXTRACTORS, METRICS


@dataclass
class Comparison:
    """Records (values, extras, intervals, provenance) of one comparison and its two sides."""

    sources: list[Source]
    records: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    json_path: Path | None = None

    @property
    def values(self) -> dict[str, float]:
        """Every score in one mapping."""
        return flat_values(self.records)

    @property
    def floor_values(self) -> dict[str, float]:
        """None: a comparison has no real-vs-real floor (the rows are those of an evaluation)."""
        return {}

    def rows(self) -> list[tuple[str, str, str]]:
        """(score, value, spread or interval) for printing, as ``ganforge evaluate`` prints."""
        return [row[:3] for row in table(self)]  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return jsonable(
            {
                "sources": {k: s.provenance for k, s in zip("ab", self.sources)},
                "values": self.values,
                "notes": self.notes,
                "results": self.records,
            }
        )


def one_sided() -> list[str]:
    """Metrics that need no reference set (computed on source A alone)."""
    return [entry.name for entry in METRICS if entry.meta.get("real") == "none"]


def recorded_extractor(side: Source) -> Extractor | None:
    """The extractor a statistics file was written with (its recorded settings), if it says."""
    recorded = side.provenance.get("extractor")
    if not side.stats_only or not isinstance(recorded, dict) or "extractor" not in recorded:
        return None
    builder = EXTRACTORS.get(recorded["extractor"])
    accepted = parameters(builder)
    settings = {k: v for k, v in recorded.items() if k in accepted and k != "weights"}
    if recorded.get("weights") and Path(recorded["weights"]).is_file():
        settings["weights"] = recorded["weights"]  # the same file, where it still is
    return builder(**bind(builder, settings, f"extractor {recorded['extractor']}"))


def choose_extractor(
    scored: Source, reference: Source | None, spec: str | Extractor | None
) -> tuple[Extractor | None, list[str], bool]:
    """(extractor, notes, automatic): the given one (a name or a built extractor); none for
    two statistics files; a statistics file's own; or the default for the reference's data
    (else source A's)."""
    if isinstance(spec, Extractor):
        return spec, [], False
    if spec not in (None, "auto"):
        return build_extractor(str(spec)), [], False
    sides = [s for s in (reference, scored) if s is not None]
    if all(side.stats_only for side in sides):
        return None, [], True  # FID of statistics files needs no network
    for side in sides:
        found = recorded_extractor(side)
        if found is not None:
            return found, [], True
    data = next(s for s in sides if s.info is not None)
    assert data.info is not None
    chosen, notes = default_extractor(data.info, data.data_params)
    return chosen, notes, True


def choose_metrics(
    scored: Source,
    reference: Source | None,
    chosen: Extractor | None,
    given: list[MetricCall] | None,
) -> list[MetricCall]:
    """The given metrics, or the defaults: fid when a side is a statistics file, the dataset's
    defaults for two sets, the one-sided ones among them for one."""
    if given:
        return given
    if chosen is None or any(s.stats_only for s in (scored, reference) if s is not None):
        return resolve("fid")
    data = reference or scored
    assert data.info is not None
    wanted = default_metrics(data.info, chosen)
    if reference is None:
        wanted = [m for m in wanted if m in one_sided()]
        if not wanted:
            raise GanforgeError(
                f"no one-sided metric works with extractor {chosen.name}; give SOURCE_B to "
                "compare two sets, or choose --metrics"
            )
    return resolve(wanted)


def check_one_sided(calls: list[MetricCall]) -> None:
    """With one source, only metrics that need no reference set can run."""
    two = [c.name for c in calls if c.real != "none"]
    if two:
        raise GanforgeError(
            f"{', '.join(two)} {'compares' if len(two) == 1 else 'compare'} two sets: give "
            f"SOURCE_B, or use a one-sided metric ({', '.join(one_sided())})"
        )


def check_stats_sides(
    calls: list[MetricCall], scored: Source, reference: Source | None, bootstrap: int = 0
) -> None:
    """A statistics file (mean and covariance) serves FID and nothing that needs samples."""
    if bootstrap and scored.stats_only:
        raise GanforgeError(
            f"--bootstrap resamples source A, but {scored.spec} is a statistics file; "
            "put the statistics file second (FID is symmetric)"
        )
    for side, role in ((reference, "B"), (scored, "A")):
        if side is None or not side.stats_only:
            continue
        bad = [
            c.name for c in calls if c.name != "fid" or (role == "A" and c.params.get("infinity"))
        ]
        if bad:
            raise GanforgeError(
                f"{', '.join(bad)} {'needs' if len(bad) == 1 else 'need'} samples but "
                f"{side.spec} is a statistics file (mu/sigma only): it serves fid; give images"
            )


def _dim(side: FeatureSet) -> int | None:
    if side.has("features"):
        return int(side.outputs["features"].shape[1])
    return side.stats_.dim if side.stats_ is not None else None


def _shape(side: Source) -> str:
    size = side.provenance.get("image_size")
    return f"{side.provenance.get('channels', '?')}x{size[0]}x{size[1]}" if size else "unknown"


def check_dimensions(a: FeatureSet, b: FeatureSet, scored: Source, reference: Source) -> None:
    """Both sides' features must have one length (pixel features depend on the image shape)."""
    dims = _dim(a), _dim(b)
    if None not in dims and dims[0] != dims[1]:
        raise GanforgeError(
            f"the features of the two sources differ in length ({dims[0]} vs {dims[1]}; images "
            f"{_shape(scored)} and {_shape(reference)}, channels x height x width): use an "
            "extractor that resizes its input (inception-v3-fid, a domain classifier), or give "
            "both one shape (--size, folder:path=DIR:channels=1), or a statistics file written "
            "with the same extractor"
        )


def compare(
    a: str | Path,
    b: str | Path | None = None,
    *,
    metrics: str | Iterable[str] | None = None,
    extractor: str | Extractor | None = None,
    n: int | None = None,
    seed: int = 0,
    size: Size | None = None,
    limit: int | None = DEFAULT_REAL_LIMIT,
    json_path: str | Path | None = None,
    bootstrap: int = 0,
    use_ema: bool = True,
) -> Comparison:
    """Score source ``a`` against reference ``b`` (or alone, with one-sided metrics).

    Sources: image folder, .npz of images, dataset spec, statistics .npz, run or checkpoint
    (``n`` samples with ``seed``). Image files and datasets keep their own size unless ``size``
    is given; ``limit`` (50,000, the usual reference cap; None: all) caps their count, drawn
    with ``seed``. ``json_path`` writes the records, and figures (duplicates, nn) beside them.
    See docs/metrics.md.
    """
    given = resolve(metrics) if metrics else None  # bad names fail before anything is read
    if given and b is None:
        check_one_sided(given)
    options: dict[str, Any] = {"seed": seed, "size": size, "limit": limit, "use_ema": use_ema}
    scored = open_source(a, n=n, **options)
    reference = open_source(b, n=n, **options) if b is not None else None
    chosen, notes, automatic = choose_extractor(scored, reference, extractor)
    calls = choose_metrics(scored, reference, chosen, given)
    if chosen is not None:
        calls, dropped = usable(calls, chosen.outputs, chosen.name, strict=not automatic)
        notes += dropped
        if not calls:
            raise GanforgeError(f"none of the metrics can run with extractor {chosen.name}")
    if reference is None:
        check_one_sided(calls)
    check_stats_sides(calls, scored, reference, bootstrap)
    fake = scored.features(chosen)
    real = reference.features(chosen) if reference is not None else None
    if real is not None and reference is not None:
        check_dimensions(fake, real, scored, reference)
    out = Path(json_path) if json_path else None
    info = scored.info or (reference.info if reference is not None else None)
    ctx = Context(info, seed, out.parent if out else None, out.stem if out else "compare")
    records = run_metrics(calls, real, fake, ctx, bootstrap)
    sides = [s for s in (scored, reference) if s is not None]
    result = Comparison(sides, records, notes)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result.to_dict(), indent=1))
        result.json_path = out
    return result
