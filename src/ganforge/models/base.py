"""What every generator / discriminator pair offers to recipes, losses and samplers.

The generator contract: ``z_dim``, ``n_classes`` (0: unconditional), ``supports_truncation``,
``latent(n, generator, truncation)`` (draws latents), ``generate(z, y, truncation)`` (maps them
to samples) and ``sample(n, seed, labels)``, the one chunked, class-balanced sampler that
training-time evaluation, ``ganforge evaluate``, ``ganforge sample``, interpolation and rating
studies all use, so one seed gives the same images everywhere. The discriminator declares what
losses need to know (``pack``, ``batch_statistics``) instead of losses reading config strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError, GanforgeError
from ganforge.models.latent import slerp
from ganforge.nn.dropout import drawing_from

DOutput = Literal["score", "reconstruction"]
SAMPLE_BATCH = 500  # samples generated at a time by Generator.sample


def class_cycle(n: int, n_classes: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Labels 0, 1, ..., n_classes - 1, 0, 1, ... (one grid row per class when n_classes wide)."""
    return torch.arange(n, device=device) % n_classes


def class_rows(n_classes: int, per_class: int) -> torch.Tensor:
    """Labels 0 x per_class, 1 x per_class, ...: one grid row per class, ``per_class`` wide."""
    return torch.arange(n_classes).repeat_interleave(per_class)


