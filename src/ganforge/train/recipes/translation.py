"""What the Pix2Pix and CycleGAN recipes share: optimisers, schedule, held-out data, previews."""

from __future__ import annotations

import itertools
import logging

import torch
from torch import nn

from ganforge.config import Config
from ganforge.data.base import DataInfo
from ganforge.data.translation import held_out_dataset, to_unit
from ganforge.errors import ConfigError
from ganforge.losses import TranslationLoss
from ganforge.train.optim import lr_factor, make_optimizer, resolve_optim, set_lr
from ganforge.train.recipes.base import Preview, Recipe
from ganforge.train.recipes.gan import build_gan_models, build_loss

log = logging.getLogger("ganforge.train")


def side_by_side(columns: list[torch.Tensor], captions: list[str]) -> Preview:
    """One grid row per example with the given columns (1-channel images shown as gray RGB)."""
    channels = max(c.shape[1] for c in columns)
    columns = [c.expand(-1, channels, -1, -1) for c in columns]
    cells = torch.stack(columns, 1).flatten(0, 1)
    labels = captions + [""] * (len(cells) - len(captions))
    return Preview(cells, labels, nrow=len(columns))


class TranslationRecipe(Recipe):
    """Base for image-to-image recipes: one generator optimiser ("g") and one for D ("d")."""

    loss_name: str = ""

    def __init__(self, cfg: Config, info: DataInfo, device: torch.device) -> None:
        super().__init__(cfg, info, device)
        self.loss = build_loss(cfg)
        if not isinstance(self.loss, TranslationLoss) or cfg.loss.name != self.loss_name:
            raise ConfigError(
                f"model {cfg.model.name} trains with loss.name={self.loss_name} "
                f"(got {cfg.loss.name!r})"
            )
        self.settings = resolve_optim(cfg.optim, self.loss.optim)
        if self.settings.n_critic != 1:
            raise ConfigError("the translation recipes take one D step per G step (optim.n_critic)")
        self.built = build_gan_models(cfg, info)
        self.held_out = held_out_dataset(cfg.data.name, cfg.data.params, info)
        if not info.extra.get("held_out"):
            log.warning("dataset %s has no held-out split; previews use training images", info.name)

    def _optimizer(self, modules: list[nn.Module], lr: float) -> torch.optim.Optimizer:
        params = itertools.chain(*(m.parameters() for m in modules))
        return make_optimizer(params, self.settings, lr)

    def set_progress(self, phase: int, fraction: float, overall: float) -> None:
        """Constant learning rate, then linear decay to 0 (optim.lr_schedule=linear-decay)."""
        factor = lr_factor(self.settings.lr_schedule, overall, self.settings.decay_start)
        set_lr(self.optimizers["g"], self.settings.lr_g * factor)
        set_lr(self.optimizers["d"], self.settings.lr_d * factor)

    def fixed_inputs(self, n: int, seed: int) -> dict[str, torch.Tensor]:
        """``n`` held-out examples chosen with ``seed`` (repeated if there are fewer)."""
        gen = torch.Generator().manual_seed(seed)
        count = len(self.held_out.a)
        order = torch.randperm(count, generator=gen).repeat(n // count + 1)[:n]
        return {"a": to_unit(self.held_out.a[order]), "b": to_unit(self.held_out.b[order])}

    @torch.no_grad()
    def sample(self, n: int, generators: dict[str, nn.Module], seed: int) -> torch.Tensor:
        """Translations of the first ``n`` held-out sources (cycling), deterministic in ``seed``."""
        torch.manual_seed(seed)
        first = next(iter(generators.values()))
        index = torch.arange(n) % len(self.held_out.a)
        return first.translate(self.held_out.a[index])

    def resolved_config(self) -> dict[str, dict[str, object]]:
        """The optimiser settings actually used."""
        return {"optim": self.settings.as_config()}
