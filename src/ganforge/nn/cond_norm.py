"""Conditional batch normalisation (de Vries et al. 2017; BigGAN's form) and BN statistics.

Batch norm without its own scale and shift; a conditioning vector ``c`` (in BigGAN the shared
class embedding concatenated with a chunk of z) gives them per sample through two linear layers
without bias: ``bn(x) * (1 + gain(c)) + bias(c)``. With ``per_class`` the gain and bias are
plain per-class embeddings instead (no spectral norm, as the reference's ``G_shared=False``, its
CIFAR setting) and ``c`` holds the labels. ``standing_statistics`` re-estimates every
batch norm's running statistics over many forward passes (BigGAN's "standing stats").
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Callable, Iterator
from typing import Literal

import torch
from torch import nn


class ConditionalBatchNorm2d(nn.Module):
    """Non-affine batch norm with per-sample gain ``1 + gain(c)`` and bias ``bias(c)``: linear
    maps of a conditioning vector (wrapped by ``wrap``, e.g. spectral norm), or with
    ``per_class`` rows of two plain embeddings of ``cond_dim`` classes (never wrapped;
    initialised at 0: the identity until a model's initialisation sets them)."""

    def __init__(
        self,
        channels: int,
        cond_dim: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        wrap: Callable[[nn.Module], nn.Module] = lambda m: m,
        per_class: bool = False,
    ) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, eps=eps, momentum=momentum, affine=False)
        self.gain: nn.Module
        self.bias: nn.Module
        if per_class:
            self.gain = nn.Embedding(cond_dim, channels)
            self.bias = nn.Embedding(cond_dim, channels)
            for table in (self.gain, self.bias):
                nn.init.zeros_(table.weight)
        else:
            self.gain = wrap(nn.Linear(cond_dim, channels, bias=False))
            self.bias = wrap(nn.Linear(cond_dim, channels, bias=False))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` (N, C, H, W) and apply the gain and bias of ``c``: (N, cond_dim)
        vectors, or (N,) class labels when per-class."""
        gain = 1.0 + self.gain(c)
        bias = self.bias(c)
        return self.bn(x) * gain[:, :, None, None] + bias[:, :, None, None]


BNStats = Literal["eval", "train", "standing"]
BN_STATS: tuple[str, ...] = typing.get_args(BNStats)


def batch_norms(module: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """Every batch-norm layer of ``module``."""
    return [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@torch.no_grad()
def standing_statistics(
    module: nn.Module, forward: Callable[[int], object], passes: int = 16
) -> None:
    """Replace every batch norm's running statistics by their mean over ``passes`` forward
    passes (``forward(i)`` runs pass ``i``) with the batch norms in training mode (nothing else:
    spectral norm's power iteration does not run), then put them back in eval mode."""
    norms = batch_norms(module)
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the passes
        m.train()
    try:
        for i in range(passes):
            forward(i)
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
            m.eval()


@contextlib.contextmanager
def batch_norm_statistics(
    module: nn.Module,
    mode: BNStats,
    forward: Callable[[int], object] | None = None,
    passes: int = 16,
) -> Iterator[None]:
    """Within the block, batch norms use their running statistics (``eval``), each batch's own
    (``train``; the running statistics stay as they are) or standing statistics re-estimated
    over ``passes`` calls of ``forward`` (``standing``); afterwards everything is restored."""
    norms = batch_norms(module)
    saved = [
        (m.training, m.momentum, {k: v.clone() for k, v in m.state_dict().items()}) for m in norms
    ]
    try:
        if mode == "standing":
            if forward is None:
                raise ValueError("standing statistics need a forward pass to run")
            standing_statistics(module, forward, passes)
        for m in norms:
            if mode == "train":
                m.train()
                m.momentum = 0.0  # batch statistics, running ones untouched
            else:
                m.eval()
        yield
    finally:
        for m, (training, momentum, state) in zip(norms, saved):
            m.train(training)
            m.momentum = momentum
            m.load_state_dict(state)
