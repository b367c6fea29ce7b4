"""ganforge: train, evaluate and tune generative adversarial networks."""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from types import ModuleType

__version__ = "0.1.0"

# PyTorch's CPU threads are OpenMP threads, and OpenMP (GNU libgomp) lets a waiting thread spin
# on its core. When other processes want the cores, the spinning threads take them away from
# the one thread with work to do: 100 DCGAN steps took minutes instead of seconds on a busy
# 2-core machine (benchmarks/threads.py). Waiting threads sleep instead unless the user chose
# otherwise. OpenMP reads this once, when torch is first imported: after ganforge here.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Modules moved by the layout redesign: for one release their old dotted paths still import, as
# the moved module itself, with a DeprecationWarning (see CHANGELOG.md).
_MOVED = {
    "ganforge.bayes.acquisition": "ganforge.bayes.optimize.acquisition",
    "ganforge.bayes.design": "ganforge.bayes.optimize.design",
    "ganforge.bayes.gp": "ganforge.bayes.optimize.gp",
    "ganforge.bayes.kernels": "ganforge.bayes.optimize.kernels",
    "ganforge.bayes.nb_base": "ganforge.bayes.naive_bayes.base",
    "ganforge.bayes.nb_categorical": "ganforge.bayes.naive_bayes.categorical",
    "ganforge.bayes.nb_cli_support": "ganforge.bayes.naive_bayes.cli_support",
    "ganforge.bayes.nb_columns": "ganforge.bayes.naive_bayes.columns",
    "ganforge.bayes.nb_counts": "ganforge.bayes.naive_bayes.counts",
    "ganforge.bayes.nb_csv": "ganforge.bayes.naive_bayes.csv_table",
    "ganforge.bayes.nb_cv": "ganforge.bayes.naive_bayes.cv",
    "ganforge.bayes.nb_errors": "ganforge.bayes.naive_bayes.errors",
    "ganforge.bayes.nb_gaussian": "ganforge.bayes.naive_bayes.gaussian",
    "ganforge.bayes.nb_kernel": "ganforge.bayes.naive_bayes.kernel",
    "ganforge.bayes.nb_mixed": "ganforge.bayes.naive_bayes.mixed",
    "ganforge.bayes.objectives": "ganforge.bayes.optimize.objectives",
    "ganforge.bayes.optuna_sampler": "ganforge.bayes.optimize.optuna_sampler",
    "ganforge.bayes.plots": "ganforge.bayes.optimize.plots",
    "ganforge.bayes.proposal": "ganforge.bayes.optimize.proposal",
    "ganforge.bayes.space": "ganforge.bayes.optimize.space",
    "ganforge.bayes.threads": "ganforge.bayes.optimize.threads",
    "ganforge.metrics.base": "ganforge.metrics.runner.base",
    "ganforge.metrics.bootstrap": "ganforge.metrics.runner.bootstrap",
    "ganforge.metrics.c2st": "ganforge.metrics.measures.c2st",
    "ganforge.metrics.catalog_classes": "ganforge.metrics.catalog.classes",
    "ganforge.metrics.catalog_commands": "ganforge.metrics.catalog.commands",
    "ganforge.metrics.catalog_samples": "ganforge.metrics.catalog.samples",
    "ganforge.metrics.class_accuracy": "ganforge.metrics.judges.class_accuracy",
    "ganforge.metrics.class_scores": "ganforge.metrics.measures.class_scores",
    "ganforge.metrics.compare": "ganforge.metrics.runner.compare",
    "ganforge.metrics.contests": "ganforge.metrics.runner.contests",
    "ganforge.metrics.critic": "ganforge.metrics.judges.critic",
    "ganforge.metrics.duplicates": "ganforge.metrics.measures.duplicates",
    "ganforge.metrics.evaluate": "ganforge.metrics.runner.evaluate",
    "ganforge.metrics.evaluator": "ganforge.metrics.runner.evaluator",
    "ganforge.metrics.featureset": "ganforge.metrics.runner.featureset",
    "ganforge.metrics.fid": "ganforge.metrics.measures.fid",
    "ganforge.metrics.gam": "ganforge.metrics.judges.gam",
    "ganforge.metrics.geometry": "ganforge.metrics.measures.geometry",
    "ganforge.metrics.inception_score": "ganforge.metrics.measures.inception_score",
    "ganforge.metrics.kernels": "ganforge.metrics.measures.kernels",
    "ganforge.metrics.kid": "ganforge.metrics.measures.kid",
    "ganforge.metrics.labelled": "ganforge.metrics.judges.labelled",
    "ganforge.metrics.lowlevel": "ganforge.metrics.measures.lowlevel",
    "ganforge.metrics.modes": "ganforge.metrics.measures.modes",
    "ganforge.metrics.ndb": "ganforge.metrics.measures.ndb",
    "ganforge.metrics.neighbours": "ganforge.metrics.measures.neighbours",
    "ganforge.metrics.nn_grid": "ganforge.metrics.measures.nn_grid",
    "ganforge.metrics.nrds": "ganforge.metrics.judges.nrds",
    "ganforge.metrics.paired": "ganforge.metrics.measures.paired",
    "ganforge.metrics.parzen": "ganforge.metrics.measures.parzen",
    "ganforge.metrics.plan": "ganforge.metrics.runner.plan",
    "ganforge.metrics.prd": "ganforge.metrics.measures.prd",
    "ganforge.metrics.prdc": "ganforge.metrics.measures.prdc",
    "ganforge.metrics.reconstruction": "ganforge.metrics.judges.reconstruction",
    "ganforge.metrics.reference": "ganforge.metrics.runner.reference",
    "ganforge.metrics.retrieval": "ganforge.metrics.measures.retrieval",
    "ganforge.metrics.select": "ganforge.metrics.runner.select",
    "ganforge.metrics.sharpness": "ganforge.metrics.measures.sharpness",
    "ganforge.metrics.sources": "ganforge.metrics.runner.sources",
    "ganforge.metrics.stats": "ganforge.metrics.measures.stats",
    "ganforge.metrics.suite": "ganforge.metrics.runner.suite",
    "ganforge.metrics.tournament": "ganforge.metrics.judges.tournament",
    "ganforge.metrics.translation": "ganforge.metrics.runner.translation",
    "ganforge.metrics.truncation": "ganforge.metrics.runner.truncation",
    "ganforge.metrics.two_domain": "ganforge.metrics.judges.two_domain",
    "ganforge.tune_storage": "ganforge.tune.storage",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import an old module path as the module that now lives at its new path."""

    def find_spec(
        self, name: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        """A spec for an old path; None for any other name (so it never shadows a module)."""
        return importlib.util.spec_from_loader(name, self) if name in _MOVED else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        """The new module itself, so attributes, patches and isinstance checks agree."""
        warnings.warn(
            f"{spec.name} moved to {_MOVED[spec.name]}; the old path goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(_MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the new module is already imported."""


sys.meta_path.append(_MovedModules())
