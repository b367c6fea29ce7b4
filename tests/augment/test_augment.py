"""DiffAugment and ADA transforms, the train.augment string, and ADA's adaptive p."""

from __future__ import annotations

import math

import pytest
import torch

from ganforge import config
from ganforge.augment import Augment, ada, diffaugment, parse_augment
from ganforge.augment.adaptive import IMAGES_TO_ONE, AdaptiveP
from ganforge.augment.sampling import bilinear_reflect, reflect
from ganforge.errors import ConfigError

CPU = torch.device("cpu")
DIFF = [
    diffaugment.brightness,
    diffaugment.saturation,
    diffaugment.contrast,
    diffaugment.translation,
    diffaugment.cutout,
]
GROUPS = [("blit",), ("geom",), ("color",), ("blit", "geom", "color")]


def _seeded(fn, seed: int = 1):  # type: ignore[no-untyped-def]
    """``fn`` with the same random draws on every call (gradcheck calls it many times)."""

    def call(*args):  # type: ignore[no-untyped-def]
        torch.manual_seed(seed)
        return fn(*args)

    return call


def _images(n: int = 3, c: int = 3, side: int = 8) -> torch.Tensor:
    return (
        torch.rand(
            n, c, side, side, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
        )
        * 2
        - 1
    ).requires_grad_()


# ---- the config string -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "parts", "p"),
    [
        ("none", "none", (), None),
        ("diffaugment", "diffaugment", ("color", "translation", "cutout"), None),
        ("diffaugment:cutout,color", "diffaugment", ("cutout", "color"), None),
        ("ada", "ada", ("blit", "geom", "color"), None),
        ("ada:bg", "ada", ("blit", "geom"), None),
        ("ada:bgc,p=0.2", "ada", ("blit", "geom", "color"), 0.2),
    ],
)
def test_augment_strings_parse(text: str, kind: str, parts: tuple, p: float | None) -> None:
    spec = parse_augment(text)
    assert (spec.kind, spec.parts, spec.p) == (kind, parts, p)
    assert spec.adaptive == (kind == "ada" and p is None)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("diffaugment:colour", "unknown DiffAugment policy 'colour'"),
        ("ada:bgq", "unknown ADA group 'q'"),
        ("ada:bgc,p=1.5", "p=1.5 is outside [0, 1]"),
        ("ada:bgc,p=x", "p='x' is not a number"),
        ("diffaugment:cutout,cutout", "'cutout' given twice"),
        ("ada:bgc,zz", "unexpected 'zz'"),
        ("adaptive", "unknown kind 'adaptive'"),
    ],
)
def test_a_bad_augment_string_is_one_line_at_config_time(text: str, why: str) -> None:
    with pytest.raises(ConfigError) as err:
        config.resolve("dcgan-digits", [f"train.augment={text}"])
    message = str(err.value)
    assert why in message and "\n" not in message and message.startswith("train.augment=")


