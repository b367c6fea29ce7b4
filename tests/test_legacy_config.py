"""Old config names load for one release, each with a warning that names the new key."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ganforge import config, legacy
from ganforge.cli import main
from ganforge.data.base import DataInfo
from ganforge.errors import ConfigDeprecationWarning, ConfigError
from ganforge.models.growing import channel_progression
from ganforge.registry import MODELS

from .bad_values import Key, fitting
from .conftest import run_cli


def resolve_old(preset: str | None, overrides: list[str], new_key: str) -> config.Config:
    with pytest.warns(ConfigDeprecationWarning, match=new_key.replace(".", r"\.")):
        return config.resolve(preset, overrides)


@pytest.mark.parametrize(
    ("preset", "old", "new"),
    [
        ("toy-ring", "model.g_hidden=16", "model.g_width"),
        ("toy-ring", "model.g_layers=2", "model.g_depth"),
        ("toy-ring", "model.d_hidden=16", "model.d_width"),
        ("toy-ring", "model.d_layers=2", "model.d_depth"),
        ("pix2pix-edges", "model.depth=4", "model.g_depth"),
        ("pix2pix-edges", "model.d_layers=2", "model.patch_layers"),
        ("cyclegan-strokes", "model.n_blocks=2", "model.g_depth"),
        ("cyclegan-strokes", "model.d_layers=2", "model.patch_layers"),
        ("progan-digits", "model.channels=[8,8,8,8]", "model.widths"),
    ],
)
def test_an_old_model_key_loads_with_a_warning_naming_the_new_one(
    preset: str, old: str, new: str
) -> None:
    cfg = resolve_old(preset, [old], new)
    value = yaml.safe_load(old.split("=", 1)[1])
    assert cfg.model.params[new.split(".")[1]] == value
    assert old.split("=")[0].split(".")[1] not in cfg.model.params


def test_the_warning_is_attributed_to_the_caller_not_to_ganforge() -> None:
    with pytest.warns(ConfigDeprecationWarning) as record:
        config.resolve("toy-ring", ["model.g_hidden=16"])
    assert Path(record[0].filename) == Path(__file__)


def test_old_and_new_name_together_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"name the same setting; keep model\.g_width"):
        config.resolve("toy-ring", ["model.g_hidden=16", "model.g_width=32"])


def test_an_old_run_config_yaml_loads_into_the_new_vocabulary(tmp_path: Path) -> None:
    """A config.yaml as an earlier version saved it (defaults written out)."""
    old = {
        "preset": "progan-digits",
        "name": None,
        "data": {"name": "digits", "size": 32, "channels": 1, "limit": None},
        "model": {
            "name": "progan",
            "z_dim": 64,
            "fmap_base": 256,
            "fmap_max": 64,
            "fmap_min": 1,
            "channels": None,
            "mbstd_group": 4,
        },
        "train": {"steps": 100},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(old))
    with pytest.warns(ConfigDeprecationWarning) as record:
        cfg = config.load(path)
    messages = " ".join(str(w.message) for w in record)
    assert "model.channels is now model.widths" in messages and "model.g_width" in messages
    assert cfg.model.params == {
        "z_dim": 64,
        "widths": None,
        "mbstd_group": 4,
        "width_max": 64,
        "g_width": 16,
        "d_width": 16,
    }


@given(
    base=st.sampled_from([16, 24, 64, 100, 256, 8192]),
    cap=st.sampled_from([8, 16, 48, 64, 512]),
    floor=st.sampled_from([1, 4, 8]),
    side=st.sampled_from([8, 16, 32, 128]),
)
def test_an_old_progression_gives_the_same_widths(base: int, cap: int, floor: int, side: int):
    resolutions = [2**k for k in range(2, side.bit_length())]
    old = [max(floor, min(cap, base // (r // 2))) for r in resolutions]
    raw = config.preset_mapping("progan-digits")
    raw["data"]["size"] = side
    raw["model"] = {"name": "progan", "fmap_base": base, "fmap_max": cap, "fmap_min": floor}
    with pytest.warns(ConfigDeprecationWarning, match="model.g_width"):
        params = config.from_dict(raw).model.params
    for width in ("g_width", "d_width"):
        got = channel_progression(
            resolutions, params.get(width), params["width_max"], params.get("widths")
        )
        assert got == old


def test_the_papers_progression_becomes_the_new_default() -> None:
    raw = config.preset_mapping("progan-faces128")
    raw["model"] = {"name": "progan", "fmap_base": 8192, "fmap_max": 512, "fmap_min": 1}
    with pytest.warns(ConfigDeprecationWarning):
        cfg = config.from_dict(raw)
    assert cfg.model.params == {"width_max": 512}


def test_dcgan_instance_norm_keeps_its_learned_affine_under_its_new_name() -> None:
    with pytest.warns(ConfigDeprecationWarning, match="instance-affine"):
        cfg = config.resolve(None, ["model.d_norm=instance"])
    assert cfg.model.params["d_norm"] == "instance-affine"
    info = DataInfo("t", "image", (1, 16, 16), 10)
    d = MODELS.get("dcgan")(info, **cfg.model.params).d
    norms = [m for m in d.modules() if m.__class__.__name__ == "InstanceNorm2d"]
    assert norms and all(m.affine for m in norms)


def test_the_cli_shows_the_warning_as_one_line(tmp_path: Path, capsys) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("default", ConfigDeprecationWarning)
        main(
            [
                "train",
                "toy-ring",
                "--runs-dir",
                str(tmp_path),
                "--quiet",
                "--set",
                "model.g_hidden=8",
                "--set",
                "train.steps=1",
                "--set",
                "data.n=200",
            ]
        )
    err = capsys.readouterr().err
    assert "warning: model.g_hidden is now model.g_width" in err
    assert "ConfigDeprecationWarning" not in err


def _old_keys() -> list[tuple[str, str, str, str]]:
    """(section, owner, old key, new key) for every old name ``legacy.migrate`` still reads."""
    keys = [
        ("model", family, old, new)
        for family, renames in legacy.MODEL_RENAMES.items()
        for old, new in renames.items()
    ]
    keys += [("model", f, k, k) for f in ("progan", "stylegan") for k in legacy.PROGRESSION_KEYS]
    keys += [(s, owner, k, k) for (s, owner), moved in legacy.TO_SCHEDULE.items() for k in moved]
    keys += [
        ("loss", loss, old, new)
        for loss, renames in legacy.LOSS_RENAMES.items()
        for old, new in renames.items()
    ]
    keys += [("loss", loss, old, new) for (loss, old), (_, new) in legacy.SWITCHES.items()]
    return keys


@pytest.mark.parametrize(("section", "owner", "old", "new"), _old_keys(), ids=lambda v: str(v))
def test_an_old_name_with_a_bad_value_is_a_config_error_naming_it(
    section: str, owner: str, old: str, new: str
) -> None:
    """Old names are converted before validation: a bad value under an old name is still one
    ConfigError naming the old or the new key (after the deprecation warning), never a crash
    in the conversion and never a silently accepted value."""
    fits = fitting(Key(section, owner, old, Any, None))
    for value in [{"zz": 1}, "zz", "nan", "1.0e12", -1]:
        text = json.dumps(value) if not isinstance(value, str) else value
        overrides = [*fits, f"{section}.name={owner}", f"{section}.{old}={text}"]
        with pytest.warns(ConfigDeprecationWarning), pytest.raises(ConfigError) as caught:
            config.resolve(None, overrides)
        assert old in str(caught.value) or new in str(caught.value), (overrides, caught.value)


def test_the_cli_shows_a_bad_old_value_as_a_warning_and_one_error_line(capsys) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("default", ConfigDeprecationWarning)
        code, _, err = run_cli(capsys, "train", "toy-ring", "--set", "model.g_hidden=-3")
    assert code == 2 and "Traceback" not in err
    assert err.splitlines() == [
        "warning: model.g_hidden is now model.g_width; the old name goes in the next release",
        "error: model.g_width=-3 is out of range: it must be >= 1 and <= 4096",
    ]


def test_dragan_gp_weight_in_the_new_form_is_the_gp_penalty_weight() -> None:
    """With loss.penalty given (the new form), loss.gp_weight is gp's weight, not DRAGAN's old
    name for its own weight; without it, the old name still migrates."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConfigDeprecationWarning)
        cfg = config.resolve(
            None, ["loss.name=dragan", "loss.penalty=[dragan,gp]", "loss.gp_weight=3"]
        )
    assert cfg.loss.params == {"penalty": ["dragan", "gp"], "gp_weight": 3.0}
    cfg = resolve_old(None, ["loss.name=dragan", "loss.gp_weight=3"], "loss.dragan_weight")
    assert cfg.loss.params == {"dragan_weight": 3.0}
