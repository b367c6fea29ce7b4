"""Image-to-image translation objectives (the Pix2Pix and CycleGAN recipes)."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

from ganforge.errors import ConfigError
from ganforge.losses.base import Logs, Loss, register
from ganforge.losses.penalties import Critic, GradScale

GanMode = Literal["vanilla", "lsgan"]


def gan_criterion(pred: torch.Tensor, target_is_real: bool, mode: str) -> torch.Tensor:
    """The translation codes' criterion: BCE with logits (vanilla) or MSE (lsgan) to 1 or 0."""
    target = torch.full_like(pred, 1.0 if target_is_real else 0.0)
    if mode == "lsgan":
        return F.mse_loss(pred, target)
    return F.binary_cross_entropy_with_logits(pred, target)


class TranslationLoss(Loss):
    """Adversarial part shared by Pix2Pix and CycleGAN: D objective halved, G aims at 'real'."""

    accepts_penalties = False  # the official objectives have none

    def __init__(self, gan_mode: str) -> None:
        self.gan_mode = gan_mode

    def d_loss(
        self, d: Critic, real: torch.Tensor, fake: torch.Tensor, grad_scale: GradScale = 1.0
    ) -> tuple[torch.Tensor, Logs]:
        """(criterion(D(real), 1) + criterion(D(fake), 0)) / 2."""
        r, f = d(real), d(fake.detach())
        loss = 0.5 * (
            gan_criterion(r, True, self.gan_mode) + gan_criterion(f, False, self.gan_mode)
        )
        return loss, {"d_real": r.mean().detach(), "d_fake": f.mean().detach()}

    def adversarial(self, d: Critic, fake: torch.Tensor) -> torch.Tensor:
        """The generator's adversarial term: criterion(D(fake), 1)."""
        return gan_criterion(d(fake), True, self.gan_mode)

    def g_loss(
        self, d: Critic, fake: torch.Tensor, real: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """The adversarial term alone (the recipes add their reconstruction terms)."""
        adv = self.adversarial(d, fake)
        return adv, {"g_gan": adv.detach()}


@register("pix2pix", recipe="pix2pix")
class Pix2PixLoss(TranslationLoss):
    """Pix2Pix (Isola et al. 2017): conditional GAN + l1_weight (100) * L1; D objective halved."""

    def __init__(self, *, gan_mode: GanMode = "vanilla", l1_weight: float = 100.0) -> None:
        if l1_weight < 0:
            raise ConfigError(f"loss.l1_weight must be >= 0, got {l1_weight}")
        super().__init__(gan_mode)
        self.l1_weight = l1_weight

    def g_loss(
        self, d: Critic, fake: torch.Tensor, real: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """criterion(D(fake), 1) + lambda * mean |fake - target|."""
        adv = self.adversarial(d, fake)
        l1 = (fake - real).abs().mean()
        loss = adv + self.l1_weight * l1
        return loss, {"g_loss": loss.detach(), "g_gan": adv.detach(), "g_l1": l1.detach()}


@register("cyclegan", recipe="cyclegan")
class CycleGANLoss(TranslationLoss):
    """CycleGAN (Zhu et al. 2017): LSGAN + cycle L1 (10) + identity L1 (0.5 x 10)."""

    def __init__(
        self,
        *,
        gan_mode: GanMode = "lsgan",
        cycle_weight: float = 10.0,
        identity_ratio: float = 0.5,
    ) -> None:
        if cycle_weight < 0 or identity_ratio < 0:
            raise ConfigError("loss.cycle_weight and loss.identity_ratio must be >= 0")
        super().__init__(gan_mode)
        self.cycle_weight, self.identity_ratio = cycle_weight, identity_ratio

    @property
    def identity_weight(self) -> float:
        """The identity term's weight: identity_ratio * cycle_weight (5 by default)."""
        return self.identity_ratio * self.cycle_weight
