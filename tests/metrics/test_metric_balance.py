"""``balance=true`` (the default of pr, dc, mmd, ndb, critic and prd) compares equally many real
and generated samples whichever side is larger, as PRD's authors' code requires."""

from __future__ import annotations

import numpy as np
import pytest

from ganforge.metrics.catalog import samples as catalog_samples
from ganforge.metrics.runner.base import Context
from ganforge.metrics.runner.featureset import FeatureSet
from ganforge.registry import METRICS


def side(n: int, seed: int) -> FeatureSet:
    return FeatureSet({"features": np.random.default_rng(seed).standard_normal((n, 4))})


@pytest.mark.parametrize(("n_real", "n_fake"), [(40, 100), (100, 40)])
def test_pr_and_dc_use_equally_many_samples_a_side(n_real: int, n_fake: int) -> None:
    for name in ("pr", "dc"):
        extra = METRICS.get(name)(side(n_real, 0), side(n_fake, 1), Context()).extra
        assert (extra["n_real"], extra["n_fake"]) == (40, 40)
        extra = METRICS.get(name)(side(n_real, 0), side(n_fake, 1), Context(), balance=False).extra
        assert (extra["n_real"], extra["n_fake"]) == (n_real, n_fake)


@pytest.mark.parametrize(("n_real", "n_fake"), [(40, 100), (100, 40)])
def test_prd_clusters_equally_many_samples_a_side(
    monkeypatch: pytest.MonkeyPatch, n_real: int, n_fake: int
) -> None:
    seen = []
    original = catalog_samples.prd

    def recording(x, y, *args):  # type: ignore[no-untyped-def]
        seen.append((len(x), len(y)))
        return original(x, y, *args)

    monkeypatch.setattr(catalog_samples, "prd", recording)
    METRICS.get("prd")(side(n_real, 0), side(n_fake, 1), Context(), clusters=4, runs=1)
    assert seen == [(40, 40)]
