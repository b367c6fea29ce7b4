"""Where and with how many threads torch computes: ``auto`` is CUDA when present, else CPU."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from ganforge.errors import ConfigError


def resolve_device(spec: str, key: str = "device") -> torch.device:
    """``auto`` is CUDA when present, else CPU; anything else must name an available device."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(spec)
    except RuntimeError as exc:
        raise ConfigError(f"{key}={spec!r} is not a device (use auto, cpu, cuda, cuda:N)") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"{key}={spec!r} but CUDA is not available; use auto or cpu")
    return device


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one CPU thread for a while (then restore the previous count)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
