"""The semi-supervised GAN recipe (Salimans et al. 2016; Odena 2016).

D (``models/sgan.py``) is a K+1-way classifier whose score is logsumexp of its K logits; any
adversarial loss trains it on all training images and on fakes (with the non-saturating or
minimax pair this is exactly Salimans et al.'s unsupervised loss), and ``class_weight`` times
the cross-entropy on a batch of the ``labelled`` images (a class-balanced subset of the training
split, fixed by ``train.seed``) adds the supervised loss. Beside it, the same classifier is
trained on the labelled images alone with the same optimiser (``baseline``). Both are scored on
the dataset's held-out test split every ``ACCURACY_EVERY`` steps and logged as ``test_acc`` and
``baseline_acc`` (the last value between measurements; drawn in the report).

The generator minimises the loss's generator objective, or with ``g_objective:
feature-matching`` Salimans et al.'s feature matching: a distance between the batch means of D's
last hidden features (the trunk's output, which the K logits read) on real images and on fakes,
``fm_distance: l2`` the paper's squared L2 norm, ``l1`` the mean absolute difference of the
authors' CIFAR-10 and SVHN scripts (openai/improved-gan).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F

from ganforge import config as config_mod
from ganforge.config import Config
from ganforge.data import build_dataset
from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.trunk import TrunkDiscriminator
from ganforge.registry import DATASETS, RECIPES
from ganforge.train.distributed import ForwardOf
from ganforge.train.optim import make_optimizer
from ganforge.train.recipes.auxiliary import AuxiliaryRecipe, Tap
from ganforge.train.recipes.gan import build_gan_models
from ganforge.train.step_logs import Logs

ACCURACY_EVERY = 100  # steps between held-out accuracy measurements
GObjective = Literal["loss", "feature-matching"]
FMDistance = Literal["l2", "l1"]


def feature_matching(
    real: torch.Tensor, fake: torch.Tensor, distance: FMDistance = "l2"
) -> torch.Tensor:
    """Salimans et al.'s feature matching between the batch means of two (N, F) feature batches,
    in float32: ``l2`` is ``||mean(real) - mean(fake)||_2^2`` (the paper), ``l1`` the mean over
    the F features of ``|mean(real) - mean(fake)|`` (improved-gan's CIFAR-10 and SVHN code)."""
    diff = real.float().mean(0) - fake.float().mean(0)
    if distance == "l1":
        return diff.abs().mean()
    return diff.square().sum()


def labelled_subset(labels: torch.Tensor, count: int, n_classes: int, seed: int) -> torch.Tensor:
    """Indices of ``count`` examples, ``count // n_classes`` per class (the first classes get
    one more when it does not divide), drawn with ``seed``."""
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    chosen = []
    for c in range(n_classes):
        want = count // n_classes + (1 if c < count % n_classes else 0)
        of_class = order[labels[order] == c]
        if len(of_class) < want:
            raise ConfigError(
                f"schedule.labelled={count} asks for {want} labelled images of class {c}, "
                f"but the training split has {len(of_class)}"
            )
        chosen.append(of_class[:want])
    return torch.cat(chosen).sort().values


@torch.no_grad()
def classifier_accuracy(d: TrunkDiscriminator, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Share of ``x`` whose arg-max logit is ``y`` (in eval mode; the mode is restored)."""
    was_training = d.training
    d.eval()
    try:
        predicted = torch.cat([d.heads(part)[1].argmax(1) for part in x.split(500)])
    finally:
        d.train(was_training)
    return (predicted == y).float().mean()


@RECIPES.register("sgan")
class SGANRecipe(AuxiliaryRecipe):
    """GAN recipe whose discriminator is also a classifier, with a supervised-only baseline."""

    @staticmethod
    def make_schedule(
        *,
        labelled: int = 100,
        class_weight: float = 1.0,
        g_objective: GObjective = "loss",
        fm_distance: FMDistance = "l2",
    ) -> dict[str, Any]:
        """``labelled``: labelled training images (class-balanced); ``class_weight``: weight of
        their cross-entropy in D's objective; ``g_objective``: the generator minimises the
        loss's objective (``loss``) or matches D's mean features (``feature-matching``), by
        ``fm_distance``: ``l2`` (squared L2 norm, the paper) or ``l1`` (mean absolute
        difference, the authors' CIFAR-10/SVHN code)."""
        return {
            "labelled": labelled,
            "class_weight": class_weight,
            "g_objective": g_objective,
            "fm_distance": fm_distance,
        }

    def __init__(self, cfg: Config, info: DataInfo, device: torch.device) -> None:
        super().__init__(cfg, info, device)
        params = {**config_mod.defaults(DATASETS.get(cfg.data.name)), **cfg.data.params}
        if params.get("split") != "train":
            raise ConfigError(
                "sgan reports its classifier's accuracy on the held-out test split, so it trains "
                "on the training split: set data.split=train"
            )
        train = build_dataset(cfg.data.name, params)
        test = build_dataset(cfg.data.name, {**params, "split": "test"})
        index = labelled_subset(
            train.labels, self.schedule["labelled"], info.n_classes, cfg.train.seed
        )
        self.labelled_x = self._images(train, index)
        self.labelled_y = train.labels[index].to(device)
        self.test_x = self._images(test, torch.arange(len(test)))
        self.test_y = test.labels.to(device)
        self.baseline = build_gan_models(cfg, info).d.to(device)
        self.models["baseline"] = self.baseline
        self.baseline_train = self.wrap(ForwardOf(self.baseline, "heads"))  # type: ignore[arg-type]
        self.optimizers["baseline"] = make_optimizer(
            self.baseline.parameters(), self.settings, self.settings.lr_d
        )
        self.steps_done = 0
        self.accuracy: dict[str, torch.Tensor] = {}

    def _images(self, dataset: Any, index: torch.Tensor) -> torch.Tensor:
        return dataset.real_uint8(index).float().div(127.5).sub(1.0).to(self.device)

    def _labelled_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch (with replacement) of labelled images, as large as the training batch."""
        pick = torch.randint(len(self.labelled_y), (self.cfg.train.batch_size,))
        pick = pick.to(self.device)
        return self.labelled_x[pick], self.labelled_y[pick]

    def d_extra(
        self,
        tap: Tap,
        real: torch.Tensor,
        fake: torch.Tensor,
        y: torch.Tensor | None,
        y_fake: torch.Tensor | None,
    ) -> tuple[torch.Tensor, Logs]:
        """w * the K-way cross-entropy of a batch of labelled images (supervised loss)."""
        x, labels = self._labelled_batch()
        ce = F.cross_entropy(tap.aux(x).float(), labels)
        return self.schedule["class_weight"] * ce, {"class_ce": ce.detach()}

    def g_objective(
        self, fake: torch.Tensor, real: torch.Tensor, y: torch.Tensor | None
    ) -> tuple[torch.Tensor, Logs]:
        """The loss's generator objective, or feature matching on D's last hidden features
        (the real batch is the last critic update's; D is frozen, its real features constant)."""
        if self.schedule["g_objective"] == "loss":
            return super().g_objective(fake, real, y)
        d: TrunkDiscriminator = self.d  # type: ignore[assignment]
        trunk = self.critic(d.trunk)  # the augmented images, under train.augment
        with torch.no_grad():
            target = trunk(real).flatten(1)
        loss = feature_matching(target, trunk(fake).flatten(1), self.schedule["fm_distance"])
        return loss, {"g_loss": loss.detach()}

    def step(self, batches: list[dict[str, torch.Tensor]]) -> Logs:
        """The GAN step, one baseline update on labelled images, the held-out accuracies."""
        logs = super().step(batches)
        x, labels = self._labelled_batch()
        with self.precision.autocast():
            ce = F.cross_entropy(self.baseline_train(x)[1].float(), labels)
        logs.update(self.update("baseline", ce, {"baseline_ce": ce.detach()}))
        if self.steps_done % ACCURACY_EVERY == 0:
            self.accuracy = {
                "test_acc": classifier_accuracy(self.d, self.test_x, self.test_y),  # type: ignore[arg-type]
                "baseline_acc": classifier_accuracy(self.baseline, self.test_x, self.test_y),  # type: ignore[arg-type]
            }
        self.steps_done += 1
        logs.update(self.accuracy)
        return logs
