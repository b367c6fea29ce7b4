"""Measures between several runs: GAM battles, tournaments with discriminators as judges, NRDS.

This module loads runs (generators, discriminators) and real data and hands plain arrays to the
pure measures in ``gam``, ``tournament`` and ``nrds``.

A discriminator calls an image real when its output is above its loss's decision threshold
(logit 0 for the logistic and hinge losses, 0.5 for least squares). Critics without one (wgan,
wgan-gp) call an image real when they score it above the median of their scores on held-out
real images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.config import Choice
from ganforge.data import build_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics.judges.gam import Battle, battle
from ganforge.metrics.judges.nrds import NRDS, nrds
from ganforge.metrics.judges.tournament import Standing, standings
from ganforge.metrics.runner.base import jsonable
from ganforge.metrics.runner.evaluate import floor_pair, sample_model
from ganforge.metrics.runner.featureset import extract
from ganforge.metrics.runner.plan import build_extractor, default_extractor
from ganforge.metrics.runner.reference import choose, real_side, samples_of
from ganforge.runs import Loaded, LoadedCritic, load, load_discriminator

THRESHOLDS = {  # the loss's own boundary between "real" and "fake" outputs
    "minimax": 0.0,
    "non-saturating": 0.0,
    "dragan": 0.0,
    "hinge": 0.0,
    "least-squares": 0.5,
}
MEDIAN_RULE = ("wgan", "wgan-gp")
BATCH = 256


@dataclass
class Images:
    """uint8 NCHW images (or float points) with their class labels (None: unlabelled)."""

    x: torch.Tensor
    y: np.ndarray | None = None


def held_out(model: Loaded, n: int, seed: int) -> Images:
    """Up to ``n`` held-out real images of a run's dataset (its test split, or a second draw)."""
    choice: Choice = floor_pair(model.config.data)[1]
    dataset = build_dataset(choice.name, choice.params)
    index = choose(len(dataset), n, seed)
    labels = getattr(dataset, "labels", None)
    return Images(samples_of(dataset, index), None if labels is None else np.asarray(labels)[index])


def generated(model: Loaded, n: int, seed: int) -> Images:
    """``n`` uint8 samples of a run with their conditioning labels (class-balanced)."""
    labels = model.g.labels(n)  # the conditioning labels the one sampler used (None: none)
    return Images(sample_model(model, n, seed), None if labels is None else labels.numpy())


