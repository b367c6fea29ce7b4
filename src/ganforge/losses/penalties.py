"""Penalties: regularisers that compose with any adversarial pair, selected by name.

``loss.penalty`` lists them (one name or a list) and each one's parameters are set under its
prefix (``loss.r1_gamma``, ``loss.gp_weight``, ``loss.gp_center``, ``loss.dragan_perturb``,
``loss.drift_weight``, ...). A penalty on the discriminator's side is added to its objective in
every critic step; one on the generator's side (``side = "g"``, e.g. BigGAN's orthogonal
regularisation or StyleGAN2's path length) is added by the recipe's generator hook.

Gradient penalties are exact under mixed precision: D runs in the ambient autocast, its output
is multiplied by the loss scale before the input gradient is taken (so small gradients do not
underflow in float16) and the gradient is divided by it afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
from torch import nn

from ganforge.errors import ConfigError
from ganforge.registry import PENALTIES

Critic = Callable[[torch.Tensor], torch.Tensor]
GradScale = torch.Tensor | float  # the mixed-precision loss scale (1.0 without a grad scaler)

# ---------------------------------------------------------------------------------------------
# the penalties as functions (pinned to hand-computed values by the tests)


def _grad_norms(d: Critic, x: torch.Tensor, grad_scale: GradScale = 1.0) -> torch.Tensor:
    """||grad_x D(x)||_2 per discriminator output (per pack when D packs samples)."""
    x = x.detach().requires_grad_(True)
    out = d(x)
    total = out.float().sum()  # summed in float32, like a loss (a no-op without autocast)
    scaled = not (isinstance(grad_scale, float) and grad_scale == 1.0)
    if scaled:
        total = total * grad_scale  # small input gradients stay representable in float16
    (grad,) = torch.autograd.grad(total, x, create_graph=True)
    if scaled:
        grad = grad.float() / grad_scale  # unscale in float32: the penalty itself is not scaled
    return grad.reshape(out.numel(), -1).norm(2, dim=1)


def _mix_weights(x: torch.Tensor) -> torch.Tensor:
    return torch.rand(len(x), *([1] * (x.ndim - 1)), device=x.device, dtype=x.dtype)


def gradient_penalty(
    d: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    center: float = 1.0,
    grad_scale: GradScale = 1.0,
) -> torch.Tensor:
    """WGAN-GP: E[(||grad D(x_hat)|| - center)^2] on random interpolates of real and fake."""
    eps = _mix_weights(real)
    x_hat = eps * real.detach() + (1 - eps) * fake.detach()
    return ((_grad_norms(d, x_hat, grad_scale) - center) ** 2).mean()


def dragan_penalty(
    d: Critic,
    real: torch.Tensor,
    scale: float = 0.5,
    center: float = 1.0,
    grad_scale: GradScale = 1.0,
) -> torch.Tensor:
    """DRAGAN: the same penalty around real data perturbed by ``scale * std(x) * U[0, 1]``."""
    real = real.detach()
    perturbed = real + scale * real.std() * torch.rand_like(real)
    x_hat = real + _mix_weights(real) * (perturbed - real)
    return ((_grad_norms(d, x_hat, grad_scale) - center) ** 2).mean()


def r1_penalty(d: Critic, real: torch.Tensor, grad_scale: GradScale = 1.0) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): E[||grad D(x)||^2] on real data (times gamma / 2 by caller)."""
    return (_grad_norms(d, real, grad_scale) ** 2).mean()


def r2_penalty(d: Critic, fake: torch.Tensor, grad_scale: GradScale = 1.0) -> torch.Tensor:
    """R2 (Mescheder et al. 2018): E[||grad D(G(z))||^2] on generated data (times gamma / 2)."""
    return (_grad_norms(d, fake, grad_scale) ** 2).mean()


# ---------------------------------------------------------------------------------------------
# the penalties by name


@dataclass
class CriticBatch:
    """What a discriminator-side penalty may look at in one critic step."""

    d: Critic
    real: torch.Tensor
    fake: torch.Tensor  # detached
    real_scores: torch.Tensor
    fake_scores: torch.Tensor
    grad_scale: GradScale = 1.0


@dataclass
class GeneratorBatch:
    """What a generator-side regulariser may look at in one generator step."""

    g: nn.Module
    z: torch.Tensor
    y: torch.Tensor | None
    fake: torch.Tensor  # with its graph
    grad_scale: GradScale = 1.0