@pytest.mark.parametrize(
    ("preset", "sets", "why"),
    [
        ("pix2pix-edges", [], "the pix2pix recipe"),
        ("cyclegan-strokes", [], "the cyclegan recipe"),
        ("toy-ring", [], "holds points data"),
        ("dcgan-digits", ["loss.name=began"], "auto-encoder discriminator"),
    ],
)
def test_recipes_and_losses_that_cannot_augment_refuse(preset: str, sets: list, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        config.resolve(preset, ["train.augment=diffaugment", *sets])
    config.resolve(preset, ["train.augment=none", *sets])  # the default stays valid


# ---- every transform: differentiable, shape, range, identity -----------------------------------


@pytest.mark.parametrize("transform", DIFF, ids=lambda f: f.__name__)
def test_diffaugment_transforms_are_twice_differentiable(transform) -> None:  # type: ignore[no-untyped-def]
    x = _images(n=2, side=4)
    assert torch.autograd.gradcheck(_seeded(transform), (x,))
    assert torch.autograd.gradgradcheck(_seeded(transform), (x,))  # gradient penalties


@pytest.mark.parametrize("groups", GROUPS, ids="+".join)
def test_ada_groups_are_twice_differentiable(groups: tuple[str, ...]) -> None:
    x = _images(n=2, side=4)
    fn = _seeded(lambda t: ada.ada_augment(t, groups, 1.0))
    assert torch.autograd.gradcheck(fn, (x,))
    assert torch.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("groups", GROUPS, ids="+".join)
def test_ada_at_p_zero_is_the_identity(groups: tuple[str, ...], channels: int) -> None:
    x = torch.rand(6, channels, 12, 12) * 2 - 1
    assert torch.equal(ada.ada_augment(x, groups, 0.0), x)
    assert torch.equal(ada.ada_augment(x, groups, torch.zeros((), dtype=torch.float64)), x)
    assert not torch.equal(ada.ada_augment(x, groups, 1.0), x)


@pytest.mark.parametrize("transform", DIFF, ids=lambda f: f.__name__)
def test_diffaugment_keeps_the_shape_and_changes_each_image(transform) -> None:  # type: ignore[no-untyped-def]
    x = torch.rand(16, 3, 32, 32) * 2 - 1
    y = transform(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert not torch.equal(y, x)


def test_translation_and_cutout_keep_the_range_and_fill_with_zeros() -> None:
    x = torch.rand(64, 1, 32, 32) + 0.5  # in [0.5, 1.5): a zero can only be padding or cutout
    for transform in (diffaugment.translation, diffaugment.cutout):
        y = transform(x)
        kept = y[y != 0]
        assert kept.min() >= x.min() and kept.max() <= x.max()
        assert torch.isin(kept, x).all()  # pixels moved or kept, never blended


def test_blit_keeps_pixel_values_and_geom_stays_within_the_range() -> None:
    x = torch.rand(32, 3, 16, 16) * 2 - 1
    torch.manual_seed(0)
    y = ada.ada_augment(x, ("blit",), 1.0)
    assert torch.isin(y, x).all()  # flips, quarter turns and whole-pixel moves (reflected)
    z = ada.ada_augment(x, ("geom",), 1.0)
    assert z.min() >= x.min() - 1e-6 and z.max() <= x.max() + 1e-6  # bilinear: convex weights


# ---- parameter distributions ------------------------------------------------------------------


def _dot_position(y: torch.Tensor) -> torch.Tensor:
    flat = y.flatten(1).argmax(1)
    return torch.stack([flat // y.shape[-1], flat % y.shape[-1]], 1)


def test_diffaugment_translation_is_at_most_an_eighth_of_the_side_and_covers_it() -> None:
    torch.manual_seed(0)
    x = torch.zeros(2000, 1, 32, 32)
    x[:, :, 16, 16] = 1.0
    moved = _dot_position(diffaugment.translation(x)) - 16
    assert moved.abs().max() == 4  # round(32 / 8)
    assert set(moved[:, 0].tolist()) == set(range(-4, 5)) == set(moved[:, 1].tolist())


def test_diffaugment_cutout_zeroes_a_square_of_half_the_side() -> None:
    torch.manual_seed(0)
    mask = diffaugment.cutout_mask(2000, 32, 32, CPU)[:, 0]
    zeros = (~mask).sum((1, 2))
    assert zeros.max() == 16 * 16 and zeros.min() >= 8 * 8  # clipped at a corner: >= a quarter
    rows, cols = (~mask).any(2).sum(1), (~mask).any(1).sum(1)
    assert rows.max() == cols.max() == 16
    assert torch.equal(zeros, rows * cols)  # one rectangle per image


def test_diffaugment_colour_magnitudes() -> None:
    torch.manual_seed(0)
    x = torch.zeros(4000, 3, 4, 4)
    b = diffaugment.brightness(x)[:, 0, 0, 0]
    assert b.min() >= -0.5 and b.max() < 0.5 and abs(b.mean()) < 0.02
    x = torch.rand(4000, 3, 4, 4)
    ratio = lambda y, mean: (y - mean).flatten(1).norm(dim=1) / (x - mean).flatten(1).norm(dim=1)  # noqa: E731
    s = ratio(diffaugment.saturation(x), x.mean(1, keepdim=True))
    c = ratio(diffaugment.contrast(x), x.mean((1, 2, 3), keepdim=True))
    assert s.min() >= 0 and s.max() <= 2 and s.max() > 1.95 and s.min() < 0.05
    assert c.min() >= 0.5 - 1e-5 and c.max() <= 1.5 + 1e-5 and abs(c.mean() - 1) < 0.02


def test_ada_blit_draws_flips_quarter_turns_and_integer_moves_within_an_eighth() -> None:
    torch.manual_seed(0)
    g = ada.blit_inverse(4000, 32, 32, 1.0, CPU)
    linear = g[:, :2, :2]
    assert torch.isin(linear, torch.tensor([-1.0, 0.0, 1.0])).all()
    assert torch.allclose(linear.det().abs(), torch.ones(4000))
    t = g[:, :2, 2]
    assert torch.equal(t, t.round()) and t.abs().max() == 4  # round(32 / 8)
    assert abs((linear.det() < 0).float().mean() - 0.5) < 0.03  # x-flip with probability 1/2
    assert torch.equal(ada.blit_inverse(50, 32, 32, 0.0, CPU), torch.eye(3).repeat(50, 1, 1))


def test_ada_geom_scales_follow_the_log_normal_spread() -> None:
    torch.manual_seed(0)
    n = 20000
    g = ada.geom_inverse(n, 32, 32, 1.0, CPU)
    # isotropic scale s and anisotropic a compose into det = 1 / s^2: log2 std = 2 * 0.2
    log_det = torch.log2(g[:, :2, :2].det().abs())
    assert abs(log_det.std() - 2 * ada.SCALE_STD) < 0.02 and abs(log_det.mean()) < 0.02
    # the fractional translation t comes last: g's offset column is L @ -t
    t = -torch.linalg.solve(g[:, :2, :2], g[:, :2, 2])
    assert abs(t.std() - ada.XFRAC_STD * 32) < 0.1 and abs(t.mean()) < 0.1


def test_ada_probability_sets_the_share_of_changed_images() -> None:
    torch.manual_seed(0)
    p = 0.3
    c = ada.colour_matrix(20000, 1, p, CPU)
    brightened = (c[:, 0, 3] != 0).float().mean()
    assert abs(brightened - p) < 0.015
    g = ada.geom_inverse(20000, 32, 32, p, CPU)
    rotated = ((g[:, 0, 1] != 0) | (g[:, 1, 0] != 0)).float().mean()
    assert abs(rotated - p) < 0.015  # one or both rotations: p, as the paper's p_rot


def test_ada_colour_on_gray_images_is_the_mean_of_the_rgb_rows() -> None:
    torch.manual_seed(0)
    c = ada.colour_matrix(50, 3, 1.0, CPU)
    gray = torch.rand(50, 1, 4, 4)
    rgb = ada.recolour(gray.expand(50, 3, 4, 4), c)
    assert torch.allclose(ada.recolour(gray, c), rgb.mean(1, keepdim=True), atol=1e-5)


def test_reflection_mirrors_without_repeating_the_edge() -> None:
    coords = torch.tensor([-2.0, -1.0, 0.0, 3.0, 4.0, 5.0, 9.0, 10.5])
    assert reflect(coords, 4).tolist() == [2.0, 1.0, 0.0, 3.0, 2.0, 1.0, 3.0, 1.5]
    x = torch.arange(4.0).view(1, 1, 1, 4)
    y = bilinear_reflect(x, torch.tensor([[[-1.0, 0.5, 3.0, 4.5]]]), torch.zeros(1, 1, 4))
    assert y.flatten().tolist() == [1.0, 0.5, 3.0, 1.5]


def test_quarter_turns_and_flips_are_exact_permutations() -> None:
    img = torch.arange(16.0).view(1, 1, 4, 4)
    turn = torch.tensor([[[0.0, -1, 0], [1, 0, 0], [0, 0, 1]]])
    assert torch.equal(ada.warp(img, turn), torch.rot90(img, 1, (2, 3)))
    flip = torch.diag(torch.tensor([-1.0, 1, 1])).unsqueeze(0)
    assert torch.equal(ada.warp(img, flip), img.flip(3))


# ---- ADA's adaptive p --------------------------------------------------------------------------


def test_p_rises_above_the_target_and_falls_below_it() -> None:
    ada_p = AdaptiveP(target=0.6, interval=2, device=CPU)
    plus = torch.tensor([1.0, 2.0, 3.0, -1.0, 4.0, 0.5, 0.1, 2.0, 1.0, 3.0])  # r_t = 0.8: above
    history = []
    for _ in range(6):
        ada_p.observe(plus, images=100)
        ada_p.observe(plus, images=100)  # two critic steps
        r_t = ada_p.end_step()
        assert r_t.item() == pytest.approx(0.8)
        history.append(ada_p.p.item())
    step_up = 2 * 200 / IMAGES_TO_ONE  # interval x images per step
    assert history == pytest.approx([0, step_up, step_up, 2 * step_up, 2 * step_up, 3 * step_up])
    minus = torch.tensor([1.0, -1.0, -2.0, 3.0])  # r_t = 0 < 0.6
    for _ in range(4):
        ada_p.observe(minus, images=200)
        ada_p.end_step()
    assert ada_p.p.item() == pytest.approx(step_up)
    for _ in range(20):  # never below 0
        ada_p.observe(minus, images=200)
        ada_p.end_step()
    assert ada_p.p.item() == 0.0


def test_p_goes_from_zero_to_one_in_500k_images_and_stays_at_one() -> None:
    ada_p = AdaptiveP(target=0.6, interval=4, device=CPU)
    for _ in range(IMAGES_TO_ONE // 1000):
        ada_p.observe(torch.ones(8), images=1000)
        ada_p.end_step()
    assert ada_p.p.item() == pytest.approx(1.0)
    ada_p.observe(torch.ones(8), images=10**6)
    for _ in range(4):
        ada_p.end_step()
    assert ada_p.p.item() == 1.0


def test_adaptive_state_restores_exactly_mid_interval() -> None:
    a = AdaptiveP(target=0.0, interval=3, device=CPU)
    scores = torch.tensor([0.5, -0.2, 0.3])
    for _ in range(4):
        a.observe(scores, images=7)
        a.end_step()
    b = AdaptiveP(target=0.0, interval=3, device=CPU)
    b.load_state_dict(a.state_dict())
    for ada_p in (a, b):
        for _ in range(2):
            ada_p.observe(scores, images=7)
            ada_p.end_step()
    assert a.p.item() == b.p.item() == 2 * 21 / IMAGES_TO_ONE


def test_fixed_p_measures_r_t_and_never_moves() -> None:
    aug = Augment(parse_augment("ada:bgc,p=0.2"), CPU, interval=1)
    for _ in range(5):
        aug.observe(torch.ones(4), images=4)
        logs = aug.end_step()
    assert logs["ada_p"].item() == pytest.approx(0.2) and logs["ada_rt"].item() == 1.0
    assert Augment(parse_augment("diffaugment"), CPU).end_step() == {}


def test_reduce_sums_the_statistics_of_every_process() -> None:
    seen = []

    def reduce(t: torch.Tensor) -> torch.Tensor:  # another rank with r_t = -1 on 3x the images
        seen.append(t.clone())
        return t + torch.tensor([-12.0, 12.0, 300.0], dtype=torch.float64)

    ada_p = AdaptiveP(target=0.0, interval=1, device=CPU, reduce=reduce, p=0.5)
    ada_p.observe(torch.ones(4), images=100)  # this rank alone: r_t = 1 > 0 would raise p
    ada_p.end_step()
    assert seen[0].tolist() == [4.0, 4.0, 100.0]
    assert ada_p.p.item() == pytest.approx(0.5 - 400 / IMAGES_TO_ONE)
    assert not math.isnan(ada_p.p.item())
