"""The toy MLP critic's maxout units (PacGAN's released toy discriminator)."""

from __future__ import annotations

import pytest
import torch

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.mlp import Maxout, MLPCritic, mlp_gan

POINTS = DataInfo("grid", "points", (2,), 100)


def test_a_maxout_unit_is_the_largest_of_its_pieces() -> None:
    layer = Maxout(2, 2, pieces=3)
    with torch.no_grad():
        # unit 0: pieces x, y, x + y; unit 1: pieces -x, -y, 0 (rows of the linear map in order)
        layer.linear.weight.copy_(torch.tensor([[1, 0], [0, 1], [1, 1], [-1, 0], [0, -1], [0, 0]]))
        layer.linear.bias.zero_()
    x = torch.tensor([[2.0, -3.0], [-1.0, 0.5]])
    expected = torch.tensor([[2.0, 3.0], [0.5, 1.0]])  # max(x, y, x+y), max(-x, -y, 0)
    torch.testing.assert_close(layer(x), expected)


def test_the_maxout_critic_has_pacgans_shapes_and_packs() -> None:
    d = MLPCritic(2, 200, 3, pack=4, maxout=5)
    maxouts = [m for m in d.net if isinstance(m, Maxout)]
    widths = [(m.linear.in_features, m.linear.out_features) for m in maxouts]
    assert widths == [(8, 1000), (200, 1000), (200, 1000)]
    assert d(torch.randn(40, 2)).shape == (10,)


def test_d_maxout_builds_maxout_units_and_refuses_bad_values() -> None:
    assert not any(isinstance(m, Maxout) for m in mlp_gan(POINTS).d.net)
    assert sum(isinstance(m, Maxout) for m in mlp_gan(POINTS, d_maxout=5).d.net) == 3
    with pytest.raises(ConfigError, match=r"model\.d_maxout"):
        mlp_gan(POINTS, d_maxout=0)
    with pytest.raises(ConfigError, match="maxout"):
        mlp_gan(POINTS, "reconstruction", d_maxout=5)
