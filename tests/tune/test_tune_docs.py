"""The search spaces in docs/bayesopt.md and docs/scale.md pass tune's own up-front check, and
the tune commands there parse (no training)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from ganforge.cli import cli
from ganforge.errors import ConfigError
from ganforge.registry import PRESETS
from ganforge.tune import search as tune_mod

DOCS = Path(__file__).resolve().parents[2] / "docs"
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.M | re.S)
TUNE_COMMAND = re.compile(r"^ganforge tune (.+)$", re.M)


def next_tune_command(text: str, start: int) -> tuple[str, dict[str, str]]:
    """The first ``ganforge tune PRESET ...`` after ``start`` naming a real preset, and its
    ``--option value`` pairs: the command the docs run that space with."""
    for match in TUNE_COMMAND.finditer(text, start):
        words = shlex.split(match.group(1))
        if words[0] in PRESETS:
            return words[0], dict(zip(words[1::2], words[2::2]))
    raise AssertionError(f"no `ganforge tune PRESET` command follows the block at {start}")


@pytest.mark.parametrize("doc", ["bayesopt.md", "scale.md"])
def test_every_space_in_the_docs_fits_the_preset_it_is_run_with(tmp_path: Path, doc: str) -> None:
    text = (DOCS / doc).read_text()
    blocks = list(YAML_BLOCK.finditer(text))
    assert blocks, f"{doc} has no ```yaml search space"
    for i, block in enumerate(blocks):
        preset, options = next_tune_command(text, block.end())
        path = tmp_path / f"space-{i}.yaml"
        path.write_text(block.group(1))
        space = tune_mod.load_space(path)
        tune_mod.check_space(preset, space, ())
        assert options["--space"] == "space.yaml"
        tune_mod.objective_for(options["--metric"])
    for match in TUNE_COMMAND.finditer(text):  # every example's options are ones `tune` has
        words = shlex.split(match.group(1))
        if words[0] in PRESETS:
            cli.commands["tune"].make_context("tune", words)


def test_the_check_rejects_a_key_the_model_does_not_have(tmp_path: Path) -> None:
    path = tmp_path / "space.yaml"
    path.write_text("optim.lr_g: {low: 1.0e-5, high: 1.0e-2, log: true}\nmodel.width: [32, 128]\n")
    with pytest.raises(ConfigError, match="model \\(mlp\\): unknown key 'width'"):
        tune_mod.check_space("toy-grid", tune_mod.load_space(path))
