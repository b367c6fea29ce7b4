"""ProGAN: fade-in arithmetic, growth, channel progression, trainability after growth."""

from __future__ import annotations

import pytest
import torch

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.growing import channel_progression, fade, real_at_level
from ganforge.models.progan import progan
from ganforge.nn.resample import downsample_avg, upsample_nearest
from ganforge.train.schedules import growth_phases, progressive_schedule


def tiny(size: int = 16, **params: object) -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    info = DataInfo("t", "image", (1, size, size), 10)
    models = progan(info, z_dim=8, g_width=8, d_width=8, width_max=8, mbstd_group=4, **params)
    return models.g, models.d


def test_fade_is_the_convex_blend_of_old_and_new() -> None:
    old, new = torch.tensor([2.0, -4.0]), torch.tensor([10.0, 4.0])
    torch.testing.assert_close(fade(old, new, 0.0), old)
    torch.testing.assert_close(fade(old, new, 1.0), new)
    torch.testing.assert_close(fade(old, new, 0.25), torch.tensor([4.0, -2.0]))


def test_generator_fade_in_blends_the_upsampled_old_output_with_the_new_block() -> None:
    g, _ = tiny()
    z = torch.randn(3, 8)
    with torch.no_grad():
        g.set_growth(1, 1.0)
        old_network = g.synthesize(z)  # 8x8, stable
        g.set_growth(2, 0.0)
        at_zero = g.synthesize(z)
        g.set_growth(2, 1.0)
        at_one = g.synthesize(z)
        g.set_growth(2, 0.3)
        at_03 = g.synthesize(z)
    assert at_zero.shape == (3, 1, 16, 16)
    # alpha = 0: the grown network draws exactly the old one's images, upsampled
    torch.testing.assert_close(at_zero, upsample_nearest(old_network))
    torch.testing.assert_close(at_03, 0.7 * at_zero + 0.3 * at_one)


def test_discriminator_at_alpha_zero_is_the_old_network_on_downsampled_images() -> None:
    _, d = tiny()
    x = torch.randn(4, 1, 16, 16)
    with torch.no_grad():
        d.set_growth(1, 1.0)
        old = d(downsample_avg(x))
        d.set_growth(2, 0.0)
        grown = d(x)
        d.set_growth(2, 1.0)
        new = d(x)
    torch.testing.assert_close(grown, old)
    assert not torch.allclose(new, old)


def test_discriminator_pools_full_size_images_down_to_the_current_level() -> None:
    _, d = tiny()
    x = torch.randn(4, 1, 16, 16)
    with torch.no_grad():
        d.set_growth(1, 1.0)
        torch.testing.assert_close(d(x), d(downsample_avg(x)))


def test_real_images_are_downsampled_and_blended_during_fade_in() -> None:
    x = torch.randn(2, 3, 16, 16)
    at_8 = downsample_avg(x)
    torch.testing.assert_close(real_at_level(x, 8, 1.0), at_8)
    low = upsample_nearest(downsample_avg(at_8))
    torch.testing.assert_close(real_at_level(x, 8, 0.0), low)
    torch.testing.assert_close(real_at_level(x, 8, 0.4), 0.6 * low + 0.4 * at_8)


def test_generator_forward_gives_full_size_images_at_every_level() -> None:
    g, _ = tiny()
    z = torch.randn(2, 8)
    for level in range(3):
        g.set_growth(level, 0.5)
        out = g(z)
        assert out.shape == (2, 1, 16, 16)
        torch.testing.assert_close(out, g.to_full_size(g.synthesize(z)))


def test_all_layers_in_use_stay_trainable_after_growth() -> None:
    g, d = tiny()
    g.set_growth(2, 0.5)
    d.set_growth(2, 0.5)
    d(g.synthesize(torch.randn(4, 8))).sum().backward()
    unused = {"to_rgb.0.weight", "to_rgb.0.bias", "from_rgb.0.0.weight", "from_rgb.0.0.bias"}
    for name, p in [*g.named_parameters(), *d.named_parameters()]:
        assert p.requires_grad
        if name not in unused:  # the 4x4 toRGB / fromRGB left the path when 8x8 was added
            assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_paper_channel_progression_and_explicit_channels() -> None:
    resolutions = [2**k for k in range(2, 11)]
    paper = channel_progression(resolutions, None, 512)
    assert paper == [512, 512, 512, 512, 256, 128, 64, 32, 16]
    assert channel_progression([4, 8], None, 512, widths=[7, 5]) == [7, 5]
    with pytest.raises(ConfigError, match="needs 2 positive values"):
        channel_progression([4, 8], None, 512, widths=[7])


def test_non_power_of_two_data_names_the_size_to_use() -> None:
    with pytest.raises(ConfigError, match=r"28x28. Set data.size=32"):
        progan(DataInfo("mnist", "image", (1, 28, 28), 10))


def test_phases_fade_then_stabilise_each_resolution_with_lengths_in_images() -> None:
    schedule = progressive_schedule(phase_images=1000, final_images=3000, batch_sizes=[50, 20])
    phases = growth_phases(schedule, [4, 8, 16], total_steps=99, batch_size=7)
    assert [p.name for p in phases] == [
        "004x004-tuned",
        "008x008-faded",
        "008x008-tuned",
        "016x016-faded",
        "016x016-tuned",
    ]
    assert [p.snapshot for p in phases] == [p.name for p in phases]
    assert [p.batch_size for p in phases] == [50, 20, 20, 20, 20]
    assert [p.steps for p in phases] == [20, 50, 50, 50, 150]
    even = growth_phases(progressive_schedule(), [4, 8, 16], total_steps=12, batch_size=7)
    assert [p.steps for p in even] == [3, 3, 2, 2, 2]
    assert {p.batch_size for p in even} == {7}
