"""Step logs kept on the device: summed as tensors, read back to the host only for a log line.

A recipe's ``step`` returns its scalars as 0-d tensors (detached) or plain floats. The engine
checks them with one fused finite flag per step (the only host sync a step needs) and adds them
up here; ``means`` converts the sums to floats in one transfer when a log line is written.
Values are summed in float64 (float32 where the device has no float64), so the logged means are
the same numbers the per-step ``.item()`` calls used to give.
"""

from __future__ import annotations

import math

import torch

Logs = dict[str, torch.Tensor | float]


def log_value(value: torch.Tensor | float) -> torch.Tensor | float:
    """A scalar as a log entry: detached, in float64 (the precision of a Python float)."""
    if not isinstance(value, torch.Tensor):
        return float(value)
    value = value.detach().reshape(())
    return value.float() if value.device.type == "mps" else value.double()


def nonfinite(logs: Logs) -> str | None:
    """``key=value`` of every non-finite entry, or None; one host sync for all tensors."""
    tensors = [v for v in logs.values() if isinstance(v, torch.Tensor)]
    floats_ok = all(math.isfinite(v) for v in logs.values() if not isinstance(v, torch.Tensor))
    if floats_ok and (
        not tensors or bool(torch.stack([log_value(t) for t in tensors]).isfinite().all())
    ):
        return None
    values = to_floats(logs)
    bad = [k for k, v in values.items() if not math.isfinite(v)]
    return ", ".join(f"{k}={values[k]}" for k in bad)


def to_floats(logs: Logs) -> dict[str, float]:
    """Every entry as a float, tensors read back in one transfer (key order kept)."""
    keys = [k for k, v in logs.items() if isinstance(v, torch.Tensor)]
    read = torch.stack([log_value(logs[k]) for k in keys]).tolist() if keys else []  # type: ignore[misc]
    values = dict(zip(keys, read))
    return {k: values[k] if k in values else float(v) for k, v in logs.items()}


class LogSums:
    """Running sums of step logs over a logging interval."""

    def __init__(self) -> None:
        self.sums: Logs = {}
        self.count = 0

    def add(self, logs: Logs) -> None:
        """Add one step's logs (no host sync)."""
        for key, value in logs.items():
            value = log_value(value)
            self.sums[key] = self.sums[key] + value if key in self.sums else value
        self.count += 1

    def means(self) -> dict[str, float]:
        """The interval's means as floats (one host sync)."""
        return {k: v / self.count for k, v in to_floats(self.sums).items()}
