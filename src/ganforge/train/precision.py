"""Mixed precision and speed switches for every recipe: autocast, loss scaling, channels-last,
torch.compile.

``train.precision`` picks the numeric format of the training step: ``fp32`` (no autocast),
``bf16`` (bfloat16 autocast; same exponent range as float32, so no loss scaling) or ``fp16``
(float16 autocast with one ``torch.amp.GradScaler`` per optimiser, so the generator's and the
discriminator's loss scales back off independently). Sampling, previews and evaluation always
run in float32.

Gradient penalties take the scale of the optimiser whose loss they enter (``grad_scale``): D's
output is multiplied by it before the input gradient and the gradient divided by it after, in
float32 (``losses/penalties.py``). At a scale too large for float16 that input gradient
overflows, the penalty (and the loss holding it) is infinite and the optimiser step is skipped:
the scaler's normal back-off, not a divergence. ``update`` therefore reports the skipped step
(``overflow_<optimiser>``: 1 for a skipped step, 0 otherwise; its mean over a log interval is
the share skipped) and ``finite_logs`` zeroes that step's non-finite entries so that the
engine's non-finite guard does not stop or roll back for it. Should the scale fall below
``MIN_SCALE`` (float16 overflows even unscaled: the gradients themselves are infinite or NaN),
the overflow entry becomes infinite and the guard acts as for any non-finite loss. The scalers'
state is saved in checkpoints (``Recipe.state_dict``) and restored on resume and rollback.

``train.channels_last`` stores the models' 4-d weights in NHWC order (convolutions then run in
channels-last; outputs equal the contiguous ones within rounding). ``train.compile`` routes the
training step's calls through ``torch.compile``d modules while the recipe's ``models`` (state
dicts, checkpoints, the EMA) stay the eager originals, so checkpoints are the same with or
without it. A model whose loss differentiates it twice (gradient penalties: torch.compile does
not support double backward) stays eager; the recipe says which (``Recipe.eager_models``).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ganforge.errors import ConfigError
from ganforge.train.step_logs import Logs

log = logging.getLogger("ganforge.train")

DTYPES: dict[str, torch.dtype] = {"bf16": torch.bfloat16, "fp16": torch.float16}
INIT_SCALE = 2.0**16  # torch's default first loss scale
MIN_SCALE = 1.0  # below it float16 overflows even without scaling: the gradients are not finite


def check_precision(name: str, device: torch.device) -> None:
    """Refuse a precision the device cannot run (one line naming the alternatives)."""
    if name == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ConfigError(
            f"train.precision=bf16: {torch.cuda.get_device_name(device)} has no bfloat16; "
            "use train.precision=fp16 (or fp32)"
        )
    if name == "fp16" and device.type == "cpu":
        log.warning("train.precision=fp16 on the CPU is slow; bf16 is the CPU's mixed precision")


class Precision:
    """The training step's numeric format: its autocast and, for fp16, one grad scaler per
    optimiser (created on first use, by optimiser name)."""

    def __init__(self, name: str, device: torch.device) -> None:
        check_precision(name, device)
        self.name, self.device = name, device
        self.dtype = DTYPES.get(name)
        self.scalers: dict[str, torch.amp.GradScaler] = {}

    @property
    def scaled(self) -> bool:
        """Whether losses are scaled (fp16)."""
        return self.name == "fp16"

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """The forward passes' autocast (a null context in fp32)."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def scaler(self, name: str) -> torch.amp.GradScaler:
        """The grad scaler of optimiser ``name`` (fp16 only)."""
        if name not in self.scalers:
            self.scalers[name] = torch.amp.GradScaler(self.device.type, init_scale=INIT_SCALE)
        return self.scalers[name]

    def grad_scale(self, name: str) -> torch.Tensor | float:
        """Optimiser ``name``'s loss scale for gradient penalties: a tensor (no host sync), or
        1.0 when nothing is scaled."""
        if not self.scaled:
            return 1.0
        return self.scaler(name).scale(torch.ones((), device=self.device))

    def backward(self, name: str, loss: torch.Tensor) -> None:
        """Backpropagate ``loss``; under fp16 scaled by optimiser ``name``'s scaler. Gradients
        add up over calls until ``step`` (gradient accumulation)."""
        if self.scaled:
            loss = self.scaler(name).scale(loss)
        loss.backward()

    def step(self, name: str, optimizer: torch.optim.Optimizer) -> torch.Tensor | None:
        """Step ``optimizer`` on the gradients ``backward`` left; under fp16 through its scaler,
        returning the overflow flag (1.0: the step was skipped; inf: the scale fell below
        MIN_SCALE), else None."""
        if not self.scaled:
            optimizer.step()
            return None
        scaler = self.scaler(name)
        before = self.grad_scale(name)
        scaler.step(optimizer)  # skipped when a gradient is not finite
        scaler.update()  # halves the scale after a skipped step
        after = self.grad_scale(name)
        assert isinstance(before, torch.Tensor) and isinstance(after, torch.Tensor)
        skipped = (after < before).float()
        return torch.where(after < MIN_SCALE, torch.inf, skipped)

    def update(
        self, name: str, optimizer: torch.optim.Optimizer, loss: torch.Tensor
    ) -> torch.Tensor | None:
        """Zero the gradients, ``backward`` and ``step``: one update on one loss."""
        optimizer.zero_grad(set_to_none=True)
        self.backward(name, loss)
        return self.step(name, optimizer)

    def state_dict(self) -> dict[str, Any]:
        """The grad scalers' states, by optimiser."""
        return {name: scaler.state_dict() for name, scaler in self.scalers.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore state_dict (scalers of a run saved in another precision are ignored)."""
        if not self.scaled:
            return
        for name, scaler_state in state.items():
            if scaler_state:
                self.scaler(name).load_state_dict(scaler_state)


def finite_logs(logs: Logs, overflow: torch.Tensor | None) -> Logs:
    """A step's logs with the non-finite values of a skipped step (the scaler's overflow, not a
    divergence) set to 0, so the non-finite guard ignores them; unchanged without a scaler."""
    if overflow is None:
        return logs
    skipped = overflow > 0
    out: Logs = {}
    for key, value in logs.items():
        if isinstance(value, torch.Tensor):
            value = torch.where(skipped & ~value.isfinite(), torch.zeros_like(value), value)
        out[key] = value
    return out


# --- memory format and torch.compile -----------------------------------------------------------


def memory_format(channels_last: bool) -> torch.memory_format:
    """The memory format models are stored in (``train.channels_last``)."""
    return torch.channels_last if channels_last else torch.preserve_format


def check_compiler(device: torch.device) -> None:
    """Refuse train.compile where torch.compile's default backend cannot build code."""
    if device.type == "cpu" and not any(shutil.which(c) for c in ("g++", "c++", "clang++")):
        raise ConfigError(
            "train.compile=true needs a C++ compiler on the CPU (torch.compile's inductor "
            "backend); install g++ or set train.compile=false"
        )
    if device.type == "cuda":
        from torch.utils._triton import has_triton

        if not has_triton():
            raise ConfigError(
                "train.compile=true needs Triton on CUDA (pip install triton); "
                "or set train.compile=false"
            )


def compiler(device: torch.device) -> Callable[[nn.Module], nn.Module]:
    """``torch.compile`` after checking that it can work here (a ConfigError if not)."""
    check_compiler(device)

    def compile_module(module: nn.Module) -> nn.Module:
        try:
            return torch.compile(module)  # type: ignore[return-value]
        except RuntimeError as exc:  # e.g. a Python version dynamo does not support yet
            raise ConfigError(
                f"train.compile=true: torch.compile is unavailable here ({exc}); "
                "set train.compile=false"
            ) from None

    return compile_module
