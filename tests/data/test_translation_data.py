"""Paired and unpaired datasets: official folder layouts, jitter, bundled offline tasks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from ganforge import config
from ganforge.data import build_dataset
from ganforge.data.base import channels_to
from ganforge.data.translation import held_out_dataset, jitter_size, random_jitter
from ganforge.errors import ConfigError, DataError

RED, BLUE, GREEN = (200, 0, 0), (0, 0, 200), (0, 200, 0)


def solid(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


def side_by_side(path: Path, left: tuple[int, ...], right: tuple[int, ...], side: int = 16) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (2 * side, side), left)
    image.paste(Image.new("RGB", (side, side), right), (side, 0))
    image.save(path)


def test_side_by_side_pairs_split_into_a_and_b(tmp_path: Path) -> None:
    for i in range(3):
        side_by_side(tmp_path / "train" / f"{i}.png", RED, BLUE)
    side_by_side(tmp_path / "test" / "0.png", GREEN, BLUE)
    (tmp_path / "train" / "broken.jpg").write_bytes(b"not an image")
    data = build_dataset("paired", {"path": str(tmp_path), "size": 8, "progress": False})
    assert len(data) == 3 and data.info.kind == "paired"
    assert data.a[:, :, 4, 4].tolist() == [list(RED)] * 3
    assert data.b[:, :, 4, 4].tolist() == [list(BLUE)] * 3
    assert any("used 3 of 4 items" in note and "1 not an image" in note for note in data.info.notes)
    assert data.info.extra["held_out"] == {"split": "test"}
    held = held_out_dataset("paired", {"path": str(tmp_path), "size": 8}, data.info)
    assert held.a[0, :, 4, 4].tolist() == list(GREEN) and not held.jitter
    swapped = build_dataset(
        "paired", {"path": str(tmp_path), "size": 8, "direction": "BtoA", "progress": False}
    )
    assert swapped.a[0, :, 4, 4].tolist() == list(BLUE)


def test_a_and_b_folders_pair_by_name(tmp_path: Path) -> None:
    for name in ("x", "y"):
        solid(tmp_path / "A" / "train" / f"{name}.png", (16, 16), RED)
        solid(tmp_path / "B" / "train" / f"{name}.jpg", (16, 16), BLUE)
    solid(tmp_path / "A" / "train" / "lonely.png", (16, 16), RED)
    data = build_dataset(
        "paired", {"path": str(tmp_path), "size": 8, "channels_a": 1, "progress": False}
    )
    assert len(data) == 2
    assert data.a.shape == (2, 1, 8, 8) and data.b.shape == (2, 3, 8, 8)
    assert any("without a partner" in note for note in data.info.notes)
    assert data.info.extra["held_out"] is None  # no test or val folder: previews use training


def test_flat_folders_get_the_fixed_80_20_split(tmp_path: Path) -> None:
    for i in range(10):
        side_by_side(tmp_path / f"{i}.png", RED, BLUE)
    train = build_dataset("paired", {"path": str(tmp_path), "size": 8, "progress": False})
    test = build_dataset(
        "paired", {"path": str(tmp_path), "size": 8, "split": "test", "progress": False}
    )
    assert (len(train), len(test)) == (8, 2)
    with pytest.raises(DataError, match=r"no split folders; use data\.split=train, test or all"):
        build_dataset("paired", {"path": str(tmp_path), "split": "val", "progress": False})


def test_paired_split_is_checked_by_the_config() -> None:
    with pytest.raises(ConfigError, match="expected one of 'train', 'test', 'all', 'val'"):
        config.resolve("pix2pix-facades", ["data.split=tset"])
    assert config.resolve("pix2pix-facades", ["data.split=val"]).data.params["split"] == "val"


def test_missing_split_names_the_ones_that_exist(tmp_path: Path) -> None:
    side_by_side(tmp_path / "train" / "0.png", RED, BLUE)
    with pytest.raises(DataError, match="no 'val' split folder; it has train"):
        build_dataset("paired", {"path": str(tmp_path), "split": "val", "progress": False})


def test_unpaired_official_layout(tmp_path: Path) -> None:
    for i in range(3):
        solid(tmp_path / "trainA" / f"{i}.png", (12, 12), RED)
    for i in range(5):
        solid(tmp_path / "trainB" / f"{i}.png", (12, 12), BLUE)
    solid(tmp_path / "testA" / "0.png", (12, 12), RED)
    solid(tmp_path / "testB" / "0.png", (12, 12), BLUE)
    data = build_dataset("unpaired", {"path": str(tmp_path), "size": 8, "progress": False})
    assert len(data) == 5 and data.info.kind == "unpaired"
    assert data.info.extra["count_a"] == 3 and data.info.extra["held_out"] == {"split": "test"}
    batch = data.get(torch.arange(5))
    assert batch["a"].shape == batch["b"].shape == (5, 3, 8, 8)
    red = torch.tensor(RED) / 127.5 - 1
    assert torch.allclose(batch["a"][:, :, 4, 4], red.expand(5, 3), atol=0.02)
    assert data.real_uint8(torch.arange(2)).shape == (2, 3, 8, 8)


def test_unpaired_names_the_expected_layout(tmp_path: Path) -> None:
    (tmp_path / "trainA").mkdir()
    with pytest.raises(DataError, match=r"trainB.*path/trainA, path/trainB"):
        build_dataset("unpaired", {"path": str(tmp_path)})


def test_jitter_sizes_follow_286_over_256() -> None:
    assert jitter_size((256, 256)) == (286, 286)
    assert jitter_size((128, 128)) == (143, 143)
    assert jitter_size((32, 32)) == (36, 36)


def test_jitter_moves_paired_images_together() -> None:
    torch.manual_seed(0)
    x = torch.rand(6, 3, 32, 32) * 2 - 1
    a, b = random_jitter([x, x.clone()])
    assert a.shape == x.shape and torch.equal(a, b)
    assert a.min() >= -1 and a.max() <= 1
    assert not torch.allclose(a, x, atol=0.05)  # moved by the crop (and sometimes mirrored)


def test_photo_colour_pairs_luma_with_colour_and_holds_tiles_out() -> None:
    train = build_dataset("photo-colour", {"n_train": 50})
    test = build_dataset("photo-colour", {"split": "test"})
    assert train.info.extra["channels_a"] == 1 and train.info.shape == (3, 32, 32)
    assert torch.equal(test.a, torch.from_numpy(channels_to(test.b.numpy(), 1)))
    train_tiles = {bytes(t) for t in train.b.numpy()}
    assert not train_tiles & {bytes(t) for t in test.b.numpy()}
    assert len(test) == 24


def test_digit_edges_outline_the_digit() -> None:
    data = build_dataset("digit-edges", {"split": "test", "jitter": False})
    assert len(data) == 359
    a, b = data.a.float(), data.b.float()
    # outlines are thin: they cover less of the image than the digits they outline
    assert (a > 127).float().mean() < (b > 127).float().mean()
    assert data.get(torch.arange(2))["a"].shape == (2, 1, 32, 32)


def test_digit_strokes_domains_differ_in_ink_and_are_disjoint() -> None:
    test = build_dataset("digit-strokes", {"split": "test", "jitter": False})
    ink_a = test.a.float().mean((1, 2, 3))
    ink_b = test.b.float().mean((1, 2, 3))
    assert (ink_b > ink_a).all()  # every thick digit has more ink than its thin version
    train = build_dataset("digit-strokes", {"jitter": False})
    assert train.info.extra["count_a"] + train.info.extra["count_b"] == 1438
