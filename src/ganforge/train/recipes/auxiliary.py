"""What the recipes of discriminators with an auxiliary head share (ACGAN, InfoGAN, SGAN).

The adversarial loss and its penalties call the discriminator as an ordinary critic; ``Tap``
is that critic, running the trunk once per call and keeping the auxiliary outputs of each
input, so the class (or code) terms reuse the pass the loss made instead of a second one.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ganforge.config import Config
from ganforge.data.base import DataInfo
from ganforge.train.distributed import ForwardOf
from ganforge.train.recipes.gan import GANRecipe
from ganforge.train.step_logs import Logs

Heads = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


class Tap:
    """A critic callable (score only) that remembers the auxiliary outputs per input tensor."""

    def __init__(self, heads: Heads) -> None:
        self.heads = heads
        self.seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """D's scores of ``x``; its auxiliary outputs are kept."""
        score, aux = self.heads(x)
        self.seen.append((x, aux))
        return score

    def aux(self, x: torch.Tensor) -> torch.Tensor:
        """The auxiliary outputs of ``x`` (or of a tensor sharing its storage, such as
        ``x.detach()``) from a call the loss made; a fresh pass if the loss made none."""
        for seen, aux in self.seen:
            if seen.data_ptr() == x.data_ptr() and seen.shape == x.shape:
                return aux
        return self.heads(x)[1]


class AuxiliaryRecipe(GANRecipe):
    """The GAN recipe whose objectives add a term read from D's auxiliary head: subclasses say
    what the term is (``d_extra``, ``g_extra``) and see the loss's own passes through a Tap.
    The discriminator's updates go through ``heads_train`` (DistributedDataParallel under
    torchrun); the generator's call D's frozen heads directly, as the GAN recipe does."""

    def __init__(self, cfg: Config, info: DataInfo, device: torch.device) -> None:
        super().__init__(cfg, info, device)
        self.heads_train: Heads = self.wrap(ForwardOf(self.d, "heads"), model="d")  # type: ignore[arg-type]

    def d_extra(
        self,
        tap: Tap,
        real: torch.Tensor,
        fake: torch.Tensor,
        y: torch.Tensor | None,
        y_fake: torch.Tensor | None,
    ) -> tuple[torch.Tensor, Logs]:
        """The term added to the discriminator's objective (real labels ``y``, the fakes'
        classes ``y_fake``), and its logs."""
        raise NotImplementedError

    def g_extra(
        self, tap: Tap, fake: torch.Tensor, y: torch.Tensor | None
    ) -> tuple[torch.Tensor | None, Logs]:
        """The term added to the generator's objective (None: none), and its logs."""
        return None, {}

    def d_objective(
        self,
        real: torch.Tensor,
        fake: torch.Tensor,
        y: torch.Tensor | None,
        scale: torch.Tensor | float,
        y_fake: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, Logs]:
        """The loss's pair and penalties plus ``d_extra``."""
        tap = Tap(self.critic(self.heads_train, real))
        loss, logs = self.loss.d_loss(tap, real, fake, scale)
        term, extra = self.d_extra(tap, real, fake, y, y if y_fake is None else y_fake)
        loss = loss + term
        logs.update(extra, d_loss=loss.detach())
        return loss, logs

    def g_objective(
        self, fake: torch.Tensor, real: torch.Tensor, y: torch.Tensor | None
    ) -> tuple[torch.Tensor, Logs]:
        """The loss's generator objective plus ``g_extra``."""
        tap = Tap(self.critic(self.d.heads))  # type: ignore[attr-defined]
        loss, logs = self.loss.g_loss(tap, fake, real)
        term, extra = self.g_extra(tap, fake, y)
        if term is not None:
            loss = loss + term
            logs.update(extra, g_loss=loss.detach())
        return loss, logs
