"""ADA's feedback loop: the overfitting heuristic r_t = E[sign(D(real))] steers p to a target.

Every ``interval`` steps p moves by sign(r_t - target) * (real images judged since the last
adjustment) / ``IMAGES_TO_ONE``, so p can go from 0 to 1 in 500k images, as in the paper;
p is kept in [0, 1]. The statistics are summed through ``reduce`` (an all-reduce under
torchrun), so every process computes the same p.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

IMAGES_TO_ONE = 500_000  # real images over which p can rise from 0 to 1 (the paper's 500k)

Reduce = Callable[[torch.Tensor], torch.Tensor]  # sums a tensor over processes (in place)


class AdaptiveP:
    """The augmentation probability and its heuristic, on the device (no host sync); with
    ``adapt`` false p stays fixed and r_t is only measured."""

    def __init__(
        self,
        target: float,
        interval: int,
        device: torch.device,
        reduce: Reduce | None = None,
        p: float = 0.0,
        adapt: bool = True,
    ) -> None:
        self.target, self.interval, self.reduce, self.adapt = target, interval, reduce, adapt
        self.p = torch.tensor(p, dtype=torch.float64, device=device)
        # this step's [sum of signs, number of outputs, real images] and the interval's
        self.step_stats = torch.zeros(3, dtype=torch.float64, device=device)
        self.window = torch.zeros(3, dtype=torch.float64, device=device)
        self.steps = 0

    def observe(self, real_scores: torch.Tensor, images: int) -> None:
        """Count the signs of D's outputs on ``images`` (augmented) real images."""
        s = real_scores.detach()
        self.step_stats += torch.stack(
            [s.sign().sum().double(), self.p.new_tensor(s.numel()), self.p.new_tensor(images)]
        )

    def end_step(self) -> torch.Tensor:
        """Close a step: return its r_t (this process's), and adjust p every ``interval``."""
        stats, self.step_stats = self.step_stats, torch.zeros_like(self.step_stats)
        self.window += stats
        self.steps += 1
        if self.adapt and self.steps % self.interval == 0:
            self.adjust()
        return stats[0] / stats[1].clamp(min=1)

    def adjust(self) -> None:
        """One adjustment of p from the interval's statistics, summed over processes."""
        window, self.window = self.window, torch.zeros_like(self.window)
        if self.reduce is not None:
            window = self.reduce(window)
        r_t = window[0] / window[1].clamp(min=1)
        move = torch.sign(r_t - self.target) * window[2] / IMAGES_TO_ONE
        self.p = (self.p + move).clamp(0.0, 1.0)

    def state_dict(self) -> dict[str, Any]:
        """p and the partial interval, exactly (floats of the float64 tensors)."""
        return {"p": self.p.item(), "window": self.window.tolist(), "steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore state_dict."""
        self.p = torch.tensor(state["p"], dtype=torch.float64, device=self.p.device)
        self.window = torch.tensor(state["window"], dtype=torch.float64, device=self.p.device)
        self.steps = int(state["steps"])
