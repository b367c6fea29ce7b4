"""The CycleGAN step: both generators on GAN + cycle + identity, then both D on pooled fakes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ganforge.config import Config
from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.registry import RECIPES
from ganforge.train.image_pool import ImagePool
from ganforge.train.optim import set_requires_grad
from ganforge.train.recipes.base import Preview
from ganforge.train.recipes.translation import TranslationRecipe, side_by_side
from ganforge.train.step_logs import Logs, log_value


def l1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference."""
    return (x - y).abs().mean()


@dataclass(frozen=True)
class PoolSchedule:
    """The image pools: D sees fakes drawn from the last ``pool_size`` generated (0: none)."""

    pool_size: int


def pool_schedule(*, pool_size: int = 50) -> PoolSchedule:
    """CycleGAN's schedule: an image pool of 50 fakes per discriminator (the paper's)."""
    if pool_size < 0:
        raise ConfigError(f"schedule.pool_size must be >= 0, got {pool_size}")
    return PoolSchedule(pool_size)


@RECIPES.register("cyclegan", evaluation="translation")  # held-out scores
class CycleGANRecipe(TranslationRecipe):
    """Two translators trained with cycle consistency on unpaired data (Zhu et al. 2017)."""

    loss_name = "cyclegan"
    make_schedule = staticmethod(pool_schedule)
    schedule: PoolSchedule

    def __init__(self, cfg: Config, info: DataInfo, device: torch.device) -> None:
        super().__init__(cfg, info, device)
        m = self.built
        self.g_ab, self.g_ba = self.place(m.g_ab), self.place(m.g_ba)
        self.d_a, self.d_b = self.place(m.d_a), self.place(m.d_b)
        self.models = {"g_ab": self.g_ab, "g_ba": self.g_ba, "d_a": self.d_a, "d_b": self.d_b}
        # training passes (DistributedDataParallel under torchrun); frozen D passes unwrapped
        for name, module in self.models.items():
            self.wrap(module, name)
        self.optimizers = {
            "g": self._optimizer([self.g_ab, self.g_ba], self.settings.lr_g),
            "d": self._optimizer([self.d_a, self.d_b], self.settings.lr_d),
        }
        if self.loss.identity_weight > 0 and info.extra["channels_a"] != info.channels:
            raise ConfigError(
                "the identity loss needs domains with the same number of channels; "
                "set loss.identity_ratio=0"
            )
        pool = self.schedule.pool_size
        self.pool_a, self.pool_b = ImagePool(pool), ImagePool(pool)

    def step(self, batches: list[dict[str, torch.Tensor]]) -> Logs:
        """One update of both generators, then one of both discriminators."""
        a = batches[0]["a"].to(self.device, non_blocking=True)
        b = batches[0]["b"].to(self.device, non_blocking=True)
        loss, autocast = self.loss, self.precision.autocast
        g_ab, g_ba = self.trained["g_ab"], self.trained["g_ba"]
        with autocast():
            fake_b, fake_a = g_ab(a), g_ba(b)
            rec_a, rec_b = g_ba(fake_b), g_ab(fake_a)
        set_requires_grad(self.d_a, False)
        set_requires_grad(self.d_b, False)
        with autocast():
            gan_ab, gan_ba = loss.adversarial(self.d_b, fake_b), loss.adversarial(self.d_a, fake_a)
            cycle_a, cycle_b = l1(rec_a, a), l1(rec_b, b)
            g_loss = gan_ab + gan_ba + loss.cycle_weight * (cycle_a + cycle_b)
            logs = {"g_gan_ab": gan_ab.detach(), "g_gan_ba": gan_ba.detach()}
            if loss.identity_weight > 0:
                idt_b, idt_a = l1(g_ab(b), b), l1(g_ba(a), a)
                g_loss = g_loss + loss.identity_weight * (idt_a + idt_b)
                logs.update(idt_a=idt_a.detach(), idt_b=idt_b.detach())
        logs.update(g_loss=g_loss.detach(), cycle_a=cycle_a.detach(), cycle_b=cycle_b.detach())
        logs = self.update("g", g_loss, logs)
        set_requires_grad(self.d_a, True)
        set_requires_grad(self.d_b, True)
        with autocast():
            d_b, logs_b = loss.d_loss(self.trained["d_b"], b, self.pool_b.query(fake_b.float()))
            d_a, logs_a = loss.d_loss(self.trained["d_a"], a, self.pool_a.query(fake_a.float()))
        d_logs = {
            "d_loss": (d_a + d_b).detach(),
            "d_a": d_a.detach(),
            "d_b": d_b.detach(),
            "d_real": 0.5 * (log_value(logs_a["d_real"]) + log_value(logs_b["d_real"])),
            "d_fake": 0.5 * (log_value(logs_a["d_fake"]) + log_value(logs_b["d_fake"])),
        }
        return {**logs, **self.update("d", d_a + d_b, d_logs)}

    def generators(self) -> dict[str, nn.Module]:
        """G_AB and G_BA."""
        return {"g_ab": self.g_ab, "g_ba": self.g_ba}

    @torch.no_grad()
    def preview(self, inputs: dict[str, torch.Tensor], generators: dict[str, nn.Module]) -> Preview:
        """Rows of (A, G_AB(A), G_BA(G_AB(A)), B, G_BA(B), G_AB(G_BA(B))) on held-out images."""
        g_ab, g_ba = generators["g_ab"], generators["g_ba"]
        fake_b, fake_a = g_ab.translate(inputs["a"]), g_ba.translate(inputs["b"])
        columns = [inputs["a"], fake_b, g_ba.translate(fake_b)]
        columns += [inputs["b"], fake_a, g_ab.translate(fake_a)]
        return side_by_side(columns, ["A", "A->B", "A->B->A", "B", "B->A", "B->A->B"])

    def extra_state(self) -> dict[str, Any]:
        """The two image pools."""
        return {"pool_a": self.pool_a.state_dict(), "pool_b": self.pool_b.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore the image pools."""
        if "pool_a" in state:
            self.pool_a.load_state_dict(state["pool_a"], self.device)
            self.pool_b.load_state_dict(state["pool_b"], self.device)
