"""Config: presets, dotted overrides, validation errors that name the key and allowed values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ganforge import config
from ganforge.errors import ConfigError


def test_default_preset_resolves_to_dcgan_on_digits() -> None:
    cfg = config.resolve()
    assert (cfg.data.name, cfg.model.name, cfg.preset) == ("digits", "dcgan", "dcgan-digits")


def test_override_coerces_scientific_notation_to_float() -> None:
    cfg = config.resolve(None, ["optim.lr_g=1e-4", "train.steps=20", "optim.betas=[0.0, 0.9]"])
    assert cfg.optim.lr_g == pytest.approx(1e-4)
    assert cfg.train.steps == 20
    assert cfg.optim.betas == (0.0, 0.9)


def test_unknown_section_key_names_the_allowed_keys() -> None:
    with pytest.raises(ConfigError, match=r"train: unknown key 'stepz'.*steps"):
        config.resolve(None, ["train.stepz=3"])


def test_bad_literal_value_lists_the_choices() -> None:
    with pytest.raises(
        ConfigError, match=r"d_norm.*'batch', 'instance', 'layer', 'none', 'spectral'"
    ):
        config.resolve(None, ["model.d_norm=group"])


def test_clipping_without_wasserstein_loss_is_a_config_error() -> None:
    with pytest.raises(
        ConfigError, match=r"loss.clip is not used by loss 'hinge'; it belongs to wgan"
    ):
        config.resolve(None, ["loss.name=hinge", "loss.clip=0.01"])


def test_unknown_registry_name_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match=r"unknown loss 'hinje'. Did you mean 'hinge'\?"):
        config.resolve(None, ["loss.name=hinje"])


def test_changing_a_selectable_name_drops_the_old_parameters() -> None:
    cfg = config.resolve(None, ["loss.name=wgan", "loss.clip=0.02"])
    assert cfg.loss.params == {"clip": 0.02}
    changed = config.from_dict(config.apply_overrides(config.to_dict(cfg), ["loss.name=hinge"]))
    assert changed.loss.params == {}


def test_missing_required_parameter_is_reported() -> None:
    with pytest.raises(ConfigError, match=r"missing required key\(s\): path"):
        config.resolve(None, ["data.name=folder"])


@given(
    steps=st.integers(1, 10**6),
    lr=st.floats(1e-6, 1.0),
    batch=st.integers(1, 512),
    ema=st.one_of(st.none(), st.floats(0.5, 0.9999)),
)
def test_config_round_trips_through_its_yaml_mapping(
    steps: int, lr: float, batch: int, ema: float | None
) -> None:
    cfg = config.resolve(
        None,
        [
            f"train.steps={steps}",
            f"optim.lr_d={lr!r}",
            f"train.batch_size={batch}",
            f"train.ema={ema}",
        ],
    )
    again = config.from_dict(config.to_dict(cfg))
    assert again == cfg
