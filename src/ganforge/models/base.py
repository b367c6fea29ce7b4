"""What every generator / discriminator pair offers to recipes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError, GanforgeError
from ganforge.nn.dropout import drawing_from

DOutput = Literal["score", "reconstruction"]


class Generator(nn.Module):
    """A generator maps latents (and optional labels) to samples in [-1, 1]."""

    z_dim: int
    n_classes: int = 0

    def latent(
        self, n: int, generator: torch.Generator | None = None, device: torch.device | str = "cpu"
    ) -> torch.Tensor:
        """Standard normal latents (drawn on CPU for reproducibility, then moved)."""
        return torch.randn(n, self.z_dim, generator=generator).to(device)


@dataclass
class GANModels:
    """A generator and a discriminator built for one dataset."""

    g: Generator
    d: nn.Module
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
