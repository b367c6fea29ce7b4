"""docs/tutorials.md: every `ganforge train` command on the page is a valid configuration."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from ganforge import config
from ganforge.train import with_defaults

PAGE = Path(__file__).parents[1] / "docs" / "tutorials.md"


def train_commands() -> list[list[str]]:
    """The page's `ganforge train ...` lines, continuation lines joined, comments dropped."""
    lines = PAGE.read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    return [
        shlex.split(line, comments=True)[2:] for line in lines if line.startswith("ganforge train ")
    ]


def preset_and_sets(argv: list[str]) -> tuple[str | None, list[str]]:
    """The preset (None: the default) and the --set values; only --name besides them."""
    preset = None if argv[0].startswith("--") else argv[0]
    rest = argv[1:] if preset else argv
    options = dict(zip(rest[::2], rest[1::2], strict=True)) if rest else {}
    assert set(options) <= {"--set", "--name"}, rest
    return preset, [value for flag, value in zip(rest[::2], rest[1::2]) if flag == "--set"]


def test_the_page_has_the_tutorial_commands() -> None:
    presets = [preset_and_sets(argv)[0] for argv in train_commands()]
    for preset in ("progan-faces-tutorial", "cyclegan-horse2zebra", "pix2pix-facades"):
        assert preset in presets


@pytest.mark.parametrize("argv", train_commands(), ids=lambda argv: argv[0])
def test_each_train_command_on_the_page_validates(argv: list[str]) -> None:
    preset, sets = preset_and_sets(argv)
    cfg = with_defaults(config.resolve(preset, sets))
    assert cfg.model.name in (preset or "dcgan")
