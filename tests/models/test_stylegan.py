"""StyleGAN: mixing crossover, truncation, noise, mapping learning rate, running average of w."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.stylegan import StyleGANGenerator, mix_styles, mixing_cutoffs, stylegan


def tiny(**params: object) -> StyleGANGenerator:
    torch.manual_seed(0)
    info = DataInfo("t", "image", (1, 16, 16), 10)
    g = stylegan(
        info, z_dim=8, w_dim=8, mapping_layers=2, g_width=8, d_width=8, width_max=8, **params
    ).g
    with torch.no_grad():  # noise scales start at zero; make noise visible
        for layer in g.layers:
            layer.noise.weight.fill_(0.5)
    return g


def test_mix_styles_switches_from_the_first_to_the_second_latent_at_the_crossover() -> None:
    w1, w2 = torch.zeros(2, 3), torch.ones(2, 3)
    ws = mix_styles(w1, w2, torch.tensor([1, 3]), n_layers=4)
    assert ws.shape == (2, 4, 3)
    assert ws[:, :, 0].tolist() == [[0, 1, 1, 1], [0, 0, 0, 1]]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 64), st.integers(2, 18), st.sampled_from([0.0, 0.5, 1.0]))
def test_mixing_cutoffs_lie_inside_the_active_layers(n: int, layers: int, p: float) -> None:
    torch.manual_seed(n)
    cut = mixing_cutoffs(n, p, layers)
    assert cut.min() >= 1 and cut.max() <= layers
    if p == 0.0:
        assert torch.all(cut == layers)
    if p == 1.0:
        assert torch.all(cut < layers)


def test_training_styles_mix_two_latents_with_one_crossover_per_image() -> None:
    g = tiny(style_mixing=1.0)
    g.set_growth(2, 1.0)  # 6 style inputs in use
    g.train()
    z = torch.randn(16, 8)
    torch.manual_seed(1)
    ws = g.styles(z)
    w1 = g.mapping(z)
    crossovers = set()
    for i in range(16):
        first = [torch.allclose(ws[i, k], w1[i]) for k in range(g.n_layers)]
        c = first.index(False)
        assert all(first[:c]) and not any(first[c:])  # a prefix from z, the rest from another z
        assert torch.allclose(ws[i, c:], ws[i, c : c + 1].expand(g.n_layers - c, -1))
        crossovers.add(c)
    assert crossovers <= set(range(1, 6)) and len(crossovers) > 1
    g.eval()
    torch.testing.assert_close(g.styles(z), g.broadcast(w1))  # no mixing when sampling


def test_running_average_of_w_moves_only_in_training() -> None:
    g = tiny(w_avg_beta=0.5)
    z = torch.randn(32, 8)
    g.eval()
    g.styles(z)
    assert torch.all(g.w_avg == 0)
    g.train()
    g.styles(z)
    torch.testing.assert_close(g.w_avg, 0.5 * g.mapping(z).mean(0).detach())


def test_truncation_psi_zero_gives_the_average_image_and_one_the_untruncated() -> None:
    g = tiny(truncation_cutoff=None)
    g.train()
    g.styles(torch.randn(64, 8))  # give w_avg a value
    g.eval()
    z = torch.randn(3, 8)
    with torch.no_grad():
        average = g.render(g.broadcast(g.w_avg[None]))
        at_zero = g(z, truncation=0.0)
        torch.testing.assert_close(at_zero, average.expand(3, -1, -1, -1))
        torch.testing.assert_close(g(z, truncation=1.0), g(z))
        assert not torch.allclose(g(z), at_zero)


def test_truncation_cutoff_leaves_fine_layers_alone() -> None:
    g = tiny(truncation_cutoff=2)
    g.w_avg.fill_(0.3)
    g.eval()
    z = torch.randn(2, 8)
    ws = g.styles(z, truncation=0.0)
    torch.testing.assert_close(ws[:, :2], torch.full_like(ws[:, :2], 0.3))
    torch.testing.assert_close(ws[:, 2:], g.broadcast(g.mapping(z))[:, 2:])


def test_eval_uses_fixed_noise_and_training_draws_fresh_noise() -> None:
    g = tiny(style_mixing=0.0)
    z = torch.randn(2, 8)
    with torch.no_grad():
        g.eval()
        torch.testing.assert_close(g(z), g(z))
        no_noise = [torch.zeros(1, 1, s, s) for s in (4, 4, 8, 8, 16, 16)]
        assert not torch.allclose(g.render(g.styles(z), no_noise), g(z))
        g.train()
        assert not torch.allclose(g.synthesize(z), g.synthesize(z))


def test_mapping_layers_use_the_reduced_learning_rate() -> None:
    g = tiny(mapping_lr_mul=0.01)
    rates = {m.lr_mul for m in g.mapping.modules() if hasattr(m, "lr_mul")}
    assert rates == {0.01}


def test_bad_mixing_probability_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="style_mixing"):
        tiny(style_mixing=1.5)
