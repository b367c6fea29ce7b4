"""Adversarial losses and penalties, selected by name.

Each loss is a pair of pure functions of discriminator outputs (``*_d`` and ``*_g``; means over
the batch, so they can be pinned to hand-computed values) wrapped in a small class that adds its
penalty, its documented optimiser defaults, weight clipping or BEGAN's equilibrium state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.errors import ConfigError
from ganforge.registry import LOSSES

Critic = Callable[[torch.Tensor], torch.Tensor]
Logs = dict[str, float]

# ---------------------------------------------------------------------------------------------
# pure pairs: functions of the discriminator's outputs on real (r) and fake (f) samples


def minimax_d(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """-E[log D(x)] - E[log(1 - D(G(z)))] with D = sigmoid(logit)."""
    return F.softplus(-r).mean() + F.softplus(f).mean()


def minimax_g(f: torch.Tensor) -> torch.Tensor:
    """E[log(1 - D(G(z)))]: the original, saturating generator objective (minimised)."""
    return -F.softplus(f).mean()


def nonsaturating_g(f: torch.Tensor) -> torch.Tensor:
    """-E[log D(G(z))]: the non-saturating generator objective."""
    return F.softplus(-f).mean()


def least_squares_d(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """LSGAN (a=0, b=1): 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]."""
    return 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f**2).mean()


def least_squares_g(f: torch.Tensor) -> torch.Tensor:
    """LSGAN (c=1): 1/2 E[(D(G(z)) - 1)^2]."""
    return 0.5 * ((f - 1) ** 2).mean()


def wasserstein_d(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """E[D(G(z))] - E[D(x)]: the negated critic estimate of the Wasserstein-1 distance."""
    return f.mean() - r.mean()


def wasserstein_g(f: torch.Tensor) -> torch.Tensor:
    """-E[D(G(z))] (also the hinge generator loss)."""
    return -f.mean()


def hinge_d(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]."""
    return F.relu(1 - r).mean() + F.relu(1 + f).mean()


# ---------------------------------------------------------------------------------------------
# penalties


def _grad_norms(d: Critic, x: torch.Tensor) -> torch.Tensor:
    """||grad_x D(x)||_2 per discriminator output (per pack when D packs samples)."""
    x = x.detach().requires_grad_(True)
    with torch.autocast(x.device.type, enabled=False):
        out = d(x.float())
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return grad.reshape(out.numel(), -1).norm(2, dim=1)


def _mix_weights(x: torch.Tensor) -> torch.Tensor:
    return torch.rand(len(x), *([1] * (x.ndim - 1)), device=x.device, dtype=x.dtype)


def gradient_penalty(
    d: Critic, real: torch.Tensor, fake: torch.Tensor, center: float = 1.0
) -> torch.Tensor:
    """WGAN-GP: E[(||grad D(x_hat)|| - center)^2] on random interpolates of real and fake."""
    eps = _mix_weights(real)
    x_hat = eps * real.detach() + (1 - eps) * fake.detach()
    return ((_grad_norms(d, x_hat) - center) ** 2).mean()


def dragan_penalty(
    d: Critic, real: torch.Tensor, scale: float = 0.5, center: float = 1.0
) -> torch.Tensor:
    """DRAGAN: the same penalty around real data perturbed by ``scale * std(x) * U[0, 1]``."""
    real = real.detach()
    perturbed = real + scale * real.std() * torch.rand_like(real)
    x_hat = real + _mix_weights(real) * (perturbed - real)
    return ((_grad_norms(d, x_hat) - center) ** 2).mean()


