"""Data-parallel training under torchrun: PyTorch's process group and DistributedDataParallel.

One process per device. ``torchrun`` (or ``ganforge train --gpus N``) starts the processes and
sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and the rendezvous address in the environment;
``setup`` joins the process group from it (NCCL on CUDA, gloo on the CPU). Everything here is a
thin layer over ``torch.distributed``: which process is the writer (global rank 0), the rank's
share of a global batch, wrapping a module once for training (``ForwardOf`` when the step calls
a method other than ``forward``), and agreeing on flags (a stop
requested on one rank, a non-finite loss on one rank) so that every rank takes the same branch.
Without torchrun every function is the single-process identity.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import logging
import os
import signal
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ganforge.data.stream import share
from ganforge.errors import ConfigError, TrainingError
from ganforge.train.rng import seed_everything, set_rng_state

log = logging.getLogger("ganforge.train")

OTHER_RANK = "stop on another rank"  # the stop reason of ranks that did not get the signal
TIMEOUT = datetime.timedelta(minutes=30)  # a rank evaluating alone keeps the others waiting


@dataclass(frozen=True)
class World:
    """This process's place among the training processes (rank 0 of 1 without torchrun)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        """The process that writes files (samples, checkpoints, logs, reports)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """Whether a process group is active (torchrun, even with one process)."""
        return dist.is_available() and dist.is_initialized()

    def share(self, n: int) -> slice:
        """This rank's contiguous part of ``n`` items split evenly in global-rank order."""
        return share(n, self.rank, self.size)


def launched() -> bool:
    """Whether this process was started by torchrun (its environment names a rank)."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def world() -> World:
    """The current world: from the process group when one is active, else one process."""
    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))
    return World()


def setup(device: torch.device) -> tuple[World, torch.device]:
    """Join torchrun's process group (once) and pick this rank's device: ``cuda:LOCAL_RANK``
    on GPUs (NCCL), the CPU otherwise (gloo). Without torchrun: one process, ``device``."""
    if not launched():
        return World(), device
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        if local >= torch.cuda.device_count():
            raise ConfigError(
                f"LOCAL_RANK {local} but only {torch.cuda.device_count()} CUDA device(s); "
                "start at most one process per GPU (--nproc_per_node)"
            )
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        try:
            # torchrun's store outlives a restart: the keys of the failed attempt (the dead
            # ranks' gloo addresses) would be read back and the mesh would wait on them
            # forever, so each attempt forms its group under a prefix of its own
            store, rank, size = next(dist.rendezvous("env://", timeout=TIMEOUT))
            store = dist.PrefixStore(f"ganforge/attempt-{restart_count()}", store)
            dist.init_process_group(
                backend, store=store, rank=rank, world_size=size, timeout=TIMEOUT
            )
        except (RuntimeError, ValueError) as exc:  # DistNetworkError, DistStoreError included
            raise TrainingError(join_failure(backend, exc)) from None
    return world(), device


def join_failure(backend: str, exc: BaseException) -> str:
    """One line for a process group that could not be formed (a peer that is gone or not yet
    listening: gloo's ``connectFullMesh ... Connection refused``, a rendezvous timeout)."""
    first = next(
        (line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__
    )
    rank, size = os.environ.get("RANK", "?"), os.environ.get("WORLD_SIZE", "?")
    return (
        f"rank {rank} of {size} could not join the {backend} process group ({first[:200]}): "
        "another process of the job is gone or unreachable, or the rendezvous port is taken. "
        "With torchrun --max-restarts N the job starts again and resumes the run from its "
        "latest checkpoint"
    )


def restart_count() -> int:
    """How many times torchrun has restarted this job's workers (0: the first start)."""
    try:
        return int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))
    except ValueError:
        return 0


def job_id() -> str | None:
    """The launcher's id of this job, the same in every worker and across restarts."""
    return os.environ.get("TORCHELASTIC_RUN_ID") if launched() else None


def barrier() -> None:
    """Wait until every rank gets here (nothing to wait for in one process)."""
    if world().distributed and world().size > 1:
        if dist.get_backend() == "nccl":
            dist.barrier(device_ids=[torch.cuda.current_device()])
        else:
            dist.barrier()


def leaving() -> None:
    """After the job's last barrier, a torchrun worker only exits: the launcher's SIGTERM to
    the ranks still exiting when the first one has left (it stops the others as soon as one
    exits non-zero: 143 after a SIGTERM) no longer kills them with a signal status."""
    if launched() and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)


