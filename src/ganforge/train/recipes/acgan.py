"""The ACGAN recipe (Odena et al. 2017): any adversarial loss plus class cross-entropy.

D minimises adversarial + w * (CE(C(x), y) + CE(C(G(z, y)), y)); G minimises adversarial
+ w * CE(C(G(z, y)), y), where C is D's class head and w is ``schedule.class_weight`` (the
paper's L_C enters both players with weight 1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganforge.registry import RECIPES
from ganforge.train.recipes.auxiliary import Tap
from ganforge.train.recipes.gan import GANRecipe
from ganforge.train.step_logs import Logs


@RECIPES.register("acgan")
class ACGANRecipe(GANRecipe):
    """GAN recipe whose objectives add the auxiliary classifier's cross-entropy."""

    @staticmethod
    def make_schedule(*, class_weight: float = 1.0) -> dict[str, float]:
        """``class_weight``: the weight of the class cross-entropy in both objectives."""
        return {"class_weight": class_weight}

    def d_objective(
        self,
        real: torch.Tensor,
        fake: torch.Tensor,
        y: torch.Tensor | None,
        scale: torch.Tensor | float,
    ) -> tuple[torch.Tensor, Logs]:
        """Adversarial loss (with penalties) + w * (CE on real + CE on fake)."""
        assert y is not None
        tap = Tap(self.d)  # type: ignore[arg-type]
        loss, logs = self.loss.d_loss(tap, real, fake, scale)
        real_logits = tap.aux(real).float()
        ce_real = F.cross_entropy(real_logits, y)
        ce_fake = F.cross_entropy(tap.aux(fake).float(), y)
        loss = loss + self.schedule["class_weight"] * (ce_real + ce_fake)
        accuracy = (real_logits.argmax(1) == y).float().mean()
        logs.update(
            class_real=ce_real.detach(),
            class_fake=ce_fake.detach(),
            class_acc_real=accuracy.detach(),
            d_loss=loss.detach(),
        )
        return loss, logs

    def g_objective(
        self, fake: torch.Tensor, real: torch.Tensor, y: torch.Tensor | None
    ) -> tuple[torch.Tensor, Logs]:
        """Adversarial loss + w * CE of the fakes' classes."""
        assert y is not None
        tap = Tap(self.d)  # type: ignore[arg-type]
        loss, logs = self.loss.g_loss(tap, fake, real)
        ce = F.cross_entropy(tap.aux(fake).float(), y)
        loss = loss + self.schedule["class_weight"] * ce
        logs.update(class_g=ce.detach(), g_loss=loss.detach())
        return loss, logs