def r1_penalty(d: Critic, real: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): E[||grad D(x)||^2] on real data (times gamma / 2 by caller)."""
    return (_grad_norms(d, real) ** 2).mean()


# ---------------------------------------------------------------------------------------------
# losses by name


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
    """Base class: a D objective, a G objective, and hooks. Subclasses set the pair."""

    d_output: ClassVar[str] = "score"  # "reconstruction" for auto-encoder discriminators
    optim: ClassVar[OptimDefaults] = OptimDefaults()
    forbid_d_norm: ClassVar[frozenset[str]] = frozenset()
    pair: ClassVar[tuple[Callable[..., torch.Tensor], Callable[..., torch.Tensor]]]

    def d_loss(
        self, d: Critic, real: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """Discriminator objective on a real and a (detached) fake batch."""
        r, f = d(real), d(fake.detach())
        loss = self.pair[0](r, f)
        return loss, {"d_loss": loss.item(), "d_real": r.mean().item(), "d_fake": f.mean().item()}

    def g_loss(
        self, d: Critic, fake: torch.Tensor, real: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """Generator objective on a fake batch."""
        loss = self.pair[1](d(fake))
        return loss, {"g_loss": loss.item()}

    def after_d_step(self, d: nn.Module) -> None:
        """Called after each discriminator update (weight clipping lives here)."""

    def forbidden_d_norms(self) -> frozenset[str]:
        """Discriminator normalisations this loss cannot work with."""
        return self.forbid_d_norm

    def check(self, model_params: dict[str, Any]) -> None:
        """Reject model settings this loss cannot work with."""
        norm = model_params.get("d_norm")
        if norm in self.forbidden_d_norms():
            raise ConfigError(
                f"loss {self.name!r} penalises per-sample gradients, which batch statistics "
                f"break: set model.d_norm to one of none, layer, spectral (got {norm!r})"
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


def non_negative(key: str, value: float) -> float:
    """``value`` if it is >= 0, else a ConfigError naming ``key``."""
    if value < 0:
        raise ConfigError(f"{key}={value} must be >= 0")
    return value


def register(name: str, **meta: Any) -> Callable[[type[Loss]], type[Loss]]:
    """Register a Loss class under ``name`` and remember that name on the class.

    ``recipe=...`` in ``meta`` ties a loss to the one recipe that can train with it.
    """

    def decorate(cls: type[Loss]) -> type[Loss]:
        cls.registered_name = name  # type: ignore[attr-defined]
        return LOSSES.register(name, **meta)(cls)

    return decorate


@register("minimax")
class Minimax(Loss):
    """Original GAN objective with the saturating generator loss (Goodfellow et al. 2014)."""

    pair = (minimax_d, minimax_g)


@register("non-saturating")
class NonSaturating(Loss):
    """Original discriminator, -log D(G(z)) for the generator; optional R1 penalty (gamma)."""

    pair = (minimax_d, nonsaturating_g)

    def __init__(self, *, r1_gamma: float = 0.0) -> None:
        self.r1_gamma = non_negative("loss.r1_gamma", r1_gamma)

    def forbidden_d_norms(self) -> frozenset[str]:
        """R1, like the other gradient penalties, is per sample: no batch norm in D."""
        return frozenset({"batch"}) if self.r1_gamma > 0 else frozenset()

    def d_loss(
        self, d: Critic, real: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """Logistic loss plus gamma/2 * R1 when r1_gamma > 0."""
        loss, logs = super().d_loss(d, real, fake)
        if self.r1_gamma > 0:
            r1 = r1_penalty(d, real)
            loss = loss + 0.5 * self.r1_gamma * r1
            logs["r1"] = r1.item()
        return loss, logs


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

    def __init__(self, *, clip: float = 0.01) -> None:
        if clip <= 0:
            raise ConfigError(f"loss.clip must be positive, got {clip}")
        self.clip = clip

    def d_loss(
        self, d: Critic, real: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """Critic loss; its negation estimates the Wasserstein distance."""
        loss, logs = super().d_loss(d, real, fake)
        logs["wasserstein"] = -logs["d_loss"]
        return loss, logs

    def after_d_step(self, d: nn.Module) -> None:
        """Clip every critic parameter to [-clip, clip]."""
        with torch.no_grad():
            for p in d.parameters():
                p.clamp_(-self.clip, self.clip)


@register("wgan-gp")
class WassersteinGP(Loss):
    """WGAN-GP (Gulrajani et al. 2017): lambda 10, Adam 1e-4 betas (0, 0.9), 5 critic steps."""

    pair = (wasserstein_d, wasserstein_g)
    optim = OptimDefaults("adam", 1e-4, 1e-4, (0.0, 0.9), 1e-8, 5)
    forbid_d_norm = frozenset({"batch"})

    def __init__(self, *, gp_weight: float = 10.0, center: float = 1.0, drift: float = 0.0) -> None:
        self.gp_weight = non_negative("loss.gp_weight", gp_weight)
        self.center = non_negative("loss.center", center)
        self.drift = non_negative("loss.drift", drift)

    def d_loss(
        self, d: Critic, real: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """Critic loss + lambda * GP (+ drift * E[D(x)^2], ProGAN's epsilon term)."""
        r, f = d(real), d(fake.detach())
        gp = gradient_penalty(d, real, fake, self.center)
        loss = wasserstein_d(r, f) + self.gp_weight * gp
        logs = {"wasserstein": (r.mean() - f.mean()).item(), "gp": gp.item()}
        if self.drift:
            loss = loss + self.drift * (r**2).mean()
        logs["d_loss"] = loss.item()
        return loss, logs


@register("dragan")
class Dragan(Loss):
    """DRAGAN (Kodali et al. 2017): minimax loss + lambda 10 penalty around perturbed real data."""

    pair = (minimax_d, nonsaturating_g)
    forbid_d_norm = frozenset({"batch"})

    def __init__(
        self, *, gp_weight: float = 10.0, perturb: float = 0.5, center: float = 1.0
    ) -> None:
        self.gp_weight = non_negative("loss.gp_weight", gp_weight)
        self.perturb = non_negative("loss.perturb", perturb)
        self.center = non_negative("loss.center", center)

    def d_loss(
        self, d: Critic, real: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """Logistic loss + lambda * DRAGAN penalty (gradient norms pulled towards ``center``)."""
        loss, logs = super().d_loss(d, real, fake)
        penalty = dragan_penalty(d, real, self.perturb, self.center)
        logs["penalty"] = penalty.item()
        return loss + self.gp_weight * penalty, logs


def reconstruction_error(ae: Critic, x: torch.Tensor) -> torch.Tensor:
    """BEGAN's L(v) = mean |v - D(v)| (pixel-wise L1, averaged over the batch)."""
    return (x - ae(x)).abs().mean()


@register("began")
class Began(Loss):
    """BEGAN (Berthelot et al. 2017): auto-encoder D, equilibrium k_t, convergence M_global."""

    d_output = "reconstruction"
    optim = OptimDefaults("adam", 1e-4, 1e-4, (0.5, 0.999), 1e-8, 1)

    def __init__(self, *, gamma: float = 0.5, lambda_k: float = 0.001, k0: float = 0.0) -> None:
        if not 0 < gamma <= 1:
            raise ConfigError(f"loss.gamma (diversity ratio) must be in (0, 1], got {gamma}")
        self.gamma, self.lambda_k, self.k = gamma, lambda_k, k0

    def d_loss(
        self, d: Critic, real: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """L(x) - k_t L(G(z)); updates k_t and logs M_global."""
        l_real = reconstruction_error(d, real)
        l_fake = reconstruction_error(d, fake.detach())
        loss = l_real - self.k * l_fake
        balance = (self.gamma * l_real - l_fake).item()
        m_global = l_real.item() + abs(balance)
        logs = {
            "d_loss": loss.item(),
            "l_real": l_real.item(),
            "l_fake": l_fake.item(),
            "k": self.k,
            "m_global": m_global,
        }
        self.k = min(max(self.k + self.lambda_k * balance, 0.0), 1.0)
        return loss, logs

    def g_loss(
        self, d: Critic, fake: torch.Tensor, real: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """L(G(z))."""
        loss = reconstruction_error(d, fake)
        return loss, {"g_loss": loss.item()}

    def state_dict(self) -> dict[str, Any]:
        """k_t."""
        return {"k": self.k}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore k_t."""
        self.k = float(state["k"])


# ---------------------------------------------------------------------------------------------
# image-to-image translation objectives (the Pix2Pix and CycleGAN recipes)

GanMode = Literal["vanilla", "lsgan"]


def gan_criterion(pred: torch.Tensor, target_is_real: bool, mode: str) -> torch.Tensor:
    """The translation codes' criterion: BCE with logits (vanilla) or MSE (lsgan) to 1 or 0."""
    target = torch.full_like(pred, 1.0 if target_is_real else 0.0)
    if mode == "lsgan":
        return F.mse_loss(pred, target)
    return F.binary_cross_entropy_with_logits(pred, target)


class TranslationLoss(Loss):
    """Adversarial part shared by Pix2Pix and CycleGAN: D objective halved, G aims at 'real'."""

    def __init__(self, gan_mode: str) -> None:
        self.gan_mode = gan_mode

    def d_loss(
        self, d: Critic, real: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """(criterion(D(real), 1) + criterion(D(fake), 0)) / 2."""
        r, f = d(real), d(fake.detach())
        loss = 0.5 * (
            gan_criterion(r, True, self.gan_mode) + gan_criterion(f, False, self.gan_mode)
        )
        return loss, {"d_real": r.mean().item(), "d_fake": f.mean().item()}

    def adversarial(self, d: Critic, fake: torch.Tensor) -> torch.Tensor:
        """The generator's adversarial term: criterion(D(fake), 1)."""
        return gan_criterion(d(fake), True, self.gan_mode)

    def g_loss(
        self, d: Critic, fake: torch.Tensor, real: torch.Tensor
    ) -> tuple[torch.Tensor, Logs]:
        """The adversarial term alone (the recipes add their reconstruction terms)."""
        adv = self.adversarial(d, fake)
        return adv, {"g_gan": adv.item()}


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
        return loss, {"g_loss": loss.item(), "g_gan": adv.item(), "g_l1": l1.item()}


@register("cyclegan", recipe="cyclegan")
class CycleGANLoss(TranslationLoss):
    """CycleGAN (Zhu et al. 2017): LSGAN + cycle L1 (10) + identity L1 (0.5 x 10); pools of 50."""

    def __init__(
        self,
        *,
        gan_mode: GanMode = "lsgan",
        cycle_weight: float = 10.0,
        identity_ratio: float = 0.5,
        pool_size: int = 50,
    ) -> None:
        if cycle_weight < 0 or identity_ratio < 0 or pool_size < 0:
            raise ConfigError(
                "loss.cycle_weight, loss.identity_ratio and loss.pool_size must be >= 0"
            )
        super().__init__(gan_mode)
        self.cycle_weight, self.identity_ratio, self.pool_size = (
            cycle_weight,
            identity_ratio,
            pool_size,
        )

    @property
    def identity_weight(self) -> float:
        """The identity term's weight: identity_ratio * cycle_weight (5 by default)."""
        return self.identity_ratio * self.cycle_weight
