"""The schedule section: validated against the recipe, phase lengths in images or epochs."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganforge import config
from ganforge.data import build_dataset
from ganforge.errors import ConfigDeprecationWarning, ConfigError, ConfigWarning
from ganforge.train import with_defaults
from ganforge.train.recipes.cyclegan import CycleGANRecipe
from ganforge.train.recipes.progressive import ProgressiveRecipe
from ganforge.train.schedules import growth_phases, progressive_schedule

TUTORIAL_EPOCHS = [5, 8, 8, 10, 10, 10]  # the ProGAN face tutorial's lists, 4x4 to 128x128
# (read here as epochs per resolution; the tutorial's own per-phase reading: test_progan_tutorial)
TUTORIAL_BATCHES = [16, 16, 16, 8, 4, 4]


def test_the_progan_tutorial_schedule_in_epochs_per_resolution() -> None:
    """Each resolution trains its epochs (the fade-in taking half), at its own batch size."""
    schedule = progressive_schedule(resolution_epochs=TUTORIAL_EPOCHS, batch_sizes=TUTORIAL_BATCHES)
    phases = growth_phases(
        schedule, [4, 8, 16, 32, 64, 128], total_steps=1, batch_size=99, dataset_size=1000
    )
    # 4x4: 5 epochs of 1000 images in batches of 16, all stabilising; then half fading, half not
    assert [(p.name, p.steps, p.batch_size) for p in phases] == [
        ("004x004-tuned", 313, 16),
        ("008x008-faded", 250, 16),
        ("008x008-tuned", 250, 16),
        ("016x016-faded", 250, 16),
        ("016x016-tuned", 250, 16),
        ("032x032-faded", 625, 8),
        ("032x032-tuned", 625, 8),
        ("064x064-faded", 1250, 4),
        ("064x064-tuned", 1250, 4),
        ("128x128-faded", 1250, 4),
        ("128x128-tuned", 1250, 4),
    ]


@settings(max_examples=40, deadline=None)
@given(
    epochs=st.lists(st.sampled_from([0.25, 0.5, 1.0, 3.0, 10.0]), min_size=1, max_size=5),
    batches=st.lists(st.integers(1, 64), min_size=1, max_size=5),
    share=st.sampled_from([0.25, 0.5, 0.75]),
    count=st.integers(1, 5000),
)
def test_every_resolution_sees_its_epochs(epochs, batches, share, count) -> None:
    schedule = progressive_schedule(resolution_epochs=epochs, batch_sizes=batches, fade_share=share)
    resolutions = [4, 8, 16, 32, 64]
    phases = growth_phases(schedule, resolutions, 1, 7, count)
    for level in range(len(resolutions)):
        images = schedule.epochs(level) * count
        mine = phases[:1] if level == 0 else phases[2 * level - 1 : 2 * level + 1]
        shown = sum(p.steps * p.batch_size for p in mine)
        bs = schedule.batch_size(level, 7)
        assert images <= shown + 1e-6 < images + len(mine) * bs + 1e-6  # ceil per phase


def test_schedule_keys_are_validated_against_the_recipe() -> None:
    with pytest.raises(ConfigError, match=r"trains with the gan recipe, which has no schedule"):
        config.resolve(None, ["schedule.phase_images=100"])
    with pytest.raises(
        ConfigError, match=r"schedule \(recipe progressive\): unknown key 'phase_imgs'"
    ):
        config.resolve("progan-digits", ["schedule.phase_imgs=100"])
    with pytest.raises(ConfigError, match=r"schedule.pool_size must be >= 0"):
        CycleGANRecipe.make_schedule(pool_size=-1)
    with pytest.raises(ConfigError, match=r"phase_images / final_images both set .* keep one"):
        config.resolve("progan-digits", ["schedule.resolution_epochs=[1, 2]"])


def test_a_preset_schedule_can_be_dropped_when_the_family_changes() -> None:
    cfg = config.resolve("progan-digits", ["model.name=dcgan", "schedule=null", "loss.name=hinge"])
    assert cfg.schedule == {}


def test_per_phase_batch_sizes_decide_train_batch_size() -> None:
    cfg = config.resolve("progan-digits")
    assert cfg.train.batch_size == 32 == cfg.schedule["batch_sizes"][0]
    with pytest.warns(ConfigWarning, match=r"train.batch_size=8 does not apply: schedule.batch"):
        overruled = config.resolve("progan-digits", ["train.batch_size=8"])
    assert overruled.train.batch_size == 32
    assert config.resolve("progan-digits", ["schedule.batch_sizes=null", "train.batch_size=8"])
    again = config.from_dict(config.to_dict(with_defaults(cfg)))
    assert again == with_defaults(cfg)  # round trip, the batch size following the schedule


def test_the_recipe_builds_its_phases_from_the_schedule_section() -> None:
    cfg = with_defaults(
        config.resolve(
            "progan-digits",
            [
                "data.size=16",
                "data.limit=40",
                "schedule.phase_images=null",
                "schedule.final_images=null",
                "schedule.resolution_epochs=[1, 0.5]",
                "schedule.batch_sizes=[8, 4]",
            ],
        )
    )
    data = build_dataset(cfg.data.name, cfg.data.params)
    recipe = ProgressiveRecipe(cfg, data.info, torch.device("cpu"))
    phases = recipe.phases(1000)
    assert [(p.steps, p.batch_size) for p in phases] == [
        (5, 8),  # 40 images in batches of 8
        (math.ceil(10 / 4), 4),  # half of 0.5 epochs fading in
        (math.ceil(10 / 4), 4),
        (math.ceil(10 / 4), 4),
        (math.ceil(10 / 4), 4),
    ]


def test_cyclegan_pool_size_lives_in_its_recipes_schedule() -> None:
    cfg = with_defaults(
        config.resolve(
            "cyclegan-strokes",
            ["schedule.pool_size=7", "model.g_width=4", "model.d_width=4", "model.g_depth=1"],
        )
    )
    assert "pool_size" not in cfg.loss.params and cfg.schedule == {"pool_size": 7}
    data = build_dataset(cfg.data.name, cfg.data.params)
    recipe = CycleGANRecipe(cfg, data.info, torch.device("cpu"))
    assert recipe.pool_a.size == recipe.pool_b.size == 7


@pytest.mark.parametrize(
    ("preset", "old", "new"),
    [
        ("progan-digits", "model.phase_images=100", "schedule.phase_images"),
        ("stylegan-digits", "model.reset_optimizers=false", "schedule.reset_optimizers"),
        ("cyclegan-strokes", "loss.pool_size=3", "schedule.pool_size"),
    ],
)
def test_schedule_keys_in_their_old_sections_move_with_a_warning(preset, old, new) -> None:
    raw = config.apply_overrides(config.preset_mapping(preset), [])
    section, key = old.split("=")[0].split(".")
    raw[section][key] = old.split("=")[1]
    raw.get("schedule", {}).pop(key, None)
    with pytest.warns(ConfigDeprecationWarning, match=new.replace(".", r"\.")):
        cfg = config.from_dict(raw)
    assert str(cfg.schedule[key]).lower() == old.split("=")[1]


def test_an_old_per_resolution_batch_list_wins_over_train_batch_size() -> None:
    """Old configs had both; the list always decided, so it still does."""
    raw = {
        "model": {"name": "stylegan", "batch_sizes": [128, 64]},
        "data": {"name": "digits", "size": 8},
        "train": {"batch_size": 32},
    }
    with pytest.warns(ConfigDeprecationWarning, match=r"schedule\.batch_sizes"):
        cfg = config.from_dict(raw)
    assert cfg.schedule["batch_sizes"] == [128, 64] and cfg.train.batch_size == 128
