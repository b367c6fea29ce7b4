"""The projection head: linear(h) + <embed(y), h>, checked against a hand computation."""

import pytest
import torch

from ganforge.nn.projection import ProjectionHead, projection_term


def test_projection_logit_matches_hand_computation() -> None:
    head = ProjectionHead(features=2, n_classes=3)
    with torch.no_grad():
        head.linear.weight.copy_(torch.tensor([[1.0, -2.0]]))
        head.linear.bias.fill_(0.5)
        head.embed.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 3.0]]))
    h = torch.tensor([[1.0, 2.0], [3.0, -1.0]])
    y = torch.tensor([2, 0])
    # row 0: 1 - 4 + 0.5 + (2*1 + 3*2) = 5.5 ; row 1: 3 + 2 + 0.5 + (1*3 + 0) = 8.5
    assert head(h, y).tolist() == pytest.approx([5.5, 8.5])


def test_unconditional_head_is_the_linear_layer_and_conditional_needs_labels() -> None:
    h = torch.randn(4, 5)
    plain = ProjectionHead(5)
    assert torch.allclose(plain(h), plain.linear(h).squeeze(1))
    with pytest.raises(ValueError, match="pass labels y"):
        projection_term(torch.nn.Embedding(2, 5), None, h)
