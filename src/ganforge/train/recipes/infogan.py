"""The InfoGAN recipe (Chen et al. 2016): any adversarial loss plus the mutual-information bound.

Each step draws the categorical code uniformly (it is the generator's label ``y``; the data's
labels are never read) and the continuous codes with the noise (``InfoGenerator.latent``). Q
(a head on D's trunk) predicts the codes of generated images; the information loss

    L_I = CE(Q_cat(G(z, c)), c) + continuous_weight * E sum_i NLL_i

(the negative variational lower bound on I(c; G(z, c)) up to constants, with a factored
Gaussian for the continuous codes: NLL_i = 0.5 (c_i - mu_i)^2 with unit variance, or
0.5 (log var_i + (c_i - mu_i)^2 / var_i) when Q also predicts the log-variances,
``model.code_std=learned``) is added with weight ``info_weight`` to the
discriminator's objective, so it trains Q and D's trunk, and to the generator's, as in the
paper's reference code (see docs/conditional.md for how other implementations differ).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.models.infogan import InfoGenerator
from ganforge.registry import RECIPES
from ganforge.train.recipes.auxiliary import AuxiliaryRecipe, Tap
from ganforge.train.recipes.base import Preview
from ganforge.train.step_logs import Logs

CODE_STEPS = 8  # columns of the code figures: the varied code from -2 to 2
CODE_RANGE = 2.0  # the paper's figures vary continuous codes over [-2, 2] (trained on [-1, 1])


def information_loss(
    q: torch.Tensor, codes: torch.Tensor, y: torch.Tensor, categories: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(categorical cross-entropy, continuous Gaussian negative log-likelihood without its
    constant) of Q's outputs ``q`` for categorical codes ``y`` and continuous ``codes`` (N, C);
    both are batch means (the continuous term summed over codes). ``q`` holds the category
    logits, then C means, then (when it is C columns wider) C log-variances; without them the
    variance is 1 and the likelihood term is half the squared error."""
    q, codes = q.float(), codes.float()
    ce = F.cross_entropy(q[:, :categories], y)
    c = codes.shape[1]
    error = (q[:, categories : categories + c] - codes).pow(2)
    if q.shape[1] == categories + 2 * c:
        log_var = q[:, categories + c :]
        nll = 0.5 * (log_var + error * torch.exp(-log_var))
    else:
        nll = 0.5 * error
    return ce, nll.sum(1).mean()


@RECIPES.register("infogan")
class InfoGANRecipe(AuxiliaryRecipe):
    """GAN recipe with random categorical codes and the information loss on both players."""

    @staticmethod
    def make_schedule(
        *, info_weight: float = 1.0, continuous_weight: float = 0.1
    ) -> dict[str, float]:
        """``info_weight``: lambda of the information loss; ``continuous_weight``: the share
        of the continuous codes' term in it (the paper uses a smaller lambda for them)."""
        return {"info_weight": info_weight, "continuous_weight": continuous_weight}

    def condition(self, batch: dict[str, torch.Tensor], n: int) -> torch.Tensor | None:
        """None: the data's labels are not used."""
        return None

    def fake_condition(self, y: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """Categorical codes drawn uniformly (from the shared stream under torchrun)."""
        return self.draw_labels(n)

    def codes(self) -> torch.Tensor:
        """The continuous codes of the micro-batch being scored (its latents' tail)."""
        g: InfoGenerator = self.g  # type: ignore[assignment]
        assert self.latent is not None
        return self.latent[:, g.noise :]

    def _information(
        self, tap: Tap, fake: torch.Tensor, y: torch.Tensor | None
    ) -> tuple[torch.Tensor, Logs]:
        """lambda L_I on the fakes, and its parts."""
        assert y is not None
        ce, nll = information_loss(tap.aux(fake), self.codes(), y, self.g.n_classes)
        term = self.schedule["info_weight"] * (ce + self.schedule["continuous_weight"] * nll)
        mi_cat = math.log(self.g.n_classes) - ce  # lower bound on I(c_cat; G(z, c))
        return term, {"info_cat": ce.detach(), "info_cont": nll.detach(), "mi_cat": mi_cat.detach()}

    def d_extra(
        self,
        tap: Tap,
        real: torch.Tensor,
        fake: torch.Tensor,
        y: torch.Tensor | None,
        y_fake: torch.Tensor | None,
    ) -> tuple[torch.Tensor, Logs]:
        """lambda L_I on the (detached) fakes: trains Q and D's trunk."""
        return self._information(tap, fake, y_fake)

    def g_extra(
        self, tap: Tap, fake: torch.Tensor, y: torch.Tensor | None
    ) -> tuple[torch.Tensor | None, Logs]:
        """lambda L_I: the generator keeps its codes recoverable."""
        return self._information(tap, fake, y)[0], {}

    def figures(self, generators: dict[str, nn.Module]) -> dict[str, Preview]:
        """One figure per code: rows are the categories, columns vary that code (the others
        fixed); for the categorical code, columns are noise draws."""
        g: InfoGenerator = generators["g"]  # type: ignore[assignment]
        return code_figures(g, self.cfg.eval.seed)


def code_figures(g: InfoGenerator, seed: int) -> dict[str, Preview]:
    """``code-categorical``: a row per category over CODE_STEPS noise draws (continuous codes
    0); ``code-continuous-i``: a row per category, code i from -2 to 2, other codes 0 and one
    noise vector per row."""
    k, steps = g.n_classes, CODE_STEPS
    labels = torch.arange(k).repeat_interleave(steps)
    z = g.latent(k * steps, torch.Generator().manual_seed(seed))
    z[:, g.noise :] = 0
    shared = z.view(k, steps, -1)[:, :1].expand(k, steps, -1).reshape(k * steps, -1).clone()
    figures = {"code-categorical": Preview(g.sample(k * steps, labels=labels, z=z), nrow=steps)}
    sweep = torch.linspace(-CODE_RANGE, CODE_RANGE, steps).repeat(k)
    for i in range(g.continuous):
        zi = shared.clone()
        zi[:, g.noise + i] = sweep
        figures[f"code-continuous-{i}"] = Preview(
            g.sample(k * steps, labels=labels, z=zi), nrow=steps
        )
    return figures
