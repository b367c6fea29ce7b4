"""Exponential moving average of generator weights (buffers are copied, not averaged)."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Shadow copies of modules, updated as shadow = decay * shadow + (1 - decay) * live."""

    def __init__(self, modules: dict[str, nn.Module], decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.live = modules
        self.shadow = {
            name: copy.deepcopy(m).eval().requires_grad_(False) for name, m in modules.items()
        }

    def decay_at(self, updates: int) -> float:
        """The decay after ``updates`` updates: min(decay, (1 + t) / (10 + t)).

        The warm-up keeps the average's horizon shorter than the training done so far, so a
        short run is not averaged with its first, untrained weights.
        """
        return min(self.decay, (1.0 + updates) / (10.0 + updates))

    @torch.no_grad()
    def update(self, decay: float | None = None) -> None:
        """Blend live weights into the shadow copies; ``decay=0`` copies them."""
        beta = self.decay if decay is None else decay
        for name, live in self.live.items():
            shadow = self.shadow[name]
            for s, p in zip(shadow.parameters(), live.parameters()):
                s.lerp_(p.detach(), 1.0 - beta)
            for s, b in zip(shadow.buffers(), live.buffers()):
                s.copy_(b)

    def state_dict(self) -> dict[str, dict[str, torch.Tensor]]:
        """The shadow modules' state dicts."""
        return {name: m.state_dict() for name, m in self.shadow.items()}

    def load_state_dict(self, state: dict[str, dict[str, torch.Tensor]]) -> None:
        """Restore shadow weights."""
        for name, sd in state.items():
            self.shadow[name].load_state_dict(sd)