class Generator(nn.Module):
    """A generator maps latents (and labels, when class-conditional) to samples in [-1, 1]."""

    z_dim: int
    n_classes: int = 0
    # True when the labels are learned categories (InfoGAN's categorical code), not the data's
    # classes: class measures then match categories to classes before scoring
    unsupervised_labels: ClassVar[bool] = False
    # whether the truncation trick exists: in z (override latent, as BigGAN's resampling) or
    # after the latent (override generate, as StyleGAN's w-space trick)
    supports_truncation: ClassVar[bool] = False

    def check_truncation(self, truncation: float | None) -> None:
        """Refuse a truncation this generator has no trick for."""
        if truncation is not None and not self.supports_truncation:
            raise GanforgeError(f"{type(self).__name__} has no truncation trick")

    def latent(
        self,
        n: int,
        generator: torch.Generator | None = None,
        truncation: float | None = None,
        device: torch.device | str = "cpu",
    ) -> torch.Tensor:
        """Standard normal latents, drawn on the CPU (the same on every device), then moved."""
        self.check_truncation(truncation)
        return torch.randn(n, self.z_dim, generator=generator).to(device)

    def generate(
        self, z: torch.Tensor, y: torch.Tensor | None = None, truncation: float | None = None
    ) -> torch.Tensor:
        """Samples for latents ``z`` (and labels ``y``); a trick after the latent goes here."""
        return self(z, y)

    def labels(
        self, n: int, labels: Iterable[int] | torch.Tensor | None = None
    ) -> torch.Tensor | None:
        """Labels for ``n`` samples: the given ones, else class-balanced (0, 1, ..., 0, ...);
        None for an unconditional generator."""
        if not self.n_classes:
            if labels is not None:
                raise GanforgeError("this generator is not class-conditional; drop the labels")
            return None
        if labels is None:
            return class_cycle(n, self.n_classes)
        y = torch.as_tensor(list(labels) if not isinstance(labels, torch.Tensor) else labels)
        if y.shape != (n,) or y.min() < 0 or y.max() >= self.n_classes:
            raise GanforgeError(
                f"labels must be {n} class indices in 0..{self.n_classes - 1}, got {y.tolist()}"
            )
        return y.long()

    @torch.no_grad()
    def sample(
        self,
        n: int,
        seed: int = 0,
        labels: Iterable[int] | torch.Tensor | None = None,
        *,
        truncation: float | None = None,
        z: torch.Tensor | None = None,
        batch_size: int = SAMPLE_BATCH,
        post: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """``n`` samples in [-1, 1] on the CPU, deterministic in ``seed``.

        All ``n`` latents come from one CPU generator seeded with ``seed`` (or are given as
        ``z``), labels are class-balanced unless given, and the samples are generated
        ``batch_size`` at a time, so the result does not depend on the chunk size or device.
        ``post`` maps each chunk (e.g. to uint8) before the chunks are joined, to save memory.
        """
        self.check_truncation(truncation)
        if z is None:
            z = self.latent(n, torch.Generator().manual_seed(seed), truncation)
        y = self.labels(n, labels)
        device = next(self.parameters()).device
        parts = []
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            y_part = None if y is None else y[start:stop].to(device)
            out = self.generate(z[start:stop].to(device), y_part, truncation).float().cpu()
            parts.append(post(out) if post is not None else out)
        return torch.cat(parts)

    def interpolate(
        self, seed: int, steps: int, truncation: float | None = None, label: int = 0
    ) -> torch.Tensor:
        """``steps`` samples along the great circle from the latent of ``seed`` to that of
        ``seed + 1`` (spherical interpolation; class ``label`` when conditional)."""
        z0 = self.latent(1, torch.Generator().manual_seed(seed), truncation)
        z1 = self.latent(1, torch.Generator().manual_seed(seed + 1), truncation)
        z = slerp(z0.expand(steps, -1), z1.expand(steps, -1), torch.linspace(0, 1, steps))
        labels = [label] * steps if self.n_classes else None
        return self.sample(steps, labels=labels, z=z, truncation=truncation)


class Discriminator(nn.Module):
    """Scores (or, for BEGAN, reconstructs) samples, declaring what losses need to know.

    ``pack``: samples judged jointly (PacGAN); there is one output per pack, and batches must be
    multiples of it. ``batch_statistics``: whether layers normalise with statistics of the whole
    batch (batch norm), which couples the samples and breaks per-sample gradient penalties
    (ProGAN's minibatch-stddev feature is not a normalisation and does not count).
    """

    pack: int = 1
    batch_statistics: bool = False


@dataclass
class GANModels:
    """A generator and a discriminator built for one dataset."""

    g: Generator
    d: Discriminator
    d_output: DOutput = "score"

    def generators(self) -> dict[str, nn.Module]:
        """The sample-producing modules by checkpoint name."""
        return {"g": self.g}


def count_parameters(module: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


class Translator(nn.Module):
    """An image-to-image generator: images of one domain in, images of another out, in [-1, 1]."""

    in_channels: int
    out_channels: int

    @torch.no_grad()
    def translate(
        self,
        images: torch.Tensor,
        batch_size: int = 64,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Translate uint8 NCHW (or float [-1, 1]) images in batches; float [-1, 1] on the CPU.

        ``generator`` (a CPU one by convention) draws test-time dropout masks, so a seed gives
        the same translations without touching torch's global generator.
        """
        device = next(self.parameters()).device
        out = []
        with drawing_from(self, generator):
            for start in range(0, len(images), batch_size):
                x = images[start : start + batch_size]
                x = x.float().div(127.5).sub(1.0) if x.dtype == torch.uint8 else x.float()
                out.append(self(x.to(device)).float().cpu())
        return torch.cat(out)

    def latent(self, *args: object, **kwargs: object) -> torch.Tensor:
        """Translators have no latent space: say which command to use instead."""
        raise GanforgeError(
            "this model translates images and has no latent space to sample from; use "
            "`ganforge translate RUN --input DIR --out DIR`"
        )

    sample = latent  # the same message for sampling


def translation_channels(info: DataInfo, kind: str, family: str) -> tuple[int, int]:
    """(channels of domain A, channels of domain B) of a paired or unpaired dataset."""
    if info.kind != kind:
        raise ConfigError(
            f"model {family} needs a {kind} dataset (e.g. data.name={kind}); "
            f"{info.name!r} holds {info.kind}"
        )
    return int(info.extra.get("channels_a", info.channels)), info.channels


def check_patch_fits(size: tuple[int, int], n_layers: int, same_padding: bool) -> None:
    """Fail early, naming the fix, when the images are too small for the PatchGAN."""
    from ganforge.nn.patchgan import patch_output_side

    if min(patch_output_side(s, n_layers, same_padding) for s in size) < 1:
        raise ConfigError(
            f"{size[0]}x{size[1]} images are too small for a PatchGAN with patch_layers="
            f"{n_layers}; lower model.patch_layers or raise data.size"
        )
