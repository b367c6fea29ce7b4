"""The class-conditional families (cgan, acgan, infogan, sgan): CLI training with several losses,
their objectives against hand computations, class grids and ``sample --class``."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge import api, config
from ganforge.errors import GanforgeError
from ganforge.registry import RECIPES
from ganforge.train.recipes.auxiliary import Tap
from ganforge.train.recipes.infogan import information_loss
from ganforge.train.recipes.sgan import labelled_subset

from ..conftest import run_cli

TINY = [
    "data.size=8",
    "model.g_width=4",
    "model.d_width=4",
    "model.z_dim=6",
    "train.batch_size=8",
    "train.steps=3",
    "train.checkpoint_every=3",
    "train.sample_every=3",
    "train.log_every=1",
    "train.progress=false",
    "eval.metrics=[]",
]


def recipe(preset: str, *overrides: str):  # type: ignore[no-untyped-def]
    """A tiny recipe of ``preset`` on the CPU."""
    cfg = config.resolve(preset, [*TINY, *overrides])
    from ganforge.data import build_dataset

    info = build_dataset(cfg.data.name, cfg.data.params).info
    torch.manual_seed(0)
    return RECIPES.get(config.recipe_of(cfg.model.name))(cfg, info, torch.device("cpu"))


@pytest.mark.parametrize(
    ("preset", "extra"),
    [
        ("cgan-digits", ["loss.name=hinge"]),
        ("cgan-digits", ["model.d_condition=projection", "model.d_norm=spectral"]),
        ("acgan-digits", ["loss.name=wgan-gp", "model.d_norm=layer", "schedule.class_weight=0.5"]),
        ("infogan-digits", ["loss.name=least-squares", "model.continuous=1"]),
        ("sgan-digits", ["schedule.labelled=20"]),
    ],
    ids=["cgan-hinge", "cgan-projection", "acgan-wgan-gp", "infogan-lsgan", "sgan"],
)
def test_each_family_trains_from_the_cli(tmp_path: Path, capsys, preset, extra) -> None:
    sets = [a for o in [*TINY, *extra] for a in ("--set", o)]
    code, _, err = run_cli(
        capsys, "train", preset, "--runs-dir", str(tmp_path), "--name", "r", "--quiet", *sets
    )
    assert code == 0, err
    samples = {p.name for p in (tmp_path / "r" / "samples").glob("*.png")}
    assert "step-0000003.png" in samples
    family = preset.split("-")[0]
    if family in ("cgan", "acgan"):
        assert "class-grid.png" in samples  # one row per class, in the report
        assert "class-grid.png" in (tmp_path / "r" / "report.html").read_text()
    if family == "infogan":
        assert {"code-categorical.png", "code-continuous-0.png"} <= samples
    if family == "sgan":
        last = [line for line in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
        assert '"test_acc"' in last[-2] and '"baseline_acc"' in last[-2]


def test_acgan_objectives_match_a_hand_computation() -> None:
    r = recipe("acgan-digits", "schedule.class_weight=0.5")
    d = r.d
    real, fake = torch.randn(8, 1, 8, 8), torch.randn(8, 1, 8, 8)
    y = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7])
    calls = []
    heads = d.heads
    d.heads = lambda x: calls.append(1) or heads(x)  # type: ignore[method-assign]
    loss, logs = r.d_objective(real, fake, y, 1.0)
    assert len(calls) == 2  # one trunk pass per batch: the class terms reuse the loss's
    del d.heads
    (sr, lr), (sf, lf) = d.heads(real), d.heads(fake)

    def ce(logits: torch.Tensor) -> torch.Tensor:  # -log softmax at the true class
        return -(logits - logits.exp().sum(1, keepdim=True).log())[torch.arange(8), y].mean()

    softplus = lambda v: torch.log1p(torch.exp(v))  # noqa: E731
    expected = softplus(-sr).mean() + softplus(sf).mean() + 0.5 * (ce(lr) + ce(lf))
    assert float(loss.detach()) == pytest.approx(float(expected.detach()), rel=1e-5)
    assert float(logs["class_real"]) == pytest.approx(float(ce(lr).detach()), rel=1e-5)
    g_loss, _ = r.g_objective(fake, real, y)
    expected_g = softplus(-sf).mean() + 0.5 * ce(lf)
    assert float(g_loss.detach()) == pytest.approx(float(expected_g.detach()), rel=1e-5)


def test_information_loss_matches_a_hand_computation() -> None:
    # two samples, 3 categories, 1 continuous code
    q = torch.tensor([[2.0, 0.0, 0.0, 0.5], [0.0, 1.0, 1.0, -1.0]])
    y = torch.tensor([0, 2])
    codes = torch.tensor([[0.0], [-0.5]])
    ce, mse = information_loss(q, codes, y, 3)
    ce0 = -(2 - math.log(math.exp(2) + 2))
    ce1 = -(1 - math.log(1 + 2 * math.e))
    assert float(ce) == pytest.approx((ce0 + ce1) / 2)
    assert float(mse) == pytest.approx((0.5 * 0.25 + 0.5 * 0.25) / 2)
    # a learned variance: one more column, Q's log-variance of the code
    log_var = torch.tensor([[math.log(4.0)], [0.0]])
    ce_learned, nll = information_loss(torch.cat([q, log_var], 1), codes, y, 3)
    assert float(ce_learned) == pytest.approx(float(ce))
    nll0 = 0.5 * (math.log(4.0) + 0.25 / 4.0)  # 0.5 (log var + (c - mu)^2 / var)
    nll1 = 0.5 * (0.0 + 0.25)
    assert float(nll) == pytest.approx((nll0 + nll1) / 2)


@pytest.mark.parametrize("variant", [[], ["model.code_std=learned"]])
def test_infogan_information_term_trains_q_and_the_trunk_and_codes_ignore_the_data(
    variant: list[str],
) -> None:
    r = recipe(
        "infogan-digits", "schedule.info_weight=2", "schedule.continuous_weight=0.5", *variant
    )
    batch = {"x": torch.zeros(400, 1, 8, 8), "y": torch.zeros(400, dtype=torch.long)}
    assert r.condition(batch, 400) is None  # the data's labels are not read
    y = r.fake_condition(batch["y"], 400)
    assert len(torch.unique(y)) == 10  # drawn uniformly, not the batch's labels (all 0 here)
    z = r.g.latent(8)
    assert z[:, r.g.noise :].abs().max() <= 1  # continuous codes uniform on [-1, 1]
    y = torch.arange(8) % 10
    fake = r.generate(z, y).detach()
    real = torch.randn(8, 1, 8, 8)
    r.latent = z  # the step names the latents of the micro-batch it scores
    total, logs = r.d_objective(real, fake, None, 1.0, y)
    adversarial, _ = r.loss.d_loss(r.d, real, fake)
    ce, mse = information_loss(r.d.heads(fake)[1], z[:, r.g.noise :], y, 10)
    expected = (adversarial + 2 * (ce + 0.5 * mse)).item()
    assert total.item() == pytest.approx(expected, rel=1e-5)
    assert float(logs["mi_cat"]) == pytest.approx(math.log(10) - ce.item(), abs=1e-5)
    term, _ = r._information(Tap(r.d.heads), fake, y)
    term.backward()
    trunk = r.d.encoder.net[0].weight.grad
    q_out = r.d.aux[-1].weight.grad
    assert trunk is not None and trunk.abs().sum() > 0  # D's trunk learns from L_I
    assert q_out is not None and q_out.abs().sum() > 0
    if variant:  # Q predicts a mean and a log-variance per continuous code
        assert q_out.shape[0] == 10 + 2 * r.g.continuous


def test_sgan_objective_is_the_k_plus_one_classifier_loss() -> None:
    r = recipe("sgan-digits", "schedule.labelled=20", "schedule.class_weight=0.25")
    xl, yl = torch.randn(8, 1, 8, 8), torch.arange(8) % 10
    r._labelled_batch = lambda: (xl, yl)  # type: ignore[method-assign]
    real, fake = torch.randn(8, 1, 8, 8), torch.randn(8, 1, 8, 8)
    loss, _ = r.d_objective(real, fake, None, 1.0)
    lr, lf, ll = (r.d.heads(x)[1].double() for x in (real, fake, xl))
    z_real, z_fake = lr.exp().sum(1), lf.exp().sum(1)  # Z = sum_k exp(l_k); fake logit 0
    unsup = -(z_real / (z_real + 1)).log().mean() - (1 / (z_fake + 1)).log().mean()
    sup = -(ll.softmax(1)[torch.arange(8), yl]).log().mean()  # K-way CE of the labelled batch
    assert loss.item() == pytest.approx((unsup + 0.25 * sup).item(), rel=1e-5)


def test_sgan_labelled_subset_is_class_balanced_and_needs_the_training_split() -> None:
    labels = torch.arange(100) % 10
    index = labelled_subset(labels, 23, 10, seed=0)
    counts = np.bincount(labels[index].numpy(), minlength=10)
    assert counts.tolist() == [3, 3, 3] + [2] * 7
    assert torch.equal(index, labelled_subset(labels, 23, 10, seed=0))
    with pytest.raises(GanforgeError, match=r"data\.split=train"):
        recipe("sgan-digits", "data.split=all")


def test_sample_class_and_class_grid(tmp_path: Path, capsys) -> None:
    sets = [a for o in TINY for a in ("--set", o)]
    code, _, err = run_cli(
        capsys, "train", "cgan-digits", "--runs-dir", str(tmp_path), "--name", "r", "--quiet",
        *sets,
    )  # fmt: skip
    assert code == 0, err
    run = tmp_path / "r"
    code, out, _ = run_cli(capsys, "sample", str(run), "--class", "3", "--n", "5", "--seed", "2")
    assert code == 0
    written = np.asarray(Image.open(out.strip()))
    model = api.load(run)
    expected = tmp_path / "expected.png"
    from ganforge.report import save_samples

    save_samples(model.sample(5, 2, [3] * 5), model.info, expected)
    assert np.array_equal(written, np.asarray(Image.open(expected)))  # class 3's samples
    code, out, _ = run_cli(capsys, "sample", str(run), "--class-grid", "--n", "4")
    assert code == 0
    # 8 px images are shown 8x enlarged: 64 px cells plus 2 px padding; 10 rows of 4
    assert Image.open(out.strip()).size[1] >= 10 * 66
    code, out, _ = run_cli(capsys, "sample", str(run), "--class-grid")
    assert code == 0  # without --n: 8 per class row, a readable width (was 64 wide)
    assert 8 * 66 <= Image.open(out.strip()).size[0] < 9 * 66
    code, _, err = run_cli(capsys, "generate", str(run), "--seeds", "0", "--out", str(tmp_path))
    assert code == 2 and "give --class K (0..9)" in err
    code, _, err = run_cli(capsys, "generate", str(run), "--seeds", "2", "--class", "3",
                           "--out", str(tmp_path / "gen"))  # fmt: skip
    assert code == 0, err
    one = model.sample(1, 2, [3])
    assert np.array_equal(
        np.asarray(Image.open(tmp_path / "gen" / "seed0002.png")),
        ((one[0, 0].clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy(),
    )
    code, _, err = run_cli(capsys, "sample", str(run), "--class", "10")
    assert code == 2 and "--class must be in 0..9" in err
    code, _, err = run_cli(capsys, "sample", str(run), "--class", "1", "--class-grid")
    assert code == 2 and "exclude each other" in err


def test_sample_class_refuses_an_unconditional_run(tmp_path: Path, capsys) -> None:
    sets = [a for o in [*TINY, "schedule.labelled=20"] for a in ("--set", o)]
    code, _, _ = run_cli(
        capsys, "train", "sgan-digits", "--runs-dir", str(tmp_path), "--name", "r", "--quiet",
        *sets,
    )  # fmt: skip
    assert code == 0
    code, _, err = run_cli(capsys, "sample", str(tmp_path / "r"), "--class", "1")
    assert code == 2 and "needs a class-conditional model" in err


def test_family_specific_errors(tmp_path: Path, capsys) -> None:
    code, _, err = run_cli(capsys, "train", "acgan-digits", "--set", "loss.name=began")
    assert code == 2 and "needs a loss whose discriminator outputs a score" in err
    code, _, err = run_cli(capsys, "train", "cgan-digits", "--set", "data.name=ring")
    assert code == 2 and "error:" in err


def test_cgan_projection_scores_a_conv_of_the_whole_feature_map_plus_the_class_term() -> None:
    r = recipe("cgan-digits", "model.d_condition=projection")
    d = r.d.eval()
    x, y = torch.randn(5, 1, 8, 8), torch.tensor([0, 3, 3, 7, 9])
    with torch.no_grad():
        h = d.encoder(x)  # (N, C, base, base)
        assert d.head.kernel_size == tuple(h.shape[2:])  # one window: the whole final map
        unconditional = (d.head.weight * h).sum((1, 2, 3)) + d.head.bias  # not linear(sum h)
        projection = (d.embed(y) * h.sum((2, 3))).sum(1)
        assert torch.allclose(d(x, y), unconditional + projection, atol=1e-5)
