"""Adversarial losses and penalties, selected by name.

``pairs``: the pure pairs (functions of discriminator outputs); ``penalties``: R1, R2, WGAN-GP's
interpolate penalty, DRAGAN's perturbed-data penalty and ProGAN's drift, composable with any
pair; ``adversarial``: the losses by name (a pair, its paper's optimiser defaults, and for
``wgan-gp`` and ``dragan`` a default penalty); ``translation``: the Pix2Pix and CycleGAN
objectives; ``compose``: a loss section's keys and the objects built from it. Every module is
imported on first lookup, so a new loss or penalty is one new file.
"""

import importlib
import pkgutil

from ganforge.losses.adversarial import reconstruction_error
from ganforge.losses.base import Loss, OptimDefaults
from ganforge.losses.compose import (
    build_loss,
    loss_keys,
    penalty_keys,
    penalty_owning,
    selected_penalties,
)
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
from ganforge.losses.penalties import (
    CriticBatch,
    GeneratorBatch,
    Penalty,
    dragan_penalty,
    gradient_penalty,
    r1_penalty,
    r2_penalty,
)
from ganforge.losses.translation import CycleGANLoss, Pix2PixLoss, TranslationLoss, gan_criterion

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "CriticBatch",
    "CycleGANLoss",
    "GeneratorBatch",
    "Loss",
    "OptimDefaults",
    "Penalty",
    "Pix2PixLoss",
    "TranslationLoss",
    "build_loss",
    "dragan_penalty",
    "gan_criterion",
    "gradient_penalty",
    "hinge_d",
    "least_squares_d",
    "least_squares_g",
    "loss_keys",
    "minimax_d",
    "minimax_g",
    "nonsaturating_g",
    "penalty_keys",
    "penalty_owning",
    "r1_penalty",
    "r2_penalty",
    "reconstruction_error",
    "selected_penalties",
    "wasserstein_d",
    "wasserstein_g",
]
