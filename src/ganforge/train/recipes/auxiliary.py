"""What the recipes of discriminators with an auxiliary head share (ACGAN, InfoGAN, SGAN).

The adversarial loss and its penalties call the discriminator as an ordinary critic; ``Tap``
is that critic, running the trunk once per call and keeping the auxiliary outputs of each
input, so the class (or code) terms reuse the pass the loss made instead of a second one.
"""

from __future__ import annotations

import torch

from ganforge.models.trunk import TrunkDiscriminator


class Tap:
    """A critic callable (score only) that remembers the auxiliary outputs per input tensor."""

    def __init__(self, d: TrunkDiscriminator) -> None:
        self.d = d
        self.seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """D's scores of ``x``; its auxiliary outputs are kept."""
        score, aux = self.d.heads(x)
        self.seen.append((x, aux))
        return score

    def aux(self, x: torch.Tensor) -> torch.Tensor:
        """The auxiliary outputs of ``x`` (or of a tensor sharing its storage, such as
        ``x.detach()``) from a call the loss made; a fresh pass if the loss made none."""
        for seen, aux in self.seen:
            if seen.data_ptr() == x.data_ptr() and seen.shape == x.shape:
                return aux
        return self.d.heads(x)[1]
