"""Translation objectives: the official criteria expressed through the project's loss pairs."""

from __future__ import annotations

import pytest
import torch

from ganforge import config
from ganforge.errors import ConfigError
from ganforge.losses import (
    CycleGANLoss,
    Pix2PixLoss,
    gan_criterion,
    least_squares_d,
    least_squares_g,
    minimax_d,
    nonsaturating_g,
)
from ganforge.train import check_loss_fits

r, f = torch.tensor([1.5, -0.3, 0.8]), torch.tensor([-1.0, 0.4, 0.1])


def test_vanilla_d_objective_is_half_the_minimax_loss() -> None:
    loss, _ = Pix2PixLoss().d_loss(lambda x: x, r, f)
    assert loss.item() == pytest.approx(0.5 * minimax_d(r, f).item())
    assert gan_criterion(f, True, "vanilla").item() == pytest.approx(nonsaturating_g(f).item())


def test_lsgan_d_objective_is_halved_and_g_is_the_plain_mse() -> None:
    loss, _ = CycleGANLoss().d_loss(lambda x: x, r, f)
    assert loss.item() == pytest.approx(least_squares_d(r, f).item())
    assert loss.item() == pytest.approx(0.5 * (((r - 1) ** 2).mean() + (f**2).mean()).item())
    adv = CycleGANLoss().adversarial(lambda x: x, f)
    assert adv.item() == pytest.approx(2 * least_squares_g(f).item())


def test_pix2pix_generator_objective_adds_100_l1() -> None:
    fake, target = torch.zeros(1, 1, 2, 2), torch.full((1, 1, 2, 2), 0.5)
    loss, logs = Pix2PixLoss().g_loss(lambda x: torch.zeros(1), fake, target)
    expected = torch.log(torch.tensor(2.0)).item() + 100 * 0.5  # BCE(0 logit, 1) = log 2
    assert loss.item() == pytest.approx(expected)
    assert logs["g_l1"] == pytest.approx(0.5)


def test_cyclegan_identity_weight_is_half_the_cycle_weight() -> None:
    assert CycleGANLoss().identity_weight == 5.0
    assert CycleGANLoss(cycle_weight=4, identity_ratio=0.25).identity_weight == 1.0


def test_translation_losses_only_train_their_models() -> None:
    cfg = config.resolve(None, ["loss.name=pix2pix"])
    with pytest.raises(ConfigError, match=r"loss 'pix2pix' belongs to the pix2pix recipe.*dcgan"):
        check_loss_fits(cfg, "gan")
    check_loss_fits(config.resolve("pix2pix-edges"), "pix2pix")
    check_loss_fits(config.resolve(None, ["loss.name=hinge"]), "progressive")  # not tied
