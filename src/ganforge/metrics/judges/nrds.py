"""Normalized Relative Discriminative Score (Zhang et al. 2018): one classifier learns to tell
real samples from the pooled samples of several models; a model whose samples it keeps calling
real for longer is closer to the data.

After every epoch the classifier's mean output (probability of "real") on each model's samples
is recorded; NRDS_i is the area under model i's curve divided by the sum of all the areas.
ganforge trains the classifier on features (the paper used a CNN on images): an MLP with
logistic loss, Adam, minibatches of 64, each model's samples balanced against as many real ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ganforge.errors import GanforgeError
from ganforge.metrics.judges.critic import mlp


@dataclass
class NRDS:
    """Scores (summing to 1), areas and per-epoch curves of each model."""

    scores: list[float]
    areas: list[float]
    curves: list[list[float]]


def normalised_areas(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores, areas): trapezoid areas of each row over epochs 0..T-1 and their shares."""
    curves = np.asarray(curves, dtype=np.float64)
    areas = ((curves[:, 1:] + curves[:, :-1]) / 2).sum(axis=1)
    total = areas.sum()
    if total <= 0:
        raise GanforgeError("every NRDS curve is zero: the classifier rejected all samples at once")
    return areas / total, areas


def nrds(
    real: np.ndarray,
    fakes: Sequence[np.ndarray],
    epochs: int = 20,
    hidden: int = 128,
    batch: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
) -> NRDS:
    """NRDS of each fake set in ``fakes`` against ``real`` (features)."""
    if len(fakes) < 2 or epochs < 2:
        raise GanforgeError("NRDS compares two models or more over two epochs or more")
    n = min(len(real), *(len(f) for f in fakes))
    rng = np.random.default_rng(seed)
    real_t = torch.as_tensor(real[rng.permutation(len(real))[:n]], dtype=torch.float32)
    fake_t = [torch.as_tensor(f[:n], dtype=torch.float32) for f in fakes]
    mean, std = real_t.mean(0), real_t.std(0).clamp_min(1e-6)
    x = torch.cat([real_t.repeat(len(fakes), 1), *fake_t])
    x = (x - mean) / std
    y = torch.cat([torch.ones(n * len(fakes)), torch.zeros(n * len(fakes))])
    evaluate = [(f - mean) / std for f in fake_t]
    curves = np.empty((len(fakes), epochs + 1))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = mlp(x.shape[1], hidden)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        order = torch.Generator().manual_seed(seed)
        for epoch in range(epochs + 1):
            if epoch:  # epoch 0 records the untrained classifier
                for index in torch.randperm(len(x), generator=order).split(batch):
                    loss = F.binary_cross_entropy_with_logits(model(x[index]).squeeze(1), y[index])
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
            with torch.no_grad():
                for i, f in enumerate(evaluate):
                    curves[i, epoch] = float(torch.sigmoid(model(f)).mean())
    scores, areas = normalised_areas(curves)
    return NRDS(scores.tolist(), areas.tolist(), curves.tolist())