@dataclass
class Judge:
    """A run's discriminator as a judge of images."""

    name: str
    critic: LoadedCritic
    threshold: float = 0.0

    @torch.no_grad()
    def scores(self, images: Images) -> np.ndarray:
        """The discriminator's outputs (one per pack of ``pack`` images)."""
        d = self.critic.d
        conditional = self.critic.conditional
        if conditional and images.y is None:
            raise GanforgeError(
                f"{self.name}'s discriminator is class-conditional but the images it judges "
                "have no labels: compare conditional runs with conditional runs"
            )
        pack = d.pack
        device = next(d.parameters()).device
        batch = max(pack, BATCH // pack * pack)
        usable = len(images.x) // pack * pack
        out = []
        for start in range(0, usable, batch):
            x = images.x[start : min(start + batch, usable)]
            x = x.float().div(127.5).sub(1.0) if x.dtype == torch.uint8 else x.float()
            y = None
            if conditional:
                y = torch.as_tensor(images.y[start : start + len(x)]).to(device)  # type: ignore[index]
            out.append(d(x.to(device), y).float().flatten().cpu())
        return torch.cat(out).numpy().astype(np.float64)

    def calls_real(self, images: Images) -> np.ndarray:
        """True for each output above the decision threshold."""
        return self.scores(images) > self.threshold


def judge(source: str | Path, real: Images, device: str = "auto") -> Judge:
    """The discriminator of a run with its decision threshold (see the module docstring)."""
    critic = load_discriminator(source, device)
    made = Judge(str(source), critic)
    if critic.loss in THRESHOLDS:
        made.threshold = THRESHOLDS[critic.loss]
    elif critic.loss in MEDIAN_RULE:
        made.threshold = float(np.median(made.scores(real)))
    else:
        raise GanforgeError(
            f"{source} was trained with loss {critic.loss!r}, whose discriminator gives no "
            f"real/fake verdict; judges need one of {', '.join([*THRESHOLDS, *MEDIAN_RULE])}"
        )
    return made


def _same_data(models: Sequence[Loaded], sources: Sequence[str | Path]) -> None:
    shapes = {tuple(m.info.shape) for m in models}
    if len(shapes) > 1:
        listed = ", ".join(f"{s}: {m.info.shape}" for s, m in zip(sources, models))
        raise GanforgeError(f"the runs generate samples of different shapes ({listed})")
    for source, model in zip(sources, models):
        if model.info.kind not in ("image", "points"):
            raise GanforgeError(
                f"{source} translates images ({model.info.kind} data); these measures compare "
                "GAN runs that sample images or points"
            )


@dataclass
class Contest:
    """A contest's result, its inputs and where its JSON went."""

    kind: str
    runs: list[str]
    result: Battle | Standing | NRDS
    settings: dict[str, Any] = field(default_factory=dict)
    json_path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return jsonable(
            {"measure": self.kind, "runs": self.runs, **self.settings, **asdict(self.result)}
        )


def _write(contest: Contest, json_path: str | Path | None) -> Contest:
    if json_path is not None:
        import json

        path = Path(json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(contest.to_dict(), indent=1))
        contest.json_path = path
    return contest


def gam_battle(
    run_a: str | Path,
    run_b: str | Path,
    n: int = 1000,
    seed: int = 0,
    tolerance: float = 0.1,
    json_path: str | Path | None = None,
) -> Contest:
    """GAM: each run's discriminator judges held-out real images and the other's samples."""
    models = [load(run_a), load(run_b)]
    _same_data(models, [run_a, run_b])
    real = held_out(models[0], n, seed)
    a, b = judge(run_a, real), judge(run_b, real)
    fake_a, fake_b = generated(models[0], n, seed), generated(models[1], n, seed + 1)
    result = battle(
        a.calls_real(real),
        b.calls_real(real),
        a.calls_real(fake_b),
        b.calls_real(fake_a),
        tolerance,
    )
    settings = {"n": n, "seed": seed, "tolerance": tolerance, "n_test": len(real.x)}
    return _write(Contest("gam", [str(run_a), str(run_b)], result, settings), json_path)


def run_tournament(
    sources: Sequence[str | Path],
    n: int = 500,
    seed: int = 0,
    real: bool = True,
    json_path: str | Path | None = None,
) -> Contest:
    """Every discriminator judges ``n`` samples of every generator (and held-out real images)."""
    if len(sources) < 2:
        raise GanforgeError("a tournament needs two runs or more")
    models = [load(s) for s in sources]
    _same_data(models, sources)
    test = held_out(models[0], n, seed)
    judges = [judge(s, test) for s in sources]
    players = [generated(m, n, seed + i) for i, m in enumerate(models)]
    names = [str(s) for s in sources]
    if real:
        players.append(test)
        names.append("real data")
    fooled = np.array([[j.calls_real(p).sum() for j in judges] for p in players])
    games = np.array([[len(j.scores(p)) for j in judges] for p in players])
    standing = standings(
        fooled, games, [f"G {s}" for s in names], [f"D {s}" for s in sources], seed=seed
    )
    settings = {"n": n, "seed": seed, "real_player": real}
    return _write(Contest("tournament", [str(s) for s in sources], standing, settings), json_path)


def run_nrds(
    sources: Sequence[str | Path],
    n: int = 1000,
    seed: int = 0,
    epochs: int = 20,
    extractor: str | None = None,
    json_path: str | Path | None = None,
) -> Contest:
    """NRDS of several runs against their (shared) training data, on extracted features."""
    if len(sources) < 2:
        raise GanforgeError("NRDS compares two runs or more")
    models = [load(s) for s in sources]
    _same_data(models, sources)
    first = models[0]
    if extractor in (None, "auto"):
        chosen, _ = default_extractor(first.info, first.config.data.params)
    else:
        chosen = build_extractor(extractor)  # type: ignore[arg-type]
    real = real_side(None, first.config.data, first.info, chosen, n, seed)
    fakes = [
        extract(chosen, sample_model(m, n, seed + i), {"source": str(s)}).get("features", "nrds")
        for i, (m, s) in enumerate(zip(models, sources))
    ]
    result = nrds(real.get("features", "nrds"), fakes, epochs=epochs, seed=seed)
    settings = {"n": n, "seed": seed, "epochs": epochs, "extractor": chosen.name}
    return _write(Contest("nrds", [str(s) for s in sources], result, settings), json_path)
