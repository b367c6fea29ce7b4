"""DataLoader-based batches: the same batches as the stream, decoded in workers, exact resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from ganforge.data.base import DataInfo, ImageArrayDataset
from ganforge.data.loader import BatchLoader
from ganforge.data.stream import BatchStream, share


def _dataset(flip: bool, n: int = 40) -> ImageArrayDataset:
    images = np.arange(n * 4 * 4, dtype=np.int64).reshape(n, 1, 4, 4) % 251
    info = DataInfo("tiny", "image", (1, 4, 4), n)
    return ImageArrayDataset(images.astype(np.uint8), np.arange(n) % 3, info, flip=flip)


@given(n=st.integers(1, 50), size=st.integers(1, 8))
def test_shares_split_every_item_once_in_rank_order(n: int, size: int) -> None:
    parts = [list(range(n))[share(n, r, size)] for r in range(size)]
    assert [i for part in parts for i in part] == list(range(n))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_workers_give_the_streams_batches_across_a_batch_size_change() -> None:
    data = _dataset(flip=False)
    direct = BatchStream(data, 12, seed=3)
    loader = BatchLoader(BatchStream(data, 12, seed=3), workers=2)
    for step in range(9):  # crosses epochs; the batch size changes at step 5
        if step == 5:
            direct.batch_size = loader.stream.batch_size = 8
        want = data.get(direct.next_indices())
        got = next(loader)
        assert torch.equal(got["x"], want["x"]) and torch.equal(got["y"], want["y"])
    assert loader.stream.state_dict() == direct.state_dict()
    loader.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_resume_gives_the_same_batches_with_random_flips(workers: int) -> None:
    data = _dataset(flip=True)
    whole = BatchLoader(BatchStream(data, 10, seed=1), workers=2)
    batches = [next(whole)["x"] for _ in range(7)]
    whole.close()
    first = BatchLoader(BatchStream(data, 10, seed=1), workers=workers)
    for _ in range(3):
        next(first)
    saved = first.stream.state_dict()  # what a checkpoint holds: the consumed position
    first.close()
    resumed_stream = BatchStream(data, 10, seed=1)
    resumed_stream.load_state_dict(saved)
    resumed = BatchLoader(resumed_stream, workers=workers)
    for want in batches[3:]:
        assert torch.equal(next(resumed)["x"], want)
    resumed.close()
    plain = BatchLoader(BatchStream(_dataset(flip=False), 10, seed=1), workers=1)
    mirrored = [not torch.equal(next(plain)["x"], b) for b in batches]
    assert sum(mirrored) > 0  # the flips were drawn (and drawn the same way each time)


def test_ranks_take_their_shares_of_the_global_batch() -> None:
    data = _dataset(flip=False)
    whole = data.get(BatchStream(data, 12, seed=0).next_indices())["x"]
    parts = [next(BatchLoader(BatchStream(data, 12, seed=0), 1, rank, 2))["x"] for rank in (0, 1)]
    assert torch.equal(torch.cat(parts), whole)
