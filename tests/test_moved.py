"""The module paths moved by the layout redesign still import for one release (CHANGELOG.md)."""

from __future__ import annotations

import importlib
import sys

import pytest

import ganforge.bayes
import ganforge.bayes.naive_bayes
import ganforge.metrics
from ganforge.bayes.naive_bayes import gaussian
from ganforge.bayes.optimize import loop
from ganforge.metrics.measures import fid
from ganforge.tune import search


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("ganforge.metrics.prdc", "ganforge.metrics.measures.prdc"),
        ("ganforge.metrics.catalog_classes", "ganforge.metrics.catalog.classes"),
        ("ganforge.bayes.nb_gaussian", "ganforge.bayes.naive_bayes.gaussian"),
        ("ganforge.bayes.gp", "ganforge.bayes.optimize.gp"),
        ("ganforge.tune_storage", "ganforge.tune.storage"),
    ],
)
def test_an_old_path_is_the_moved_module_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    if new == "ganforge.tune.storage":
        pytest.importorskip("optuna")  # the `tune` extra
    monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {new}"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)


def test_the_public_paths_keep_their_names() -> None:
    from ganforge.metrics.fid import frechet_distance  # the example, an old module path

    assert frechet_distance is fid.frechet_distance
    assert ganforge.metrics.fid is fid.fid  # the function, not the module, after that import
    assert ganforge.bayes.minimize is loop.minimize
    assert importlib.import_module("ganforge.bayes.optimize").minimize is loop.minimize
    assert ganforge.bayes.naive_bayes.GaussianNB is gaussian.GaussianNB
    assert importlib.import_module("ganforge.tune").tune is search.tune
