"""Atomic checkpoint files: temp file, fsync, rename; keep the last K plus ``latest.pt``.

A failed write (full disk, no permission) removes its temporary file and raises one
CheckpointWriteError naming the disk; stale temporary files from a crash are removed before the
next write, so they never hold space a resume needs.
"""

from __future__ import annotations

import errno
import os
import pickle
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

import torch

from ganforge.errors import GanforgeError, TrainingError

STEP_FILE = re.compile(r"^step-(\d{7,})\.pt$")
TEMP_GLOB = ".*.pt.tmp"  # atomic_save's temporary files
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
WRITE_FAILURES = (*DISK_FULL, errno.EROFS)  # errors after which a run cannot go on writing


class CheckpointWriteError(TrainingError):
    """A checkpoint could not be written; nothing partial was left behind."""


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


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding ``path`` (or its nearest existing parent)."""
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def describe_write_failure(path: Path, exc: OSError) -> str:
    """One line: what could not be written and why, naming the disk when it is full."""
    what = f"into {path}" if path.is_dir() else str(path)
    if exc.errno in DISK_FULL:
        where = mount_point(path)
        try:
            free = f", {_size(shutil.disk_usage(where).free)} free"
        except OSError:  # pragma: no cover
            free = ""
        return f"could not write {what}: the disk mounted at {where} is full{free}"
    return f"could not write {what}: {exc.strerror or exc}"


def atomic_save(obj: Any, path: str | Path) -> Path:
    """torch.save to a temp file beside ``path``, fsync it, then rename over ``path``.

    On any failure the temp file is removed; an OSError becomes a CheckpointWriteError."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if isinstance(exc, RuntimeError) and is_disk_full(exc):  # torch's zip writer
            exc = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        message = describe_write_failure(path, exc) if isinstance(exc, OSError) else None
        tmp.unlink(missing_ok=True)  # after measuring the free space it left
        if message is None:
            raise
        raise CheckpointWriteError(message) from None
    _fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write a small text file through a temp file and a rename (never left half-written)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def is_disk_full(exc: BaseException) -> bool:
    """Whether an exception (or one it was raised from, or raised while handling) is a
    full-disk OSError, or SQLite's "database or disk is full"."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in DISK_FULL:
            return True
        if any(s in str(seen) for s in ("No space left on device", "database or disk is full")):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def remove_stale_temps(folder: str | Path) -> list[Path]:
    """Delete temporary files left by a write that was killed (they only take space)."""
    folder = Path(folder)
    removed = []
    for tmp in folder.glob(TEMP_GLOB) if folder.is_dir() else ():
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


def _point_latest(folder: Path, target: Path) -> None:
    latest = folder / "latest.pt"
    tmp = folder / ".latest.pt.tmp"
    tmp.unlink(missing_ok=True)
    try:
        try:
            os.link(target, tmp)  # a hard link: no copy, and it survives pruning of the step file
        except OSError:
            shutil.copyfile(target, tmp)
        os.replace(tmp, latest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CheckpointWriteError(describe_write_failure(latest, exc)) from None


def list_checkpoints(folder: str | Path) -> list[tuple[int, Path]]:
    """(step, path) of every step checkpoint in ``folder``, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := STEP_FILE.match(p.name))]
    return sorted(found)


def save_checkpoint(
    state: dict[str, Any], folder: str | Path, step: int, keep_last: int, keep_every: int = 0
) -> Path:
    """Write ``step-XXXXXXX.pt``, repoint ``latest.pt``, keep only the newest ``keep_last``
    plus, when ``keep_every`` > 0, every step that is a multiple of it (for ``ganforge select``).

    A failed write raises CheckpointWriteError and leaves the older checkpoints as they were."""
    folder = Path(folder)
    remove_stale_temps(folder)
    path = atomic_save(state, folder / step_name(step))
    _point_latest(folder, path)
    if keep_last > 0:
        for old_step, old in list_checkpoints(folder)[:-keep_last]:
            if not (keep_every > 0 and old_step % keep_every == 0):
                old.unlink(missing_ok=True)
    return path


NOT_GANFORGE = "give a checkpoint written by `ganforge train` (RUN/checkpoints/*.pt) or a run"
DAMAGED = f"it is damaged, truncated or not a PyTorch file; {NOT_GANFORGE}"


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by save_checkpoint (one clear line if it is not one).

    Only tensors and plain data are unpickled (``weights_only=True``); a file holding other
    Python objects is refused, never loaded with full unpickling."""
    path = Path(path)
    if not path.is_file():
        raise GanforgeError(f"checkpoint {path} does not exist")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's pickle-protocol notes are not for users
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if "unsupported global" not in str(exc).lower():  # no pickled objects: damaged/foreign
            raise GanforgeError(f"{path} is not a readable checkpoint: {DAMAGED}") from None
        raise GanforgeError(
            f"{path} is not a ganforge checkpoint: it holds Python objects other than tensors "
            f"and plain data (a pickled model or another tool's file); {NOT_GANFORGE}"
        ) from None
    except MemoryError:
        raise
    except Exception:
        raise GanforgeError(f"{path} is not a readable checkpoint: {DAMAGED}") from None
    if not isinstance(state, dict) or "recipe" not in state:
        raise GanforgeError(
            f"{path} is a PyTorch file but not a ganforge checkpoint; {NOT_GANFORGE}"
        )
    return state
