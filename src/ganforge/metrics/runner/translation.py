"""Held-out evaluation of translators against the do-nothing (identity) baseline.

Paired tasks: L1, PSNR, SSIM and sharpness difference between translations and targets, next
to the same measures for the untranslated inputs. Unpaired tasks: the rate at which a domain
classifier assigns translations to the target domain (next to the inputs' rate and real target
images' rate), the cycle reconstruction error in both directions, and FID in the classifier's
feature space to the target domain. Images are compared as 8-bit images scaled to [0, 1], as
they would be saved.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from ganforge.config import Config
from ganforge.data import build_dataset
from ganforge.data.base import DataInfo
from ganforge.data.grid import to_uint8
from ganforge.data.translation import TranslationDataset, held_out_dataset
from ganforge.device import resolve_device
from ganforge.errors import ConfigError
from ganforge.metrics.judges.two_domain import DomainClassifier, domain_classifier, matched_channels
from ganforge.metrics.measures import paired as measures
from ganforge.metrics.measures.fid import fid
from ganforge.models.base import Translator
from ganforge.runs import load

log = logging.getLogger("ganforge.metrics")

Distance = Callable[[torch.Tensor, torch.Tensor], float]
# reference scores are reported as "<measure>_identity" (untranslated inputs) and "<measure>_real"
# (real target images), next to the model's "<measure>"
REFERENCES = ("identity", "real")


def feature_fid(fake: torch.Tensor, real: torch.Tensor) -> float:
    """FID between two sets of features (here the two-domain classifier's pooled features)."""
    return fid(real.double().numpy(), fake.double().numpy())


def _unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 or [-1, 1] float images as float64 in [0, 1] (floats rounded to 8 bits first)."""
    if images.dtype != torch.uint8:
        images = to_uint8(images)
    return images.double() / 255.0


def image_scores(pred: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """Mean L1, PSNR, SSIM and sharpness difference of predictions against targets."""
    x, y = _unit(pred), _unit(target)
    return {
        "l1": measures.l1(x, y).mean().item(),
        "psnr": measures.psnr(x, y).mean().item(),
        "ssim": measures.ssim(x, y).mean().item(),
        "sharp_diff": measures.sharpness_difference(x, y).mean().item(),
    }


def paired_scores(g: Translator, data: TranslationDataset, seed: int = 0) -> dict[str, float]:
    """Scores of g(A) against B and of the identity baseline (A itself) on held-out pairs.

    ``seed`` drives test-time dropout (through a local generator).
    """
    out = image_scores(g.translate(data.a, generator=torch.Generator().manual_seed(seed)), data.b)
    identity = matched_channels(data.a, data.b.shape[1])
    out.update({f"{k}_identity": v for k, v in image_scores(identity, data.b).items()})
    return out


def unpaired_scores(
    g_ab: Translator,
    g_ba: Translator,
    data: TranslationDataset,
    classifier: DomainClassifier,
    distance: Distance | None = feature_fid,
    seed: int = 0,
    train: TranslationDataset | None = None,
) -> dict[str, float]:
    """Target-domain rates, cycle errors and (with ``distance``) feature distances, both ways.

    ``distance(features, target_features)`` compares classifier features of two image sets (by
    default FID on them); it is reported for translations and for the untranslated inputs, and
    with ``train`` for the training images of the target domain (a real-vs-real reference).
    ``seed`` drives test-time dropout (through a local generator).
    """
    gen = torch.Generator().manual_seed(seed)
    a, b = data.a, data.b
    fake_b, fake_a = g_ab.translate(a, generator=gen), g_ba.translate(b, generator=gen)
    rec_a, rec_b = g_ba.translate(fake_b, generator=gen), g_ab.translate(fake_a, generator=gen)

    def rate_b(images: torch.Tensor) -> float:
        return classifier.prob_b(images).gt(0.5).double().mean().item()

    out = {
        "target_rate_ab": rate_b(fake_b),
        "target_rate_ab_identity": rate_b(a),
        "target_rate_ab_real": rate_b(b),
        "target_rate_ba": 1.0 - rate_b(fake_a),
        "target_rate_ba_identity": 1.0 - rate_b(b),
        "target_rate_ba_real": 1.0 - rate_b(a),
        "cycle_l1_a": measures.l1(_unit(rec_a), _unit(a)).mean().item(),
        "cycle_l1_b": measures.l1(_unit(rec_b), _unit(b)).mean().item(),
    }
    if distance is not None and min(len(a), len(b)) < 2:
        log.warning(
            "feature distances need 2 or more held-out images per domain (have %d and %d); "
            "FID to the target domain is left out",
            len(a),
            len(b),
        )
    elif distance is not None:
        fa, fb = classifier.embed(a), classifier.embed(b)
        out["fid_ab"] = distance(classifier.embed(fake_b), fb)
        out["fid_ab_identity"] = distance(fa, fb)
        out["fid_ba"] = distance(classifier.embed(fake_a), fa)
        out["fid_ba_identity"] = distance(fb, fa)
        if train is not None and min(len(train.a), len(train.b)) >= 2:
            out["fid_ab_real"] = distance(classifier.embed(train.b), fb)
            out["fid_ba_real"] = distance(classifier.embed(train.a), fa)
    return out


class TranslationEvaluator:
    """Held-out scores of a paired ("g") or unpaired ("g_ab", "g_ba") translator.

    The engine's evaluator for translation runs (every ``eval.every`` steps and at the end) and
    what ``ganforge translate-eval`` runs. The held-out split is built from the run's dataset
    settings; for an unpaired task the training collections (``train``, when the caller has
    them, else built without jitter) and the domain classifier trained on them are prepared once.
    """

    def __init__(
        self,
        cfg: Config,
        info: DataInfo,
        train: TranslationDataset | None = None,
        distance: Distance | None = feature_fid,
    ) -> None:
        if cfg.eval.metrics:
            raise ConfigError(
                "eval.metrics does not apply to translation runs: their held-out scores "
                "(see docs/translation.md) are computed at every evaluation; set eval.metrics=[]"
            )
        self.cfg, self.info, self.train, self.distance = cfg, info, train, distance
        self.held_out: TranslationDataset | None = None
        self.classifier: DomainClassifier | None = None

    def prepare(self) -> None:
        """Build the held-out split (and for unpaired tasks the domain classifier)."""
        if self.held_out is not None:
            return
        data = self.cfg.data
        self.held_out = held_out_dataset(data.name, data.params, self.info)
        if self.info.kind == "unpaired":
            if self.train is None:
                train = build_dataset(data.name, {**data.params, "jitter": False})
                assert isinstance(train, TranslationDataset)
                self.train = train
            self.classifier = domain_classifier(self.train.a, self.train.b)

    def scores(self, generators: dict[str, nn.Module]) -> dict[str, float]:
        """Scores of the translators, next to the baselines, with ``eval.seed`` for dropout."""
        self.prepare()
        assert self.held_out is not None
        seed = self.cfg.eval.seed
        if self.info.kind == "paired":
            return paired_scores(generators["g"], self.held_out, seed)  # type: ignore[arg-type]
        assert self.classifier is not None
        return unpaired_scores(
            generators["g_ab"],  # type: ignore[arg-type]
            generators["g_ba"],  # type: ignore[arg-type]
            self.held_out,
            self.classifier,
            self.distance,
            seed,
            self.train,
        )

    def __call__(
        self, step: int, sample_fn: Callable[[int], torch.Tensor], generators: dict[str, nn.Module]
    ) -> dict[str, float]:
        """The engine's evaluator hook: scores of the (EMA) generators it hands over."""
        return self.scores(generators)

    def finish(self, run: Path) -> None:
        """Nothing to add after a run: every evaluation already scored the held-out split."""


def evaluate_run(
    path: str | Path, use_ema: bool = True, out: str | Path | None = None
) -> dict[str, float]:
    """Held-out scores of a Pix2Pix/CycleGAN run or checkpoint next to the identity baseline;
    also written as JSON to ``out`` (default: ``translation-eval-stepN.json`` in the run)."""
    model = load(path, device=resolve_device("auto"), use_ema=use_ema)
    model.translator("AtoB")  # a clear error for a model that does not translate
    scores = TranslationEvaluator(model.config, model.info).scores(model.generators)
    if out is None:
        run = model.checkpoint.parent
        run = run.parent if run.name == "checkpoints" else run
        out = run / f"translation-eval-step{model.step}.json"
    record = {"checkpoint": str(model.checkpoint), "step": model.step, **scores}
    Path(out).write_text(json.dumps(record, indent=1) + "\n")
    return scores


def table(scores: dict[str, float]) -> list[tuple[str, str, str, str]]:
    """Printable rows (measure, model, identity baseline, real target; blank where not measured)."""
    suffixes = tuple(f"_{name}" for name in REFERENCES)
    rows = []
    for measure in (k for k in scores if not k.endswith(suffixes)):
        cells = [scores.get(measure + suffix) for suffix in ("", *suffixes)]
        model, identity, real = (f"{v:.4f}" if v is not None else "" for v in cells)
        rows.append((measure, model, identity, real))
    return rows
