"""Atomic checkpoint files: temp file, fsync, rename; keep the last K plus ``latest.pt``."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch

from ganforge.errors import GanforgeError

STEP_FILE = re.compile(r"^step-(\d{7,})\.pt$")


def step_name(step: int) -> str:
    """``step-0001234.pt``."""
    return f"step-{step:07d}.pt"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_save(obj: Any, path: str | Path) -> Path:
    """torch.save to a temp file beside ``path``, fsync it, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        torch.save(obj, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    return path


def _point_latest(folder: Path, target: Path) -> None:
    latest = folder / "latest.pt"
    tmp = folder / ".latest.pt.tmp"
    tmp.unlink(missing_ok=True)
    try:
        os.link(target, tmp)  # a hard link: no copy, and it survives pruning of the step file
    except OSError:
        import shutil

        shutil.copyfile(target, tmp)
    os.replace(tmp, latest)


def list_checkpoints(folder: str | Path) -> list[tuple[int, Path]]:
    """(step, path) of every step checkpoint in ``folder``, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := STEP_FILE.match(p.name))]
    return sorted(found)


def save_checkpoint(state: dict[str, Any], folder: str | Path, step: int, keep_last: int) -> Path:
    """Write ``step-XXXXXXX.pt``, repoint ``latest.pt``, keep only the newest ``keep_last``."""
    folder = Path(folder)
    path = atomic_save(state, folder / step_name(step))
    _point_latest(folder, path)
    if keep_last > 0:
        for _, old in list_checkpoints(folder)[:-keep_last]:
            old.unlink(missing_ok=True)
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by save_checkpoint (a clear error if it is not one)."""
    path = Path(path)
    if not path.is_file():
        raise GanforgeError(f"checkpoint {path} does not exist")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise GanforgeError(f"{path} is not a readable ganforge checkpoint: {exc}") from exc
    if not isinstance(state, dict) or "recipe" not in state:
        raise GanforgeError(f"{path} is not a ganforge checkpoint")
    return state