def penalty_prefix(name: str) -> str:
    """The prefix of a penalty's keys in the loss section: ``gp`` -> ``gp_`` (``gp_weight``)."""
    return name.replace("-", "_") + "_"


def non_negative(key: str, value: float) -> float:
    """``value`` if it is >= 0, else a ConfigError naming ``key``."""
    if value < 0:
        raise ConfigError(f"{key}={value} must be >= 0")
    return value


class Penalty:
    """A weighted regulariser: ``weight * value(batch)`` is added to one side's objective.

    ``side``: ``"d"`` (a CriticBatch, every critic step) or ``"g"`` (a GeneratorBatch, every
    generator step); ``per_sample``: it takes per-sample input gradients, which batch statistics
    in D break; ``double_backward``: its value has a gradient of that side's network in it (so
    ``torch.compile``, which has no double backward, leaves that network eager). The log shows
    the unweighted value under the penalty's name.
    """

    side: ClassVar[Literal["d", "g"]] = "d"
    per_sample: ClassVar[bool] = False
    double_backward: ClassVar[bool] = False  # it differentiates its network's input gradient
    weight: float = 1.0

    @property
    def name(self) -> str:
        """The registered name."""
        return type(self).registered_name  # type: ignore[attr-defined]

    def key(self, param: str) -> str:
        """The config key of one of this penalty's parameters (for error messages)."""
        return f"loss.{penalty_prefix(self.name)}{param}"

    def value(self, batch: Any) -> torch.Tensor:
        """The unweighted penalty."""
        raise NotImplementedError

    def after_d_step(self) -> None:
        """Called after each discriminator update (a lazy penalty counts them)."""

    def state_dict(self) -> dict[str, Any]:
        """Mutable state (a lazy penalty's update count)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore state_dict."""


def register(name: str) -> Callable[[type[Penalty]], type[Penalty]]:
    """Register a Penalty class under ``name`` (its keys in the loss section: ``name_param``)."""

    def decorate(cls: type[Penalty]) -> type[Penalty]:
        cls.registered_name = name  # type: ignore[attr-defined]
        return PENALTIES.register(name, side=cls.side)(cls)

    return decorate


