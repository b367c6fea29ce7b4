"""A small CNN that tells domain A from domain B, to score unpaired translations.

It is trained on the two training collections (balanced batches, random mirrors) and cached by
the content hash of its training images, so every evaluation of a run uses the same network.
Its penultimate activations double as a feature space for FID-style distances between domains.
"""

from __future__ import annotations

import hashlib
import logging

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.checkpoints import atomic_save
from ganforge.data.download import cache_dir

log = logging.getLogger(__name__)
VERSION = 1  # bump when the architecture or training changes, so caches are not reused
MAX_SIDE = 32  # images are judged at most 32 pixels a side (cheap on a CPU, enough for style)


def matched_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """uint8 NCHW with 1 channel repeated to 3 (or 3 reduced to luma 1) to match ``channels``."""
    if images.shape[1] == channels:
        return images
    if images.shape[1] == 1:
        return images.expand(-1, channels, -1, -1)
    weights = torch.tensor([0.299, 0.587, 0.114]).reshape(1, 3, 1, 1)
    return (images.float() * weights).sum(1, keepdim=True).round().to(torch.uint8)


class DomainClassifier(nn.Module):
    """Three stride-2 convs, global average pooling, one logit (> 0: domain B)."""

    def __init__(self, channels: int, width: int = 32) -> None:
        super().__init__()
        self.channels = channels
        self.body = nn.Sequential(
            nn.Conv2d(channels, width, 3, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, width * 2, 3, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width * 2, width * 4, 3, 2, 1),
            nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(width * 4, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled penultimate activations of float images in [-1, 1]."""
        return self.body(x).mean((2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of belonging to domain B."""
        return self.head(self.features(x)).squeeze(1)

    def _inputs(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (or [-1, 1] float) images as float in [-1, 1], area-downsampled to 32 a side."""
        if images.dtype != torch.uint8:  # float images in [-1, 1], e.g. translator outputs
            images = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        x = matched_channels(images, self.channels).float().div(127.5).sub(1.0)
        side = max(x.shape[2:])
        if side > MAX_SIDE:
            size = [max(1, round(s * MAX_SIDE / side)) for s in x.shape[2:]]
            x = F.interpolate(x, size=size, mode="area")
        return x

    @torch.no_grad()
    def prob_b(self, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """P(domain B) for each image (uint8 NCHW, or float in [-1, 1])."""
        self.eval()
        return torch.cat(
            [
                torch.sigmoid(self(self._inputs(images[i : i + batch_size])))
                for i in range(0, len(images), batch_size)
            ]
        )

    @torch.no_grad()
    def embed(self, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """Penultimate features (float64) for FID-style distances."""
        self.eval()
        return torch.cat(
            [
                self.features(self._inputs(images[i : i + batch_size])).double()
                for i in range(0, len(images), batch_size)
            ]
        )


def train_domain_classifier(
    a: torch.Tensor, b: torch.Tensor, steps: int = 300, batch_size: int = 64, seed: int = 0
) -> DomainClassifier:
    """Fit a DomainClassifier on uint8 images of domain A (label 0) and B (label 1)."""
    channels = max(a.shape[1], b.shape[1])
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DomainClassifier(channels)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    half = batch_size // 2
    labels = torch.cat([torch.zeros(half), torch.ones(half)])
    for _ in range(steps):
        ia = torch.randint(len(a), (half,), generator=gen)
        ib = torch.randint(len(b), (half,), generator=gen)
        x = torch.cat([model._inputs(a[ia]), model._inputs(b[ib])])
        mirror = torch.rand(len(x), generator=gen) < 0.5
        x[mirror] = x[mirror].flip(-1)
        loss = F.binary_cross_entropy_with_logits(model(x), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model.eval()


def domain_classifier(a: torch.Tensor, b: torch.Tensor) -> DomainClassifier:
    """The classifier for these two image sets, trained once and cached by their content."""
    digest = hashlib.sha256(f"v{VERSION}".encode())
    for images in (a, b):
        digest.update(str(tuple(images.shape)).encode())
        digest.update(images.contiguous().numpy().tobytes())
    path = cache_dir("classifiers", "two-domain") / f"{digest.hexdigest()[:24]}.pt"
    channels = max(a.shape[1], b.shape[1])
    model = DomainClassifier(channels)
    if path.is_file():
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return model.eval()
    log.info("training a domain classifier on %d + %d images (cached at %s)", len(a), len(b), path)
    model = train_domain_classifier(a, b)
    atomic_save(model.state_dict(), path)
    return model
