"""The adversarial losses by name, each with its paper's optimiser defaults; the loss names that
carry a penalty (``wgan-gp``, ``dragan``) are presets of a pair and that penalty."""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from ganforge.errors import ConfigError
from ganforge.losses.base import Logs, Loss, OptimDefaults, register
from ganforge.losses.pairs import (
    hinge_d,
    least_squares_d,
    least_squares_g,
    minimax_d,
    minimax_g,
    nonsaturating_g,
    wasserstein_d,
    wasserstein_g,
)
from ganforge.losses.penalties import Critic, GradScale


@register("minimax")
class Minimax(Loss):
    """Original GAN objective with the saturating generator loss (Goodfellow et al. 2014)."""

    pair = (minimax_d, minimax_g)


@register("non-saturating")
class NonSaturating(Loss):
    """Original discriminator, -log D(G(z)) for the generator (add R1 with loss.penalty=r1)."""

    pair = (minimax_d, nonsaturating_g)


@register("least-squares")
class LeastSquares(Loss):
    """LSGAN (Mao et al. 2017) with targets a=0, b=1, c=1."""

    pair = (least_squares_d, least_squares_g)


@register("hinge")
class Hinge(Loss):
    """Hinge loss (Lim & Ye 2017; used by SAGAN and BigGAN)."""

    pair = (hinge_d, wasserstein_g)


@register("wgan")
class Wasserstein(Loss):
    """WGAN with weight clipping (Arjovsky et al. 2017): RMSprop 5e-5, 5 critic steps, clip 0.01."""

    pair = (wasserstein_d, wasserstein_g)
    optim = OptimDefaults("rmsprop", 5e-5, 5e-5, (0.0, 0.0), 1e-8, 5)
    estimates_wasserstein = True

    def __init__(self, *, clip: float = 0.01) -> None:
        if clip <= 0:
            raise ConfigError(f"loss.clip must be positive, got {clip}")
        self.clip = clip

    def after_d_step(self, d: nn.Module) -> None:
        """Clip every critic parameter to [-clip, clip]."""
        with torch.no_grad():
            for p in d.parameters():
                p.clamp_(-self.clip, self.clip)


@register("wgan-gp")
class WassersteinGP(Loss):
    """WGAN-GP (Gulrajani et al. 2017): Wasserstein + gp (lambda 10); Adam 1e-4, 5 critic steps.

    A preset of the Wasserstein pair and the gp penalty, with the paper's Adam betas (0, 0.9).
    """

    pair = (wasserstein_d, wasserstein_g)
    optim = OptimDefaults("adam", 1e-4, 1e-4, (0.0, 0.9), 1e-8, 5)
    default_penalty = ("gp",)
    estimates_wasserstein = True


@register("dragan")
class Dragan(Loss):
    """DRAGAN (Kodali et al. 2017): the minimax pair + the dragan penalty (lambda 10)."""

    pair = (minimax_d, nonsaturating_g)
    default_penalty = ("dragan",)


def reconstruction_error(ae: Critic, x: torch.Tensor) -> torch.Tensor:
    """BEGAN's L(v) = mean |v - D(v)| (pixel-wise L1, averaged over the batch)."""
    return (x - ae(x)).abs().mean()


def mean_over_ranks(value: torch.Tensor) -> float:
    """``value`` as a float, averaged over the processes under torchrun (each holds the mean
    over its equal share of the batch, so this is the global batch's mean): state that every
    rank updates from its own batch (BEGAN's k_t) stays the same on every rank."""
    value = value.detach().float()
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        value = value.clone()
        dist.all_reduce(value)
        value /= dist.get_world_size()
    return value.item()


@register("began")
class Began(Loss):
    """BEGAN (Berthelot et al. 2017): auto-encoder D, equilibrium k_t, convergence M_global."""

    d_output = "reconstruction"
    optim = OptimDefaults("adam", 1e-4, 1e-4, (0.5, 0.999), 1e-8, 1)
    accepts_penalties = False  # its D reconstructs; the gradient penalties expect scores

    def __init__(self, *, gamma: float = 0.5, lambda_k: float = 0.001, k0: float = 0.0) -> None:
        if not 0 < gamma <= 1:
            raise ConfigError(f"loss.gamma (diversity ratio) must be in (0, 1], got {gamma}")
        self.gamma, self.lambda_k, self.k = gamma, lambda_k, k0

    def d_loss(
        self, d: Critic, real: torch.Tensor, fake: torch.Tensor, grad_scale: GradScale = 1.0
    ) -> tuple[torch.Tensor, Logs]:
        """L(x) - k_t L(G(z)); updates k_t and logs M_global."""
        l_real = reconstruction_error(d, real)
        l_fake = reconstruction_error(d, fake.detach())
        loss = l_real - self.k * l_fake
        balance = mean_over_ranks(self.gamma * l_real - l_fake)  # k_t: a host float, one sync
        logs = {
            "d_loss": loss.detach(),
            "l_real": l_real.detach(),
            "l_fake": l_fake.detach(),
            "k": self.k,
            "m_global": l_real.detach().double() + abs(balance),
        }
        self.k = min(max(self.k + self.lambda_k * balance, 0.0), 1.0)
        return loss, logs

    def g_loss(
        self, d: Critic, fake: torch.Tensor, real: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """L(G(z))."""
        loss = reconstruction_error(d, fake)
        return loss, {"g_loss": loss.detach()}

    def state_dict(self) -> dict[str, Any]:
        """k_t."""
        return {"k": self.k}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore k_t."""
        self.k = float(state["k"])
