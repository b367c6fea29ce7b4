"""Outputs users take elsewhere: one PNG per seed (generate), a preset's resolved YAML, the
one-line preset descriptions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from ganforge import api, config
from ganforge.errors import GanforgeError
from ganforge.generate import parse_seeds
from ganforge.presets import HERE, summary_of
from ganforge.registry import PRESETS
from ganforge.report import save_samples

from .conftest import run_cli


def test_seeds_accept_ranges_and_lists_in_order_once() -> None:
    assert parse_seeds("0-3") == [0, 1, 2, 3]
    assert parse_seeds("0-2,20, 30-32,1") == [0, 1, 2, 20, 30, 31, 32]
    assert parse_seeds("7") == [7]
    for bad, says in [("3-1", "backwards"), ("a", "not a seed"), ("1,,2", "empty"),
                      ("0-4294967296", "seeds go up to"), ("-3", "not a seed")]:  # fmt: skip
        with pytest.raises(GanforgeError, match=says):
            parse_seeds(bad)


def test_generate_writes_seed_pngs_that_are_sample_n1_of_each_seed(
    tiny_run: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "gen"
    code, printed, err = run_cli(capsys, "generate", str(tiny_run), "--seeds", "0-2,5",
                                 "--out", str(out))  # fmt: skip
    assert code == 0, err
    assert "wrote 4 image(s)" in printed
    names = sorted(p.name for p in out.iterdir())
    assert names == ["seed0000.png", "seed0001.png", "seed0002.png", "seed0005.png"]
    model = api.load(tiny_run)
    for seed in (0, 5):
        written = np.asarray(Image.open(out / f"seed{seed:04d}.png"))
        assert written.shape == (16, 16)  # the model's size, one channel, no grid or border
        expected = ((model.sample(1, seed)[0, 0].clamp(-1, 1) + 1) * 127.5).round()
        assert np.array_equal(written, expected.to(torch.uint8).numpy())
    # seed 5 alone gives the same image (no dependence on the other seeds asked for) ...
    api.generate(tiny_run, "5", tmp_path / "alone")
    alone = np.asarray(Image.open(tmp_path / "alone" / "seed0005.png"))
    assert np.array_equal(alone, np.asarray(Image.open(out / "seed0005.png")))
    # ... and it is the image `sample --n 1 --seed 5` shows (enlarged in its grid)
    code, printed, _ = run_cli(capsys, "sample", str(tiny_run), "--n", "1", "--seed", "5",
                               "--out", str(tmp_path / "grid.png"))  # fmt: skip
    assert code == 0
    as_float = torch.from_numpy(alone.astype(np.float32))[None, None] / 127.5 - 1
    save_samples(as_float, model.info, tmp_path / "again.png")
    assert np.array_equal(
        np.asarray(Image.open(tmp_path / "grid.png")),
        np.asarray(Image.open(tmp_path / "again.png")),
    )


def test_generate_refuses_a_class_for_an_unconditional_run(tiny_run: Path, tmp_path: Path,
                                                           capsys) -> None:  # fmt: skip
    code, _, err = run_cli(capsys, "generate", str(tiny_run), "--seeds", "0", "--class", "1",
                           "--out", str(tmp_path / "g"))  # fmt: skip
    assert code == 2 and "needs a class-conditional model" in err
    code, _, err = run_cli(capsys, "generate", str(tiny_run), "--seeds", "9-1",
                           "--out", str(tmp_path / "g"))  # fmt: skip
    assert code == 2 and "runs backwards" in err


def test_presets_name_prints_the_resolved_config_as_yaml(capsys) -> None:
    code, out, _ = run_cli(capsys, "presets", "dcgan-digits")
    assert code == 0
    assert out.startswith("# dcgan-digits: The default run:")
    printed = yaml.safe_load(out)
    assert printed["model"]["z_dim"] == 100  # a model default the preset file does not set
    assert printed["data"]["size"] == 32
    assert config.to_dict(config.from_dict(printed)) == printed  # a config train accepts
    code, _, err = run_cli(capsys, "presets", "no-such-preset")
    assert code == 2 and "unknown preset" in err


@pytest.mark.parametrize("name", PRESETS.names())
def test_every_preset_description_is_a_whole_sentence(name: str) -> None:
    summary = PRESETS.entry(name).summary
    assert summary.endswith(".") and not summary.endswith(" .")
    assert len(summary) <= 130, summary
    assert summary.count("(") == summary.count(")"), summary  # not cut inside a parenthesis
    path = HERE / f"{name}.yaml"
    if path.is_file():  # a file's description is the opening of its header comment
        header = " ".join(
            ln.lstrip("#").strip() for ln in path.read_text().splitlines() if ln.startswith("#")
        )
        assert header.startswith(summary[:-1]), summary


def test_a_long_first_sentence_ends_at_its_opening_clause() -> None:
    text = "# Model X on data Y (Someone et al. 2020): " + "many words " * 12 + "end.\n# More.\n"
    assert summary_of(text) == "Model X on data Y (Someone et al. 2020)."
    assert summary_of("# Short one. Second sentence.\nkey: 1\n") == "Short one."
    assert summary_of("# Line one\n# continues here. Next.\n") == "Line one continues here."
