"""CycleGAN's image pool: fill first, then swap with probability 0.5."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganforge.train.image_pool import ImagePool


def batch(start: int, n: int) -> torch.Tensor:
    """Images whose every pixel holds their id, so returned images can be traced."""
    return torch.arange(start, start + n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 2, 2)


def ids(images: torch.Tensor) -> list[int]:
    return [int(v) for v in images[:, 0, 0, 0]]


def test_size_zero_passes_images_through() -> None:
    pool = ImagePool(0)
    assert ids(pool.query(batch(0, 5))) == [0, 1, 2, 3, 4]
    assert pool.images == []


def test_images_are_returned_unchanged_while_the_pool_fills() -> None:
    pool = ImagePool(4)
    assert ids(pool.query(batch(0, 3))) == [0, 1, 2]
    assert ids(pool.query(batch(3, 1))) == [3]
    assert sorted(ids(torch.cat(pool.images))) == [0, 1, 2, 3]


@settings(max_examples=10, deadline=None)
@given(size=st.integers(1, 8), seed=st.integers(0, 1000))
def test_a_full_pool_returns_new_or_stored_images_and_keeps_its_size(size: int, seed: int) -> None:
    torch.manual_seed(seed)
    pool = ImagePool(size)
    pool.query(batch(0, size))
    seen = set(range(size))
    for step in range(20):
        new = size + step
        stored_before = set(ids(torch.cat(pool.images)))
        (out,) = ids(pool.query(batch(new, 1)))
        assert out == new or out in stored_before
        stored_after = set(ids(torch.cat(pool.images)))
        assert len(pool.images) == size
        if out != new:  # swapped: the returned image left the pool, the new one entered
            assert new in stored_after and out not in stored_after
        else:
            assert stored_after == stored_before
        seen.add(new)


def test_swap_probability_is_one_half() -> None:
    torch.manual_seed(0)
    pool = ImagePool(50)
    pool.query(batch(0, 50))
    out = ids(pool.query(batch(1000, 2000)))
    swapped = sum(o != 1000 + i for i, o in enumerate(out))
    assert 0.45 < swapped / 2000 < 0.55


def test_state_round_trip() -> None:
    pool = ImagePool(3)
    pool.query(batch(0, 3))
    other = ImagePool(3)
    other.load_state_dict(pool.state_dict())
    assert ids(torch.cat(other.images)) == ids(torch.cat(pool.images))
