"""The ACGAN recipe (Odena et al. 2017): any adversarial loss plus class cross-entropy.

D minimises adversarial + w * (CE(C(x), y) + CE(C(G(z, y)), y)); G minimises adversarial
+ w * CE(C(G(z, y)), y), where C is D's class head and w is ``schedule.class_weight`` (the
paper's L_C enters both players with weight 1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganforge.registry import RECIPES
from ganforge.train.recipes.auxiliary import AuxiliaryRecipe, Tap
from ganforge.train.step_logs import Logs


@RECIPES.register("acgan")
class ACGANRecipe(AuxiliaryRecipe):
    """GAN recipe whose objectives add the auxiliary classifier's cross-entropy."""

    @staticmethod
    def make_schedule(*, class_weight: float = 1.0) -> dict[str, float]:
        """``class_weight``: the weight of the class cross-entropy in both objectives."""
        return {"class_weight": class_weight}

    def d_extra(
        self,
        tap: Tap,
        real: torch.Tensor,
        fake: torch.Tensor,
        y: torch.Tensor | None,
        y_fake: torch.Tensor | None,
    ) -> tuple[torch.Tensor, Logs]:
        """w * (CE on the real batch + CE on the fake batch, each with its own classes)."""
        assert y is not None and y_fake is not None
        real_logits = tap.aux(real).float()
        ce_real = F.cross_entropy(real_logits, y)
        ce_fake = F.cross_entropy(tap.aux(fake).float(), y_fake)
        accuracy = (real_logits.argmax(1) == y).float().mean()
        logs = {
            "class_real": ce_real.detach(),
            "class_fake": ce_fake.detach(),
            "class_acc_real": accuracy.detach(),
        }
        return self.schedule["class_weight"] * (ce_real + ce_fake), logs

    def g_extra(
        self, tap: Tap, fake: torch.Tensor, y: torch.Tensor | None
    ) -> tuple[torch.Tensor | None, Logs]:
        """w * CE of the fakes' classes."""
        assert y is not None
        ce = F.cross_entropy(tap.aux(fake).float(), y)
        return self.schedule["class_weight"] * ce, {"class_g": ce.detach()}
