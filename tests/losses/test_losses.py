"""Losses pinned to hand-computed values on tiny inputs; gradient signs; penalties."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ganforge import losses as L
from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.losses import build_loss
from ganforge.registry import LOSSES, MODELS

T = torch.tensor


def test_minimax_discriminator_at_zero_logits_is_two_log_two() -> None:
    assert L.minimax_d(T([0.0]), T([0.0])).item() == pytest.approx(2 * math.log(2))


def test_minimax_pair_hand_values() -> None:
    # softplus(-2) + softplus(-1) = log(1 + e^-2) + log(1 + e^-1)
    assert L.minimax_d(T([2.0]), T([-1.0])).item() == pytest.approx(0.4401897)
    assert L.minimax_g(T([-1.0])).item() == pytest.approx(-0.3132617)
    assert L.nonsaturating_g(T([-1.0])).item() == pytest.approx(1.3132617)


def test_least_squares_hand_values() -> None:
    assert L.least_squares_d(T([0.5]), T([0.25])).item() == pytest.approx(0.15625)
    assert L.least_squares_g(T([0.25])).item() == pytest.approx(0.28125)


def test_wasserstein_and_hinge_hand_values() -> None:
    assert L.wasserstein_d(T([1.0, 3.0]), T([0.5, -0.5])).item() == pytest.approx(-2.0)
    assert L.wasserstein_g(T([0.5, -0.5, 3.0])).item() == pytest.approx(-1.0)
    assert L.hinge_d(T([0.5, 2.0]), T([-2.0, 0.5])).item() == pytest.approx(1.0)


PAIRS = [
    (L.minimax_d, L.minimax_g),
    (L.minimax_d, L.nonsaturating_g),
    (L.least_squares_d, L.least_squares_g),
    (L.wasserstein_d, L.wasserstein_g),
    (L.hinge_d, L.wasserstein_g),
]


@pytest.mark.parametrize(("d_fn", "g_fn"), PAIRS)
def test_gradient_signs(d_fn, g_fn) -> None:
    """D wants real scores up and fake scores down; G wants fake scores up (inside the
    region where every loss is active: scores between the least-squares targets 0 and 1)."""
    r = T([0.3, 0.6], requires_grad=True)
    f = T([0.4, 0.1], requires_grad=True)
    d_fn(r, f).backward()
    assert (r.grad < 0).all() and (f.grad > 0).all()
    f2 = T([0.4, 0.1], requires_grad=True)
    g_fn(f2).backward()
    assert (f2.grad < 0).all()


def test_gradient_penalty_is_zero_for_unit_norm_linear_critic() -> None:
    w = torch.randn(5)
    w = w / w.norm()
    critic = lambda x: x @ w  # noqa: E731
    real, fake = torch.randn(16, 5), torch.randn(16, 5)
    assert L.gradient_penalty(critic, real, fake).item() == pytest.approx(0.0, abs=1e-10)
    assert L.dragan_penalty(critic, real).item() == pytest.approx(0.0, abs=1e-10)


def test_gradient_penalty_of_scaled_linear_critic() -> None:
    """For D(x) = 3 w.x with ||w|| = 1 the gradient norm is 3 everywhere: penalty (3 - 1)^2 = 4."""
    w = torch.randn(4)
    w = 3 * w / w.norm()
    critic = lambda x: x @ w  # noqa: E731
    assert L.gradient_penalty(critic, torch.randn(8, 4), torch.randn(8, 4)).item() == pytest.approx(
        4.0
    )
    assert L.r1_penalty(critic, torch.randn(8, 4)).item() == pytest.approx(9.0)


def test_dragan_center_sets_the_gradient_norm_target() -> None:
    """D(x) = 3 w.x: penalty (3 - k)^2, so 4 with the paper's k = 1 and 9 zero-centred (k = 0)."""
    w = torch.randn(4)
    w = 3 * w / w.norm()
    critic = lambda x: x @ w  # noqa: E731
    real, fake = torch.randn(8, 4), torch.randn(8, 4)
    for center, expected in ((1.0, 4.0), (0.0, 9.0)):
        loss = build_loss("dragan", {"dragan_weight": 2.0, "dragan_center": center})
        total, logs = loss.d_loss(critic, real, fake)
        assert float(logs["dragan"]) == pytest.approx(expected)
        logistic = L.minimax_d(critic(real), critic(fake))
        assert total.item() == pytest.approx(logistic.item() + 2.0 * expected)