def teardown() -> None:
    """Leave the process group (after training, so the launcher sees a clean exit)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _flag_device() -> torch.device:
    """Where collective tensors live: the current CUDA device for NCCL, else the CPU."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def any_ranks(flags: list[bool]) -> list[bool]:
    """Each flag true on every rank when it is true on any (one collective)."""
    if not world().distributed:
        return flags
    value = torch.tensor([1.0 if f else 0.0 for f in flags], device=_flag_device())
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return [bool(v) for v in value.tolist()]


def all_sum(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` summed over ranks, in place (itself without torchrun; one collective)."""
    if world().distributed:
        dist.all_reduce(tensor)
    return tensor


def average(values: dict[str, float]) -> dict[str, float]:
    """The mean over ranks of each value (same keys on every rank; one collective)."""
    if not world().distributed or not values:
        return values
    tensor = torch.tensor(list(values.values()), dtype=torch.float64, device=_flag_device())
    dist.all_reduce(tensor)
    return dict(zip(values, (tensor / world().size).tolist()))


def rank_seed(seed: int, w: World) -> int:
    """The seed of rank ``w.rank`` (rank 0 keeps ``seed``): ranks draw different noise."""
    return seed + 1_000_003 * w.rank


def gather_rng(state: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Every rank's random state in rank order (None in one process: ``rng`` is enough)."""
    if not world().distributed or world().size == 1:
        return None
    states: list[Any] = [None] * world().size
    dist.all_gather_object(states, state)
    return states


def restore_rng(state: dict[str, Any], seed: int) -> None:
    """Restore a checkpoint's random state on this rank: its own when the checkpoint has it,
    else rank 0's, reseeded per rank (a run resumed on more processes than it was saved with)."""
    w = world()
    saved = state.get("rank_rng") or [state["rng"]]
    if w.rank < len(saved):
        set_rng_state(saved[w.rank])
    else:
        set_rng_state(saved[0])
        seed_everything(rank_seed(seed + int(state["step"]), w))


def broadcast(obj: Any) -> Any:
    """Rank 0's ``obj`` on every rank (a picklable value: a run path, a stop reason)."""
    if not world().distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0, device=_flag_device())
    return box[0]


def gather_rows(part: torch.Tensor, everywhere: bool = True) -> torch.Tensor:
    """Every rank's ``part`` (rows of one shape, counts may differ) concatenated in rank order,
    on every rank (``everywhere=False``: on rank 0 only; the others get their own part back)."""
    if not world().distributed or world().size == 1:
        return part
    device = _flag_device()
    counts = [torch.zeros(1, dtype=torch.int64, device=device) for _ in range(world().size)]
    dist.all_gather(counts, torch.tensor([len(part)], device=device))
    most = int(max(c.item() for c in counts))
    padded = torch.zeros((most, *part.shape[1:]), dtype=part.dtype, device=device)
    padded[: len(part)] = part.to(device)
    if not everywhere:
        parts = [torch.empty_like(padded) for _ in counts] if world().main else None
        dist.gather(padded, parts, dst=0)
        if parts is None:
            return part
    else:
        parts = [torch.empty_like(padded) for _ in counts]
        dist.all_gather(parts, padded)
    return torch.cat([p[: int(c.item())] for p, c in zip(parts, counts)]).to(part.device)


class ForwardOf(nn.Module):
    """``module.method(...)`` as a forward pass. DistributedDataParallel synchronises the
    gradients of its module's forward passes only, so a training step that calls another method
    (a trunk discriminator's ``heads``, a growing generator's ``synthesize``) wraps this instead;
    it holds ``module`` as its child, so they share every parameter and buffer."""

    def __init__(self, module: nn.Module, method: str) -> None:
        super().__init__()
        if not callable(getattr(module, method, None)):
            raise TypeError(f"{type(module).__name__} has no method {method!r}")
        self.inner = module
        self.method = method

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """``module.method(*args, **kwargs)``."""
        return getattr(self.inner, self.method)(*args, **kwargs)

    def extra_repr(self) -> str:
        """The method forwarded to."""
        return f"method={self.method!r}"


def wrap(
    module: nn.Module, device: torch.device, *, sync_batchnorm: bool = False, unused: bool = False
) -> nn.Module:
    """``module`` for training steps: wrapped once in DistributedDataParallel under torchrun
    (gradients averaged over ranks in its backward), the module itself otherwise. The wrapper
    shares the module's parameters, so state dicts are taken from the unwrapped module.
    ``unused``: some parameters may get no gradient in a step (growing models).
    ``sync_batchnorm``: with more than one process on CUDA, batch norm takes its statistics over
    the global batch (SyncBatchNorm); on the CPU (gloo) it is unavailable, said in one line."""
    w = world()
    if not w.distributed or not any(p.requires_grad for p in module.parameters()):
        return module
    if sync_batchnorm and w.size > 1 and has_batchnorm(module):
        if device.type == "cuda":
            module = nn.SyncBatchNorm.convert_sync_batchnorm(module)
        elif w.main:
            _warn_sync_bn()
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(
        module, device_ids=ids, output_device=device if ids else None, find_unused_parameters=unused
    )


SYNC_BN_UNAVAILABLE = (
    "train.sync_batchnorm: cross-replica batch norm needs CUDA (NCCL); on the CPU each process "
    "normalises over its own share of the batch"
)


@functools.cache
def _warn_sync_bn() -> None:
    log.warning(SYNC_BN_UNAVAILABLE)  # once per process, not once per wrapped module


def has_batchnorm(module: nn.Module) -> bool:
    """Whether ``module`` holds a batch-norm layer (what SyncBatchNorm would convert)."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


@contextlib.contextmanager
def no_sync(wrappers: Iterable[nn.Module], skip: bool = True) -> Iterator[None]:
    """While ``skip``: the DistributedDataParallel ``wrappers`` accumulate gradients locally
    instead of all-reducing them (for every micro-batch but the last of an update; the forward
    passes must run inside). Without ``skip``, or outside torchrun, nothing changes."""
    with contextlib.ExitStack() as stack:
        if skip:
            for wrapper in wrappers:
                if isinstance(wrapper, DistributedDataParallel):
                    stack.enter_context(wrapper.no_sync())
        yield


def first_reason(reason: str | None) -> str | None:
    """The stop reason every rank reports: the first rank's own (a signal's name) rather than
    another rank's echo of it."""
    if not world().distributed or world().size == 1:
        return reason
    reasons: list[Any] = [None] * world().size
    dist.all_gather_object(reasons, reason)
    own = [r for r in reasons if r and r != OTHER_RANK]
    return own[0] if own else reason


@dataclass(frozen=True)
class Launch:
    """torchrun's options beyond the process count: the nodes of the job, this node's rank,
    the rendezvous address and how often failed workers are restarted."""

    nnodes: int = 1
    node_rank: int | None = None
    rdzv_endpoint: str | None = None
    max_restarts: int = 0
    job: str = "ganforge"  # the rendezvous id (every node of one job gives the same)

    def options(self, processes: int) -> list[str]:
        """The torchrun command-line options."""
        if self.node_rank is not None and self.node_rank >= self.nnodes:
            raise ConfigError(f"--node-rank {self.node_rank} but only {self.nnodes} node(s)")
        if self.nnodes > 1 and self.rdzv_endpoint is None:
            raise ConfigError("--nnodes > 1 needs --rdzv-endpoint HOST:PORT (node 0's address)")
        out = [f"--nproc_per_node={processes}", f"--max_restarts={self.max_restarts}"]
        if self.rdzv_endpoint is None:  # one machine: a free local port, no server
            return ["--standalone", *out]
        out += [f"--nnodes={self.nnodes}", f"--rdzv_endpoint={self.rdzv_endpoint}"]
        if self.node_rank is None:  # elastic rendezvous: the nodes get their ranks by arrival
            return [*out, "--rdzv_backend=c10d", f"--rdzv_id={self.job}"]
        return [*out, f"--node_rank={self.node_rank}"]  # static: node 0 hosts the store


def launch(processes: int, args: list[str], how: Launch | None = None) -> int:
    """``python -m ganforge ARGS`` in ``processes`` processes on this machine through torchrun's
    elastic launcher (by default standalone: a free local port, no rendezvous server); the exit
    status of the first failed process, or 0."""
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import get_args_parser, run

    if launched():
        raise ConfigError("already running under torchrun: drop --gpus")
    how = how or Launch()
    options = [*how.options(processes), "--module", "ganforge", *args]
    try:
        run(get_args_parser().parse_args(options))
    except ChildFailedError as exc:
        codes = [f.exitcode for _, f in sorted(exc.failures.items())]
        return next((c for c in codes if c), 1)
    except SignalException as exc:  # Ctrl-C / SIGTERM: the launcher waited for the workers
        return 128 + int(exc.sigval)
    return 0