@register("r1")
class R1(Penalty):
    """R1 (Mescheder et al. 2018): gamma (10) / 2 * E||grad D(x)||^2 on real data.

    ``every`` = N > 1 makes it lazy (StyleGAN2's ``r1_every``): the penalty runs on every N-th
    discriminator update only (the first included), scaled by N so that its average weight is
    unchanged, and contributes nothing (no double backward) on the others.
    """

    per_sample = True
    double_backward = True

    def __init__(self, *, gamma: float = 10.0, every: int = 1) -> None:
        self.gamma = non_negative(self.key("gamma"), gamma)
        if every < 1:
            raise ConfigError(f"{self.key('every')}={every} must be >= 1")
        self.every = every
        self.weight = 0.5 * self.gamma
        self.d_steps = 0  # discriminator updates done

    def value(self, batch: CriticBatch) -> torch.Tensor:
        """E||grad D(x)||^2 on the real batch (times ``every`` on the updates it runs, 0 on
        the others)."""
        if self.d_steps % self.every:
            return batch.real_scores.new_zeros((), dtype=torch.float32)
        plain = self.plain(batch)
        return plain * self.every if self.every > 1 else plain

    def plain(self, batch: CriticBatch) -> torch.Tensor:
        """The eager penalty, E||grad D(x)||^2 on the real batch."""
        return r1_penalty(batch.d, batch.real, batch.grad_scale)

    def after_d_step(self) -> None:
        """Count a discriminator update."""
        self.d_steps += 1

    def state_dict(self) -> dict[str, Any]:
        """The update count (which updates the lazy penalty runs on)."""
        return {"d_steps": self.d_steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the update count."""
        self.d_steps = int(state.get("d_steps", 0))


@register("r2")
class R2(R1):
    """R2 (Mescheder et al. 2018): gamma (10) / 2 * E||grad D(G(z))||^2 on generated data."""

    def plain(self, batch: CriticBatch) -> torch.Tensor:
        """E||grad D(G(z))||^2 on the fake batch."""
        return r2_penalty(batch.d, batch.fake, batch.grad_scale)


@register("gp")
class GradientPenalty(Penalty):
    """WGAN-GP (Gulrajani et al. 2017): weight (10) * E(||grad D|| - center)^2 on interpolates.

    The gradients are taken at random interpolates x_hat = eps x + (1 - eps) G(z) of real and
    fake samples (eps uniform per sample).
    """

    per_sample = True
    double_backward = True

    def __init__(self, *, weight: float = 10.0, center: float = 1.0) -> None:
        self.weight = non_negative(self.key("weight"), weight)
        self.center = non_negative(self.key("center"), center)

    def value(self, batch: CriticBatch) -> torch.Tensor:
        """The interpolate penalty."""
        return gradient_penalty(batch.d, batch.real, batch.fake, self.center, batch.grad_scale)


@register("dragan")
class DraganPenalty(Penalty):
    """DRAGAN (Kodali et al. 2017): weight (10) * E(||grad D|| - center)^2 near real data.

    The gradients are taken at x_hat between real data and real data perturbed by
    perturb (0.5) * std(x) * U[0, 1]; center (1, the paper's k) is the target norm.
    """

    per_sample = True
    double_backward = True

    def __init__(self, *, weight: float = 10.0, perturb: float = 0.5, center: float = 1.0) -> None:
        self.weight = non_negative(self.key("weight"), weight)
        self.perturb = non_negative(self.key("perturb"), perturb)
        self.center = non_negative(self.key("center"), center)

    def value(self, batch: CriticBatch) -> torch.Tensor:
        """The perturbed-data penalty."""
        return dragan_penalty(batch.d, batch.real, self.perturb, self.center, batch.grad_scale)


@register("drift")
class Drift(Penalty):
    """ProGAN's drift term (Karras et al. 2017): weight (0.001) * E[D(x)^2] on real scores."""

    def __init__(self, *, weight: float = 0.001) -> None:
        self.weight = non_negative(self.key("weight"), weight)

    def value(self, batch: CriticBatch) -> torch.Tensor:
        """E[D(x)^2] on the real batch's scores."""
        return (batch.real_scores**2).mean()


def orthogonal_penalty(weights: list[torch.Tensor]) -> torch.Tensor:
    """Sum over weights of ||W W^T * (1 - I)||_F^2, each W reshaped to (outputs, inputs):
    the squared inner products between different filters (BigGAN's off-diagonal form).
    Computed as ||G||_F^2 - sum_i ||w_i||^4 with G the smaller of W W^T and W^T W (the same
    Frobenius norm): BigGAN's first linear layer (24,576 x 20 at 128x128) would otherwise
    need a 24,576^2 Gram matrix."""
    total = torch.zeros((), device=weights[0].device if weights else "cpu")
    for w in weights:
        w = w.float().reshape(len(w), -1)
        gram = w.t() @ w if w.shape[0] > w.shape[1] else w @ w.t()
        total = total + (gram.square().sum() - w.square().sum(1).square().sum())
    return total


def regularised_weights(g: nn.Module) -> list[torch.Tensor]:
    """The generator's trainable weight matrices and kernels (the original weights under
    spectral norm), embeddings excluded."""
    embeddings = {id(p) for m in g.modules() if isinstance(m, nn.Embedding) for p in m.parameters()}
    return [
        p for p in g.parameters() if p.ndim >= 2 and p.requires_grad and id(p) not in embeddings
    ]


@register("orthogonal")
class Orthogonal(Penalty):
    """BigGAN's orthogonal regularisation (Brock et al. 2018): beta (1e-4) * sum over G's
    weights of ||W W^T * (1 - I)||_F^2, embeddings excluded; its exact gradient,
    4 beta (W W^T * (1 - I)) W, is what the generator's update receives (the reference code
    applies half of it: its beta corresponds to beta / 2 here)."""

    side = "g"

    def __init__(self, *, beta: float = 1e-4) -> None:
        self.weight = non_negative(self.key("beta"), beta)

    def value(self, batch: GeneratorBatch) -> torch.Tensor:
        """The unweighted penalty, in float32 outside any autocast."""
        device = batch.fake.device.type
        with torch.autocast(device, enabled=False):
            return orthogonal_penalty(regularised_weights(batch.g))
