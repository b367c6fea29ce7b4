"""Batches decoded ahead of the training thread by torch's DataLoader workers, exactly resumable.

The ``BatchStream`` stays the one record of the data position: it advances only when the
training loop takes a batch, so a checkpoint holds the position of the batches consumed, not of
those the workers prefetched. The workers read from a copy of the stream started at that
position (rebuilt whenever the stream is moved: a restore, a rollback, a new phase's batch
size), decode this rank's share of each global batch (``Dataset.get``: a lazy folder reads its
files there) and seed each batch's random draws (mirroring) from its position in the stream,
so a resumed run and an uninterrupted one see the same batches, with any number of workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from ganforge.data.stream import BatchStream, share

PREFETCH = 2  # batches each worker decodes ahead


def batch_seed(seed: int, epoch: int, cursor: int) -> int:
    """The seed of the batch that starts at ``cursor`` in ``epoch`` (a pure function)."""
    return (seed * 1_000_003 + epoch) * 1_000_000_007 + cursor


class _Shares(IterableDataset):
    """From a stream position on: this rank's share of every global batch, decoded. Worker
    ``w`` of ``W`` decodes batches ``w, w + W, ...``; the DataLoader interleaves them back in
    order."""

    def __init__(self, stream: BatchStream, rank: int, size: int) -> None:
        self.dataset = stream.dataset
        self.seed, self.batch_size = stream.seed, stream.batch_size
        self.position = stream.state_dict()
        self.rank, self.size = rank, size

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info else (0, 1)
        stream = BatchStream(self.dataset, self.batch_size, self.seed)
        stream.load_state_dict(self.position)
        count = 0
        while True:
            index = stream.next_indices()
            if count % workers == worker:
                start = stream.cursor - len(index)
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(batch_seed(self.seed, stream.epoch, start))
                    yield self.dataset.get(index[share(len(index), self.rank, self.size)])
            count += 1


class BatchLoader:
    """This rank's share of the stream's next global batch, decoded by ``workers`` processes
    (pinned for a fast copy to the GPU when ``pin_memory``)."""

    def __init__(
        self, stream: BatchStream, workers: int, rank: int = 0, size: int = 1, pin_memory=False
    ) -> None:
        self.stream, self.workers, self.rank, self.size = stream, workers, rank, size
        self.pin_memory = pin_memory
        self._batches: Iterator[dict[str, torch.Tensor]] | None = None
        self._expected: dict[str, Any] | None = None

    def _start(self) -> Iterator[dict[str, torch.Tensor]]:
        loader = DataLoader(
            _Shares(self.stream, self.rank, self.size),
            batch_size=None,
            num_workers=self.workers,
            pin_memory=self.pin_memory,
            prefetch_factor=PREFETCH,
            generator=torch.Generator().manual_seed(self.stream.seed),  # not the global RNG
        )
        return iter(loader)

    def __next__(self) -> dict[str, torch.Tensor]:
        if self._batches is None or self.stream.state_dict() != self._expected:
            self.close()  # the stream was moved (restore, rollback, new batch size)
            self._batches = self._start()
        batch = next(self._batches)
        self.stream.next_indices()  # the consumed position, as the workers computed it
        self._expected = self.stream.state_dict()
        return batch

    def close(self) -> None:
        """Stop the workers (the DataLoader's iterator shuts them down when released)."""
        self._batches = None
