"""StyleGAN (Karras et al. 2018): mapping network, styled synthesis, mixing, truncation.

z is normalised and mapped by an 8-layer MLP (reduced learning rate) to w. The synthesis network
starts from a learned 4x4 constant; each resolution has two 3x3 convolutions (the first after a
bilinear, i.e. [1, 2, 1]-filtered, 2x upsampling), each followed by per-pixel noise, a bias and
leaky ReLU, and AdaIN driven by w. Training mixes two latents in a fraction of images at a random
crossover layer; sampling can truncate w towards its running average in the coarse layers. The
model grows progressively with the ProGAN machinery; its discriminator is ProGAN's with the
binomial filter before each downsampling.
"""

from __future__ import annotations

import torch
from torch import nn

from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.models.base import DOutput, GANModels
from ganforge.models.growing import (
    GrowingGenerator,
    channel_progression,
    fade,
    growth_limits,
    growth_resolutions,
)
from ganforge.models.progan import ProGANDiscriminator, lrelu
from ganforge.nn.adain import AdaIN
from ganforge.nn.equalized import EqualizedConv2d, EqualizedLinear
from ganforge.nn.noise import NoiseInjection
from ganforge.nn.pixel_norm import pixel_norm
from ganforge.nn.resample import blur_upsample, upsample_nearest
from ganforge.registry import MODELS

Noise = list[torch.Tensor | None] | None


def mix_styles(
    w1: torch.Tensor, w2: torch.Tensor, cutoff: torch.Tensor, n_layers: int
) -> torch.Tensor:
    """Per-layer styles (N, n_layers, D): layers below each sample's cutoff take w1, the rest w2."""
    layer = torch.arange(n_layers, device=w1.device)[None, :, None]
    return torch.where(layer < cutoff.view(-1, 1, 1), w1[:, None], w2[:, None])


