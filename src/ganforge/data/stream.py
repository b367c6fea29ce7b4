"""A resumable stream of batches: epoch permutations from a seed, position saved in checkpoints."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from ganforge.data.base import Dataset


def share(n: int, rank: int, size: int) -> slice:
    """Rank ``rank``'s contiguous part of ``n`` items split evenly over ``size`` ranks in
    global-rank order (the first ``n % size`` ranks take one more)."""
    per, extra = divmod(n, size)
    start = rank * per + min(rank, extra)
    return slice(start, start + per + (1 if rank < extra else 0))


class BatchStream:
    """Yields batch dicts forever; ``state_dict`` pins the exact position for resume."""

    def __init__(self, dataset: Dataset, batch_size: int, seed: int, drop_last: bool = True):
        self.dataset = dataset
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        self.cursor = 0
        self._order: torch.Tensor | None = None
        self.batch_size = batch_size

    @property
    def batch_size(self) -> int:
        """Samples per batch (changeable between batches, e.g. by progressive phases)."""
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._batch_size = max(1, min(int(value), len(self.dataset)))

    def _permutation(self) -> torch.Tensor:
        if self._order is None:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
            self._order = torch.randperm(len(self.dataset), generator=gen)
        return self._order

    @property
    def epochs_done(self) -> float:
        """Epochs completed, fractional."""
        return self.epoch + self.cursor / len(self.dataset)

    def next_indices(self) -> torch.Tensor:
        """The indices of the next batch, advancing the position."""
        n = len(self.dataset)
        if self.cursor + (self.batch_size if self.drop_last else 1) > n:
            self.epoch += 1
            self.cursor = 0
            self._order = None
        order = self._permutation()
        index = order[self.cursor : self.cursor + self.batch_size]
        self.cursor += len(index)
        return index

    def __next__(self) -> dict[str, torch.Tensor]:
        return self.dataset.get(self.next_indices())

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        return self

    def state_dict(self) -> dict[str, int]:
        """The position: epoch and cursor."""
        return {"epoch": self.epoch, "cursor": self.cursor, "batch_size": self.batch_size}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Restore a position saved by state_dict."""
        self.epoch = int(state["epoch"])
        self.cursor = int(state["cursor"])
        self.batch_size = int(state.get("batch_size", self.batch_size))
        self._order = None
