"""The Pix2Pix step: D on (source, target) vs (source, G(source)), then G on GAN + L1."""

from __future__ import annotations

import torch
from torch import nn

from ganforge.config import Config
from ganforge.data.base import DataInfo
from ganforge.registry import RECIPES
from ganforge.train.optim import set_requires_grad
from ganforge.train.recipes.base import Preview
from ganforge.train.recipes.translation import TranslationRecipe, side_by_side
from ganforge.train.step_logs import Logs


@RECIPES.register("pix2pix", evaluation="translation")  # held-out scores
class Pix2PixRecipe(TranslationRecipe):
    """Conditional GAN with L1 on paired data (Isola et al. 2017)."""

    loss_name = "pix2pix"

    def __init__(self, cfg: Config, info: DataInfo, device: torch.device) -> None:
        super().__init__(cfg, info, device)
        self.g, self.d = self.place(self.built.g), self.place(self.built.d)
        self.models = {"g": self.g, "d": self.d}
        self.wrap(self.g, "g")
        self.wrap(self.d, "d")
        self.optimizers = {
            "g": self._optimizer([self.g], self.settings.lr_g),
            "d": self._optimizer([self.d], self.settings.lr_d),
        }

    def step(self, batches: list[dict[str, torch.Tensor]]) -> Logs:
        """One D update, then one G update, on a batch of pairs."""
        a = batches[0]["a"].to(self.device, non_blocking=True)
        b = batches[0]["b"].to(self.device, non_blocking=True)
        autocast = self.precision.autocast
        with autocast():
            fake = self.trained["g"](a)

        def critic(x: torch.Tensor, d: nn.Module = self.trained["d"]) -> torch.Tensor:
            return d(torch.cat([a, x], 1))

        with autocast():
            d_loss, logs = self.loss.d_loss(critic, b, fake.detach())
        logs = self.update("d", d_loss, {"d_loss": d_loss.detach(), **logs})
        set_requires_grad(self.d, False)  # frozen and unwrapped: nothing to all-reduce
        with autocast():
            g_loss, g_logs = self.loss.g_loss(lambda x: critic(x, self.d), fake, b)
        g_logs = self.update("g", g_loss, g_logs)
        set_requires_grad(self.d, True)
        return {**logs, **g_logs}

    def generators(self) -> dict[str, nn.Module]:
        """The U-Net."""
        return {"g": self.g}

    @torch.no_grad()
    def preview(self, inputs: dict[str, torch.Tensor], generators: dict[str, nn.Module]) -> Preview:
        """Rows of (input, output, target) on held-out pairs."""
        torch.manual_seed(0)
        out = generators["g"].translate(inputs["a"])
        return side_by_side([inputs["a"], out, inputs["b"]], ["input", "output", "target"])
