"""StyleGAN's figures from a checkpoint: style mixing, truncation sweep, noise.

Style-mixing grid (the paper's Figure 3): the top row holds the column sources, the left column
the row sources; every other cell is its row source with the styles of one band of resolutions
copied from its column source. Rows come in three bands: coarse (4-8), middle (16-32) and fine
(64 and up). A model too small for all three paper bands (32x32 has no 64+ layers) splits its
resolutions into three contiguous bands instead, coarse first: 32x32 -> 4-8 | 16 | 32,
16x16 -> 4 | 8 | 16.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from ganforge.errors import GanforgeError
from ganforge.models.stylegan import StyleGANGenerator
from ganforge.report import save_samples
from ganforge.runs import Loaded

PAPER_BANDS = (("coarse", 4, 8), ("middle", 16, 32), ("fine", 64, 1 << 30))
TRUNCATION_PSI = (1.0, 0.7, 0.5, 0.0, -0.5, -1.0)  # the paper's Figure 8
NOISE_REALISATIONS = 32  # noise draws behind the per-pixel std panel


def style_bands(resolutions: list[int]) -> list[tuple[str, list[int]]]:
    """(band name, resolution levels) for coarse / middle / fine styles."""
    paper = [
        (name, [i for i, r in enumerate(resolutions) if lo <= r <= hi])
        for name, lo, hi in PAPER_BANDS
    ]
    if all(levels for _, levels in paper):
        return paper
    n = len(resolutions)
    if n < 3:
        raise GanforgeError(
            f"style mixing needs at least three resolutions (16x16); this model is at "
            f"{resolutions[-1]}x{resolutions[-1]}"
        )
    sizes = [n // 3 + (1 if k < n % 3 else 0) for k in range(3)]
    starts = [0, sizes[0], sizes[0] + sizes[1]]
    return [
        (name, list(range(start, start + size)))
        for (name, _, _), start, size in zip(PAPER_BANDS, starts, sizes)
    ]


def band_label(resolutions: list[int], levels: list[int]) -> str:
    """'4-8', '16', '64-1024'."""
    lo, hi = resolutions[levels[0]], resolutions[levels[-1]]
    return str(lo) if lo == hi else f"{lo}-{hi}"


def stylegan_of(model: Loaded) -> StyleGANGenerator:
    """The loaded generator, which must be a StyleGAN."""
    if not isinstance(model.g, StyleGANGenerator):
        raise GanforgeError(
            f"{model.checkpoint} holds a {model.config.model.name!r} model; the StyleGAN figures "
            "need a stylegan checkpoint"
        )
    return model.g


def latents(g: StyleGANGenerator, n: int, seed: int) -> torch.Tensor:
    """n latents on the generator's device, deterministic in seed."""
    device = next(g.parameters()).device
    return g.latent(n, torch.Generator().manual_seed(seed), device=device)


BLANK = 1.0  # an empty (white) cell


@torch.no_grad()
def style_mixing_figure(
    model: Loaded,
    out: Path,
    columns: int = 5,
    rows_per_band: int = 2,
    seed: int = 0,
    truncation: float | None = None,
) -> Path:
    """The style-mixing grid: each row takes one band of styles from every column source."""
    g = stylegan_of(model)
    current = g.resolutions[: g.current_level + 1]
    bands = style_bands(current)
    n_rows = rows_per_band * len(bands)
    col_ws = g.styles(latents(g, columns, seed), truncation)
    row_ws = g.styles(latents(g, n_rows, seed + 1), truncation)
    col_img, row_img = g.render(col_ws), g.render(row_ws)
    cells = [torch.full_like(col_img[0], BLANK), *col_img]
    captions = ["rows take", *[f"source {c + 1}" for c in range(columns)]]
    for r in range(n_rows):
        name, levels = bands[r // rows_per_band]
        layers = [i for i, lv in enumerate(g.layer_levels()) if lv in levels]
        mixed = row_ws[r : r + 1].repeat(columns, 1, 1)
        mixed[:, layers] = col_ws[:, layers]
        cells += [row_img[r], *g.render(mixed)]
        captions += [f"{name} {band_label(current, levels)}", *[""] * columns]
    return save_samples(torch.stack(cells).cpu(), model.info, out, captions, nrow=columns + 1)


@torch.no_grad()
def truncation_figure(model: Loaded, out: Path, n: int = 4, seed: int = 0) -> Path:
    """One row per latent, one column per psi in (1, 0.7, 0.5, 0, -0.5, -1)."""
    g = stylegan_of(model)
    z = latents(g, n, seed)
    columns = [g(z, truncation=psi) for psi in TRUNCATION_PSI]
    images = torch.stack(columns, 1).flatten(0, 1).cpu()
    captions = [f"psi={psi:g}" for psi in TRUNCATION_PSI] * n
    return save_samples(images, model.info, out, captions, nrow=len(TRUNCATION_PSI))


def noise_bands(g: StyleGANGenerator) -> tuple[list[int], list[int]]:
    """Layer indices with coarse (4-32) and fine (64+) noise; a small model splits in half."""
    levels = g.layer_levels()
    n_levels = g.current_level + 1
    coarse_levels = sum(1 for r in g.resolutions[:n_levels] if r <= 32)
    if coarse_levels == n_levels:
        coarse_levels = math.ceil(n_levels / 2)
    coarse = [i for i, lv in enumerate(levels) if lv < coarse_levels]
    fine = [i for i, lv in enumerate(levels) if coarse_levels <= lv < n_levels]
    return coarse, fine


@torch.no_grad()
def noise_figure(model: Loaded, out: Path, n: int = 4, seed: int = 0) -> Path:
    """Per latent: noise in all layers, none, fine only, coarse only; three other draws; std.

    Every panel uses the same w; only the noise inputs change. The last panel is the per-pixel
    standard deviation over 32 noise draws (scaled to the full range), showing what noise moves.
    """
    g = stylegan_of(model)
    device = next(g.parameters()).device
    ws = g.styles(latents(g, n, seed))
    coarse, fine = noise_bands(g)
    sizes = [g.resolutions[lv] for lv in g.layer_levels()]
    draw = torch.Generator().manual_seed(seed + 2)

    def noise(keep: list[int] | None) -> list[torch.Tensor | None]:
        """Fixed noise on ``keep`` (all when None), zeros elsewhere."""
        return [
            None if keep is None or i in keep else torch.zeros(1, 1, s, s, device=device)
            for i, s in enumerate(sizes)
        ]

    def random_noise() -> list[torch.Tensor | None]:
        return [torch.randn(n, 1, s, s, generator=draw).to(device) for s in sizes]

    panels = [g.render(ws, noise(None)), g.render(ws, noise([])), g.render(ws, noise(fine))]
    panels.append(g.render(ws, noise(coarse)))
    draws = torch.stack([g.render(ws, random_noise()) for _ in range(NOISE_REALISATIONS)])
    panels += list(draws[:3])
    std = draws.std(0).mean(1, keepdim=True).expand_as(draws[0])
    panels.append(std / std.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-8) * 2 - 1)
    names = ["all", "none", "fine", "coarse", "draw 1", "draw 2", "draw 3"]
    images = torch.stack(panels, 1).flatten(0, 1).cpu()
    return save_samples(images, model.info, out, [*names, "std"] * n, nrow=len(panels))