def mixing_cutoffs(
    n: int, probability: float, current_layers: int, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """Crossover layers: uniform in [1, current_layers) for a ``probability`` share of samples.

    Samples that are not mixed get ``current_layers`` (every active layer uses the first latent).
    """
    mixed = torch.rand(n, device=device) < probability
    cut = torch.randint(1, max(2, current_layers), (n,), device=device)
    return torch.where(mixed, cut, torch.full_like(cut, current_layers))


def truncate(ws: torch.Tensor, w_avg: torch.Tensor, psi: float, cutoff: int | None) -> torch.Tensor:
    """w_avg + psi * (w - w_avg) in layers below ``cutoff`` (all layers when None)."""
    truncated = w_avg + psi * (ws - w_avg)
    if cutoff is None or cutoff >= ws.shape[1]:
        return truncated
    layer = torch.arange(ws.shape[1], device=ws.device)[None, :, None]
    return torch.where(layer < cutoff, truncated, ws)


class MappingNetwork(nn.Module):
    """Normalised z -> w through ``n_layers`` equalised dense layers with a reduced lr."""

    def __init__(self, z_dim: int, w_dim: int, n_layers: int, lr_mul: float) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(n_layers):
            layers += [EqualizedLinear(z_dim if i == 0 else w_dim, w_dim, lr_mul=lr_mul), lrelu()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """w for z."""
        return self.net(pixel_norm(z))


class StyledLayer(nn.Module):
    """[optional bilinear 2x up] 3x3 conv, then noise, bias, leaky ReLU and AdaIN(w).

    Without a conv (the first layer) it applies the epilogue to the learned constant. A fixed
    noise image (a buffer) is used in eval mode, so samples are a deterministic function of z.
    """

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, size: int, conv: str) -> None:
        super().__init__()
        self.upsample = conv == "up"
        self.conv = EqualizedConv2d(in_ch, out_ch, 3, bias=False) if conv != "none" else None
        self.noise = NoiseInjection(out_ch)
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.act = lrelu()
        self.adain = AdaIN(out_ch, w_dim)
        self.register_buffer("fixed_noise", torch.randn(1, 1, size, size))

    def forward(
        self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The layer's output for style w (N, D); ``noise`` overrides the noise image."""
        if self.upsample:
            x = blur_upsample(x)
        if self.conv is not None:
            x = self.conv(x)
        if noise is None and not self.training:
            noise = self.fixed_noise.expand(len(x), -1, -1, -1)
        x = self.act(self.noise(x, noise) + self.bias.view(1, -1, 1, 1))
        return self.adain(x, w)


class StyleGANGenerator(GrowingGenerator):
    """Mapping + synthesis; ``n_layers`` = 2 per resolution (style inputs)."""

    supports_truncation = True

    def __init__(
        self,
        z_dim: int,
        w_dim: int,
        channels: int,
        resolutions: list[int],
        fmaps: list[int],
        mapping_layers: int,
        mapping_lr_mul: float,
        style_mixing: float,
        truncation_cutoff: int | None,
        w_avg_beta: float,
    ) -> None:
        super().__init__(resolutions)
        self.z_dim, self.w_dim = z_dim, w_dim
        self.style_mixing = style_mixing
        self.truncation_cutoff = truncation_cutoff
        self.w_avg_beta = w_avg_beta
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers, mapping_lr_mul)
        self.const = nn.Parameter(torch.ones(1, fmaps[0], 4, 4))
        layers = []
        for level, (res, f) in enumerate(zip(resolutions, fmaps)):
            prev = fmaps[max(0, level - 1)]
            layers.append(StyledLayer(prev, f, w_dim, res, "none" if level == 0 else "up"))
            layers.append(StyledLayer(f, f, w_dim, res, "same"))
        self.layers = nn.ModuleList(layers)
        self.to_rgb = nn.ModuleList(EqualizedConv2d(f, channels, 1, gain=1.0) for f in fmaps)
        self.register_buffer("w_avg", torch.zeros(w_dim))

    @property
    def n_layers(self) -> int:
        """Style inputs of the full-size network (two per resolution)."""
        return len(self.layers)

    @property
    def current_layers(self) -> int:
        """Style inputs in use at the current level."""
        return 2 * (self.current_level + 1)

    def layer_levels(self) -> list[int]:
        """The resolution level of each style input."""
        return [i // 2 for i in range(self.n_layers)]

    def broadcast(self, w: torch.Tensor) -> torch.Tensor:
        """One w (N, D) for every layer: (N, n_layers, D)."""
        return w[:, None].expand(-1, self.n_layers, -1)

    def styles(
        self, z: torch.Tensor, truncation: float | None = None, cutoff: int | None = None
    ) -> torch.Tensor:
        """Per-layer styles for z: mapped, mixed (training) and truncated (when psi is given).

        In training mode this also updates the running average of w and applies style-mixing
        regularisation to a ``style_mixing`` share of the batch.
        """
        w = self.mapping(z)
        if self.training:
            with torch.no_grad():
                self.w_avg.lerp_(w.detach().mean(0), 1.0 - self.w_avg_beta)
        ws = self.broadcast(w)
        if self.training and self.style_mixing > 0:
            w2 = self.mapping(torch.randn_like(z))
            cut = mixing_cutoffs(len(z), self.style_mixing, self.current_layers, z.device)
            ws = mix_styles(w, w2, cut, self.n_layers)
        if truncation is not None and truncation != 1.0:
            ws = truncate(
                ws, self.w_avg, truncation, self.truncation_cutoff if cutoff is None else cutoff
            )
        return ws

    def synthesis(self, ws: torch.Tensor, noise: Noise = None) -> torch.Tensor:
        """Images at the current level from per-layer styles (N, n_layers, D).

        ``noise`` holds one entry per layer: a N x 1 x H x W (or 1 x 1 x H x W) image, zeros to
        switch the layer's noise off, or None for the default (random in training, fixed in eval).
        """
        level, alpha = self.current_level, self.current_alpha
        noise = list(noise) if noise is not None else [None] * self.n_layers
        x = self.const.expand(len(ws), -1, -1, -1)
        previous = x
        for lv in range(level + 1):
            previous = x
            for i in (2 * lv, 2 * lv + 1):
                n_i = noise[i]
                if n_i is not None:
                    n_i = n_i.to(x).expand(len(x), -1, -1, -1)
                x = self.layers[i](x, ws[:, i], n_i)
        new = self.to_rgb[level](x)
        if level == 0 or alpha >= 1.0:
            return new
        return fade(upsample_nearest(self.to_rgb[level - 1](previous)), new, alpha)

    def synthesize(
        self,
        z: torch.Tensor,
        truncation: float | None = None,
        truncation_cutoff: int | None = None,
        noise: Noise = None,
        **kwargs: object,
    ) -> torch.Tensor:
        """Images at the current level for latents z."""
        return self.synthesis(self.styles(z, truncation, truncation_cutoff), noise)

    def generate(
        self, z: torch.Tensor, y: torch.Tensor | None = None, truncation: float | None = None
    ) -> torch.Tensor:
        """Full-size images for z, truncated in w towards its running average when psi is given."""
        return self(z, y) if truncation is None else self(z, y, truncation=truncation)

    def render(self, ws: torch.Tensor, noise: Noise = None) -> torch.Tensor:
        """Full-size images from per-layer styles (for the style-mixing and noise figures)."""
        return self.to_full_size(self.synthesis(ws, noise))


@MODELS.register("stylegan", recipe="progressive", data_kind="image", limits=growth_limits)
def stylegan(
    info: DataInfo,
    d_output: DOutput = "score",
    *,
    z_dim: int = 512,
    w_dim: int = 512,
    mapping_layers: int = 8,
    mapping_lr_mul: float = 0.01,
    g_width: int | None = None,
    d_width: int | None = None,
    width_max: int = 512,
    widths: list[int] | None = None,
    style_mixing: float = 0.9,
    truncation_cutoff: int | None = 8,
    w_avg_beta: float = 0.995,
    mbstd_group: int = 4,
) -> GANModels:
    """StyleGAN: mapping network, AdaIN synthesis with noise, mixing, truncation; grows 4x4 up."""
    resolutions = growth_resolutions(info, "stylegan", d_output)
    if not 0.0 <= style_mixing <= 1.0:
        raise ConfigError(f"model.style_mixing is a probability in [0, 1], got {style_mixing}")
    if not 0.0 <= w_avg_beta < 1.0:
        raise ConfigError(f"model.w_avg_beta must be in [0, 1), got {w_avg_beta}")
    if mapping_layers < 1 or mapping_lr_mul <= 0:
        raise ConfigError("model.mapping_layers must be >= 1 and model.mapping_lr_mul > 0")
    g_fmaps = channel_progression(resolutions, g_width, width_max, widths)
    d_fmaps = channel_progression(resolutions, d_width, width_max, widths)
    g = StyleGANGenerator(
        z_dim,
        w_dim,
        info.channels,
        resolutions,
        g_fmaps,
        mapping_layers,
        mapping_lr_mul,
        style_mixing,
        truncation_cutoff,
        w_avg_beta,
    )
    d = ProGANDiscriminator(info.channels, resolutions, d_fmaps, mbstd_group, blur=True)
    return GANModels(g, d, d_output)
