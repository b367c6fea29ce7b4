"""The Loss base class: an adversarial pair, its documented optimiser defaults and penalties."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from ganforge.errors import ConfigError
from ganforge.losses.penalties import (
    Critic,
    CriticBatch,
    GeneratorBatch,
    GradScale,
    Penalty,
)
from ganforge.models.base import Discriminator
from ganforge.registry import LOSSES

Logs = dict[str, torch.Tensor | float]  # detached 0-d tensors: read back only when logged


@dataclass(frozen=True)
class OptimDefaults:
    """A loss's documented optimiser settings (used where the config leaves them null)."""

    name: str = "adam"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    eps: float = 1e-8
    n_critic: int = 1


class Loss:
    """An adversarial pair (a D objective and a G objective) plus penalties and hooks.

    ``default_penalty`` makes a loss name a preset of pair + penalties (``wgan-gp`` is the
    Wasserstein pair with ``gp``); ``loss.penalty`` replaces the list for any loss that
    ``accepts_penalties``. ``d_loss`` adds every discriminator-side penalty; the recipe's
    generator hook adds the generator-side ones through ``regularise_generator``.
    """

    d_output: ClassVar[str] = "score"  # "reconstruction" for auto-encoder discriminators
    optim: ClassVar[OptimDefaults] = OptimDefaults()
    pair: ClassVar[tuple[Callable[..., torch.Tensor], Callable[..., torch.Tensor]]]
    default_penalty: ClassVar[tuple[str, ...]] = ()
    accepts_penalties: ClassVar[bool] = True
    estimates_wasserstein: ClassVar[bool] = False  # log E[D(x)] - E[D(G(z))] as "wasserstein"
    penalties: tuple[Penalty, ...] = ()

    def with_penalties(self, penalties: Sequence[Penalty]) -> Loss:
        """This loss with ``penalties`` (in config order) added to its objectives."""
        if penalties and not self.accepts_penalties:
            raise ConfigError(f"loss {self.name!r} takes no penalties")
        self.penalties = tuple(penalties)
        return self

    def d_loss(
        self, d: Critic, real: torch.Tensor, fake: torch.Tensor, grad_scale: GradScale = 1.0
    ) -> tuple[torch.Tensor, Logs]:
        """Discriminator objective on a real and a (detached) fake batch, penalties included;
        ``grad_scale`` is the mixed-precision loss scale the gradient penalties use."""
        r, f = d(real), d(fake.detach())
        loss = self.pair[0](r, f)
        logs = {"d_real": r.mean().detach(), "d_fake": f.mean().detach()}
        if self.estimates_wasserstein:
            logs["wasserstein"] = (r.mean() - f.mean()).detach()
        batch = CriticBatch(d, real, fake.detach(), r, f, grad_scale)
        for penalty in self.penalties:
            if penalty.side == "d":
                value = penalty.value(batch)
                loss = loss + penalty.weight * value
                logs[penalty.name] = value.detach()
        logs["d_loss"] = loss.detach()
        return loss, logs

    def g_loss(
        self, d: Critic, fake: torch.Tensor, real: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """Generator objective on a fake batch."""
        loss = self.pair[1](d(fake))
        return loss, {"g_loss": loss.detach()}

    def regularise_generator(self, batch: GeneratorBatch) -> tuple[torch.Tensor | None, Logs]:
        """The weighted sum of the generator-side penalties (None when there are none)."""
        total, logs = None, {}
        for penalty in self.penalties:
            if penalty.side == "g":
                value = penalty.value(batch)
                term = penalty.weight * value
                total = term if total is None else total + term
                logs[penalty.name] = value.detach()
        return total, logs

    def after_d_step(self, d: nn.Module) -> None:
        """Called after each discriminator update (weight clipping lives here)."""

    def check(self, d: Discriminator) -> None:
        """Reject a discriminator this loss's penalties cannot work with (from its declared
        attributes)."""
        if not d.batch_statistics:
            return
        for penalty in self.penalties:
            if penalty.side == "d" and penalty.per_sample:
                raise ConfigError(
                    f"penalty {penalty.name!r} of loss {self.name!r} penalises per-sample "
                    "gradients, which the discriminator's batch statistics break: set "
                    "model.d_norm to one of none, layer, spectral"
                )

    @property
    def name(self) -> str:
        """The registered name."""
        return type(self).registered_name  # type: ignore[attr-defined]

    def state_dict(self) -> dict[str, Any]:
        """Mutable loss state (BEGAN's k_t)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore state_dict."""


def register(name: str, **meta: Any) -> Callable[[type[Loss]], type[Loss]]:
    """Register a Loss class under ``name`` and remember that name on the class.

    ``recipe=...`` in ``meta`` ties a loss to the one recipe that can train with it.
    """

    def decorate(cls: type[Loss]) -> type[Loss]:
        cls.registered_name = name  # type: ignore[attr-defined]
        return LOSSES.register(name, **meta)(cls)

    return decorate
