"""The metric registry, suite runner, real sides, statistics files and dataset defaults."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganforge.config import Choice
from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError, GanforgeError
from ganforge.metrics.features.base import IdentityExtractor, PixelExtractor
from ganforge.metrics.measures.stats import FeatureStats
from ganforge.metrics.runner.base import Context, parse_spec, split_specs
from ganforge.metrics.runner.featureset import FeatureSet, extract
from ganforge.metrics.runner.plan import default_extractor, make_plan
from ganforge.metrics.runner.reference import dataset_choice, dataset_stats, real_side, stats_side
from ganforge.metrics.runner.suite import resolve, run_metrics, score_of
from ganforge.registry import METRICS

RING = DataInfo("ring", "points", (2,), 0, extra={"means": [[1.0, 0.0], [-1.0, 0.0]], "std": 0.1})


def points(n: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    means = np.array([[1.0, 0.0], [-1.0, 0.0]])
    x = means[rng.integers(0, 2, n)] + 0.1 * rng.standard_normal((n, 2)) + shift
    return torch.as_tensor(x, dtype=torch.float32)


def test_specs_parse_and_validate() -> None:
    assert split_specs("fid, kid:subsets=10,parzen:sigmas=[0.1, 0.2]") == [
        "fid",
        "kid:subsets=10",
        "parzen:sigmas=[0.1, 0.2]",
    ]
    assert parse_spec("kid:subsets=10:coef0=0.5") == ("kid", {"subsets": 10, "coef0": 0.5})
    calls = resolve("kid:subsets=10,parzen:sigmas=[0.1, 0.2]")
    assert calls[0].params == {"subsets": 10} and calls[1].params == {"sigmas": [0.1, 0.2]}
    with pytest.raises(ConfigError, match="Did you mean 'fid'"):
        resolve("fdi")
    with pytest.raises(ConfigError, match="unknown key 'subset'"):
        resolve("kid:subset=3")
    with pytest.raises(ConfigError, match=r"metric kid\.subsets"):
        resolve("kid:subsets=many")
    with pytest.raises(ConfigError, match="expected name:key=value"):
        parse_spec("kid:10")


def test_every_metric_declares_needs_and_directions() -> None:
    for entry in METRICS:
        assert entry.meta["needs"] and entry.meta["real"] in ("features", "stats", "none")
        assert all(v in ("lower", "higher", None) for v in entry.meta["better"].values())
        assert entry.summary
    assert score_of("fid") == ("fid", "fid", "lower")
    assert score_of("recall") == ("pr", "recall", "higher")
    with pytest.raises(GanforgeError, match="unknown score"):
        score_of("bogus")


def test_suite_runs_on_points_with_provenance() -> None:
    extractor = IdentityExtractor()
    real = extract(extractor, points(400, 0), {"source": "ring", "split": None})
    fake = extract(extractor, points(300, 1), {"source": "test"})
    calls = resolve("fid,pr,dc,mmd,kid:subsets=3:subset_size=100,modes,c2st")
    records = run_metrics(calls, real, fake, Context(RING, seed=3))
    values = {k: v for r in records for k, v in r["values"].items()}
    assert values["modes"] == 2 and values["hq_fraction"] > 0.95
    assert values["precision"] > 0.8 and values["c2st"] < 0.65 and values["fid"] < 0.05
    prov = records[0]["provenance"]
    assert prov["extractor"] == {"extractor": "identity"}
    assert prov["real"]["source"] == "ring" and prov["n_real"] == 400 and prov["n_fake"] == 300
    assert prov["seed"] == 3 and prov["ganforge"]
    assert records[1]["extra"]["n_real"] == 300  # pr balances the real side to the fake count


def test_bootstrap_interval_brackets_the_value() -> None:
    extractor = IdentityExtractor()
    real = extract(extractor, points(300, 0), {})
    fake = extract(extractor, points(300, 1, shift=0.05), {})
    record = run_metrics(resolve("fid,pr"), real, fake, Context(RING), bootstrap=20)
    low, high = record[0]["ci"]["fid"]
    assert low <= record[0]["values"]["fid"] <= high and low < high
    assert set(record[1]["ci"]) == {"precision", "recall"}


def test_metric_needing_missing_outputs() -> None:
    info = DataInfo("folder", "image", (1, 8, 8), 0)
    with pytest.raises(GanforgeError, match="needs logits which extractor pixels"):
        make_plan(info, "fid,is", "pixels")
    plan = make_plan(info, "fid,is", "auto")  # automatic choice: drop with a note
    assert [c.name for c in plan.calls] == ["fid"]
    assert any("is needs logits" in note for note in plan.notes)


def test_default_extractors_per_dataset(tmp_path) -> None:
    assert default_extractor(RING)[0].name == "identity"
    assert [c.name for c in make_plan(RING).calls] == ["modes", "pr", "mmd"]
    digits = DataInfo("digits", "image", (1, 16, 16), 0, n_classes=10)
    extractor, notes = default_extractor(digits)  # trained once, then cached
    assert extractor.name == "digits-classifier" and not notes
    assert extractor.provenance()["accuracy"] >= 0.97
    names = [c.name for c in make_plan(digits).calls]
    assert names == ["fid", "kid", "pr", "dc", "is", "classes"]
    mnist = DataInfo("mnist", "image", (1, 28, 28), 0, n_classes=10)
    fallback, notes = default_extractor(mnist, {"path": str(tmp_path)})  # no MNIST files there
    assert fallback.name == "pixels" and "mnist-classifier extractor could not be built" in notes[0]
    assert str(tmp_path) in notes[0]
    folder = DataInfo("folder", "image", (3, 16, 16), 0)
    chosen, notes = default_extractor(folder)
    if chosen.name == "pixels":  # no Inception weights on this machine
        assert "falling back to raw pixels" in notes[0] and "published" in notes[0]
    for kind in ("paired", "unpaired"):
        translation = DataInfo("facades", kind, (3, 8, 8), 0)  # type: ignore[arg-type]
        with pytest.raises(GanforgeError, match="ganforge translate-eval RUN"):
            default_extractor(translation)


def test_feature_cache_by_content_hash() -> None:
    extractor = PixelExtractor(8)
    images = torch.randint(0, 256, (20, 1, 8, 8), dtype=torch.uint8)
    first = extract(extractor, images, {}, cache=True)
    again = extract(extractor, images.clone(), {}, cache=True)
    assert first.provenance["content_hash"] == again.provenance["content_hash"]
    assert np.array_equal(first.outputs["features"], again.outputs["features"])
    changed = images.clone()
    changed[0, 0, 0, 0] ^= 1
    other = extract(extractor, changed, {}, cache=True)
    assert other.provenance["content_hash"] != first.provenance["content_hash"]


def test_stats_file_serves_fid_only(tmp_path) -> None:
    extractor = IdentityExtractor()
    real = extract(extractor, points(500, 0), {"source": "ring"})
    path = real.stats().save(tmp_path / "ring.npz")
    side = stats_side(path)
    assert side.count == 500 and not side.has("features")
    fake = extract(extractor, points(300, 1), {})
    fid_record = run_metrics(resolve("fid"), side, fake, Context(RING))[0]
    direct = run_metrics(resolve("fid"), real, fake, Context(RING))[0]
    assert fid_record["values"]["fid"] == pytest.approx(direct["values"]["fid"], rel=1e-12)
    with pytest.raises(GanforgeError, match="statistics file"):
        run_metrics(resolve("kid"), side, fake, Context(RING))


def test_sides_from_different_extractors_are_refused() -> None:
    images = torch.randint(0, 256, (10, 1, 16, 16), dtype=torch.uint8)
    a = extract(PixelExtractor(16), images, {})
    b = extract(PixelExtractor(8), images, {})
    with pytest.raises(GanforgeError, match="same extractor"):
        run_metrics(resolve("fid"), a, b, Context())


def test_dataset_stats_are_cached_and_pytorch_fid_compatible(tmp_path) -> None:
    path, stats = dataset_stats("digits:size=8", "pixels", out=tmp_path / "d.npz", split="test")
    with np.load(path) as data:
        assert data["mu"].shape == (64,) and data["sigma"].shape == (64, 64)
        assert int(data["count"]) == 359
    assert stats.provenance["split"] == "test" and stats.provenance["extractor"]["max_side"] == 32
    cached, again = dataset_stats("digits:size=8", "pixels", split="test")
    assert cached.parent.name == "stats" and np.array_equal(again.sigma, stats.sigma)
    assert FeatureStats.load(path).root_ is not None


def test_real_side_resolution(tmp_path) -> None:
    run_data = Choice("digits", {"size": 16, "channels": 1})
    info = DataInfo("digits", "image", (1, 16, 16), 0)
    assert dataset_choice(None, run_data, info) is run_data
    assert dataset_choice("digits:split=test", run_data, info).params["size"] == 16
    other = dataset_choice("digits", None, DataInfo("x", "image", (3, 12, 12), 0))
    assert tuple(other.params["size"]) == (12, 12) and other.params["channels"] == 3
    side = real_side("digits:split=test", run_data, info, PixelExtractor(), limit=100, seed=0)
    assert side.count == 100 and side.provenance["split"] == "test"
    with pytest.raises(GanforgeError, match="does not exist"):
        dataset_choice(str(tmp_path / "missing.npz"), run_data, info)
    assert isinstance(side, FeatureSet)


def test_extractor_identity_ignores_file_locations() -> None:
    images = torch.randint(0, 256, (10, 1, 8, 8), dtype=torch.uint8)
    a = extract(PixelExtractor(8), images, {})
    b = extract(PixelExtractor(8), images, {})
    a.provenance["extractor"] = {**a.provenance["extractor"], "cache": "/home/a/x.pt"}
    b.provenance["extractor"] = {**b.provenance["extractor"], "cache": "/home/b/x.pt"}
    record = run_metrics(resolve("fid"), a, b, Context())[0]  # same network elsewhere: accepted
    assert record["values"]["fid"] == pytest.approx(0.0, abs=1e-9)