def test_penalty_is_per_pack_for_packed_critics() -> None:
    """A critic judging packs of 2 points gets one gradient norm per pack, not per point."""
    w = torch.ones(4) / 2.0  # unit norm over the packed input of 2 x 2-D points
    critic = lambda x: x.reshape(-1, 4) @ w  # noqa: E731
    assert L.gradient_penalty(critic, torch.randn(8, 2), torch.randn(8, 2)).item() == pytest.approx(
        0.0, abs=1e-10
    )


def test_wgan_clips_every_critic_weight() -> None:
    loss = LOSSES.get("wgan")(clip=0.01)
    critic = nn.Linear(3, 1)
    nn.init.normal_(critic.weight, std=5.0)
    loss.after_d_step(critic)
    assert all(p.abs().max() <= 0.01 for p in critic.parameters())


def test_began_equilibrium_update_and_convergence_measure() -> None:
    loss = LOSSES.get("began")(gamma=0.5, lambda_k=0.001)
    zero_ae = lambda x: torch.zeros_like(x)  # noqa: E731  L(v) = mean |v|
    real, fake = torch.ones(4, 3), torch.full((4, 3), 0.2)
    d_loss, logs = loss.d_loss(zero_ae, real, fake)
    assert d_loss.item() == pytest.approx(1.0)  # L(x) - k_0 L(G(z)) with k_0 = 0
    assert logs["m_global"] == pytest.approx(1.0 + abs(0.5 * 1.0 - 0.2))
    assert loss.k == pytest.approx(0.001 * (0.5 * 1.0 - 0.2))
    assert loss.state_dict() == {"k": pytest.approx(0.0003)}


def test_began_k_is_clipped_to_unit_interval() -> None:
    loss = LOSSES.get("began")(gamma=1.0, lambda_k=10.0)
    zero_ae = lambda x: torch.zeros_like(x)  # noqa: E731
    loss.d_loss(zero_ae, torch.ones(2, 2), torch.zeros(2, 2))
    assert loss.k == 1.0


def test_every_loss_has_documented_defaults() -> None:
    expected = {
        "wgan": ("rmsprop", 5e-5, 5),
        "wgan-gp": ("adam", 1e-4, 5),
        "non-saturating": ("adam", 2e-4, 1),
    }
    for name, (opt, lr, n_critic) in expected.items():
        o = LOSSES.get(name).optim
        assert (o.name, o.lr_g, o.n_critic) == (opt, lr, n_critic)
    assert LOSSES.get("wgan-gp").optim.betas == (0.0, 0.9)
    assert build_loss("wgan-gp", {}).penalties[0].weight == 10.0  # wasserstein + gp, lambda 10
    assert build_loss("dragan", {}).penalties[0].weight == 10.0
    assert LOSSES.get("began")().lambda_k == 0.001


def critic(d_norm: str) -> nn.Module:
    """A DCGAN discriminator with ``d_norm``: losses read its declared batch_statistics."""
    return MODELS.get("dcgan")(DataInfo("t", "image", (1, 16, 16), 10), d_norm=d_norm).d


def test_batch_norm_critic_with_gradient_penalty_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="d_norm"):
        build_loss("wgan-gp", {}).check(critic("batch"))
    build_loss("wgan-gp", {}).check(critic("layer"))
    with pytest.raises(ConfigError, match="d_norm"):
        build_loss("non-saturating", {"penalty": ["r1"], "r1_gamma": 10.0}).check(critic("batch"))
    build_loss("non-saturating", {}).check(critic("batch"))  # no penalty, batch norm is fine


@pytest.mark.parametrize(
    ("name", "key"),
    [("wgan-gp", "gp_weight"), ("dragan", "dragan_weight"), ("non-saturating", "r1_gamma")],
)
def test_negative_penalty_weights_are_config_errors(name: str, key: str) -> None:
    penalty = key.split("_")[0]
    with pytest.raises(ConfigError, match=rf"loss.{key}=-1.0 must be >= 0"):
        build_loss(name, {"penalty": [penalty], key: -1.0})
