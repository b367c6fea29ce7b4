"""Exponential moving average of the generator's state, as BigGAN's reference code keeps it.

The reference averages the whole state dict: the weights, and the buffers too (batch norm's
running statistics, spectral norm's power-iteration vectors). With ``buffers="average"`` every
floating-point parameter and buffer is averaged and integer buffers (batch norm's
``num_batches_tracked``) are copied; ``buffers="copy"`` copies every buffer, as the ProGAN and
StyleGAN reference code does (their tracked mean of W is itself an average). Spectral norm's
vectors are then refreshed by one power iteration on the averaged weights: the reference's
evaluation-mode forward runs one power iteration from the averaged vector (without storing
it) before dividing by the estimated singular value, while PyTorch's evaluation-mode spectral
norm runs none, so the refresh happens here, after each update.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ganforge.nn.norm import refresh_spectral


class EMA:
    """Shadow copies of modules, updated as shadow = decay * shadow + (1 - decay) * live."""

    def __init__(
        self,
        modules: dict[str, nn.Module],
        decay: float,
        warmup: bool = False,
        buffers: str = "average",
    ) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        if buffers not in ("average", "copy"):
            raise ValueError(f"EMA buffers must be 'average' or 'copy', got {buffers!r}")
        self.decay = decay
        self.warmup = warmup
        self.average_buffers = buffers == "average"
        self.live = modules
        self.shadow = {
            name: copy.deepcopy(m).eval().requires_grad_(False) for name, m in modules.items()
        }

    def decay_at(self, updates: int) -> float:
        """The decay ``updates`` updates after the start: the plain decay (the reference's), or
        with ``warmup`` min(decay, (1 + t) / (10 + t)), which keeps the average's horizon
        shorter than the training done so far (a short run is not averaged with its first,
        untrained weights)."""
        if not self.warmup:
            return self.decay
        return min(self.decay, (1.0 + updates) / (10.0 + updates))

    def decay_for(self, step: int, start: int) -> float:
        """The decay of the update after global step ``step`` with the EMA starting at step
        ``start``: 0 (a copy) before it, as the reference, then ``decay_at``."""
        return 0.0 if step < start else self.decay_at(step - start)

    @torch.no_grad()
    def update(self, decay: float | None = None) -> None:
        """Blend live weights and buffers into the shadow copies (``decay=0`` copies them),
        then refresh the shadow's spectral-norm estimates."""
        beta = self.decay if decay is None else decay
        for name, live in self.live.items():
            shadow = self.shadow[name]
            for s, p in zip(shadow.parameters(), live.parameters()):
                s.lerp_(p.detach(), 1.0 - beta)
            for s, b in zip(shadow.buffers(), live.buffers()):
                if self.average_buffers and s.is_floating_point() and beta > 0.0:
                    s.lerp_(b, 1.0 - beta)
                else:
                    s.copy_(b)
            refresh_spectral(shadow, iterations=1)

    def state_dict(self) -> dict[str, dict[str, torch.Tensor]]:
        """The shadow modules' state dicts."""
        return {name: m.state_dict() for name, m in self.shadow.items()}

    def load_state_dict(self, state: dict[str, dict[str, torch.Tensor]]) -> None:
        """Restore shadow weights."""
        for name, sd in state.items():
            self.shadow[name].load_state_dict(sd)
