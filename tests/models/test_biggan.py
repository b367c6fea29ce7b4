"""BigGAN / BigGAN-deep and their layers: conditional BN, self-attention, spectral norm,
orthogonal regularisation, truncation by resampling, the reference parameter counts, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn
from torch.nn.utils import parametrize

import ganforge.models.biggan as biggan_mod
from ganforge.cli import main
from ganforge.data.base import DataInfo
from ganforge.losses.penalties import GeneratorBatch, orthogonal_penalty
from ganforge.models.base import count_parameters
from ganforge.models.biggan import biggan
from ganforge.models.biggan_deep import biggan_deep
from ganforge.models.latent import truncated_normal
from ganforge.nn.attention import SelfAttention
from ganforge.nn.cond_norm import (
    ConditionalBatchNorm2d,
    batch_norm_statistics,
    standing_statistics,
)
from ganforge.registry import PENALTIES
from ganforge.runs import RunDir
from ganforge.train.recipes.base import class_grid, grid_classes

from ..conftest import run_cli

DIGITS = DataInfo("digits", "image", (1, 32, 32), 100, n_classes=10)
SMALL = dict(z_dim=32, g_width=8, d_width=8, shared_dim=16, g_attention=16, d_attention=16)


def test_conditional_batch_norm_is_non_affine_bn_times_one_plus_gain_plus_bias() -> None:
    torch.manual_seed(0)
    cbn = ConditionalBatchNorm2d(3, 5)
    x, c = torch.randn(4, 3, 2, 2), torch.randn(4, 5)
    mean = x.mean((0, 2, 3), keepdim=True)
    var = x.var((0, 2, 3), unbiased=False, keepdim=True)
    normed = (x - mean) / torch.sqrt(var + 1e-5)
    gain = 1 + c @ cbn.gain.weight.t()
    bias = c @ cbn.bias.weight.t()
    expected = normed * gain[:, :, None, None] + bias[:, :, None, None]
    torch.testing.assert_close(cbn(x, c), expected, atol=1e-5, rtol=1e-5)
    assert cbn.gain.bias is None and cbn.bias.bias is None and not cbn.bn.affine
    assert count_parameters(cbn) == 2 * 5 * 3


def test_without_a_shared_embedding_the_per_class_gains_are_plain_embeddings() -> None:
    # the reference's G_shared=False (its CIFAR setting): each conditional batch norm holds two
    # nn.Embedding tables (classes x channels), no spectral norm, N(0, 0.02) under init N02
    torch.manual_seed(0)
    info = DataInfo("cifar", "image", (3, 32, 32), 1, n_classes=10)
    g = biggan(info, **{**SMALL, "shared_dim": 0, "hierarchical": False, "init": "N02"}).g
    norms = [m for m in g.modules() if isinstance(m, ConditionalBatchNorm2d)]
    assert len(norms) == 6 and g.classes.shared is None
    for cbn in norms:
        for table in (cbn.gain, cbn.bias):
            assert type(table) is nn.Embedding and not parametrize.is_parametrized(table)
            assert table.weight.shape == (10, cbn.bn.num_features)
            assert 0.01 < table.weight.std().item() < 0.03  # N(0, 0.02), not rescaled by SN
    seen: list[torch.Tensor] = []
    g.blocks[1].bn2.register_forward_hook(lambda m, args, out: seen.append(args[1]))
    y = torch.tensor([0, 3, 3, 9])
    assert g(torch.randn(4, 32), y).shape == (4, 3, 32, 32)
    assert torch.equal(seen[0], y)  # the batch norms read the labels themselves
    cbn = norms[0]
    x = torch.randn(4, cbn.bn.num_features, 2, 2)
    mean = x.mean((0, 2, 3), keepdim=True)
    normed = (x - mean) / torch.sqrt(x.var((0, 2, 3), unbiased=False, keepdim=True) + 1e-5)
    gain, bias = 1 + cbn.gain.weight[y], cbn.bias.weight[y]  # a class's gain: 1 + its row
    expected = normed * gain[:, :, None, None] + bias[:, :, None, None]
    torch.testing.assert_close(cbn(x, y), expected, atol=1e-5, rtol=1e-5)


def test_per_class_gains_count_as_the_one_hot_linear_maps_they_replace() -> None:
    linear = ConditionalBatchNorm2d(16, 10)
    per_class = ConditionalBatchNorm2d(16, 10, per_class=True)
    assert count_parameters(per_class) == count_parameters(linear) == 2 * 10 * 16
    x = torch.randn(4, 16, 3, 3)
    torch.testing.assert_close(per_class(x, torch.arange(4)), linear(x, torch.zeros(4, 10)))


def test_each_generator_block_reads_the_shared_embedding_and_its_own_z_chunk() -> None:
    torch.manual_seed(0)
    g = biggan(DIGITS, **SMALL).g
    seen: list[torch.Tensor] = []
    for block in g.blocks:
        block.bn1.register_forward_hook(lambda m, args, out: seen.append(args[1]))
    z, y = torch.randn(5, 32), torch.tensor([0, 3, 3, 9, 1])
    g(z, y)
    chunks = z.split(8, 1)  # 3 blocks at 32x32: 4 chunks of 8, the first for the linear layer
    assert len(seen) == 3
    for c, chunk in zip(seen, chunks[1:]):
        torch.testing.assert_close(c, torch.cat([g.classes.shared(y), chunk], 1))


def test_the_orthogonal_penalty_value_and_exact_gradient_on_a_known_matrix() -> None:
    w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    value = orthogonal_penalty([w])
    assert value.item() == 242.0  # W W^T = [[5, 11], [11, 25]]: 2 * 11^2 off the diagonal
    value.backward()
    # d/dW ||W W^T * (1 - I)||^2 = 4 (W W^T * (1 - I)) W = 4 [[0, 11], [11, 0]] W
    assert w.grad.tolist() == [[132.0, 176.0], [44.0, 88.0]]


@pytest.mark.parametrize("shape", [(40, 3), (3, 40), (6, 2, 3, 3)])
def test_the_orthogonal_penalty_of_tall_wide_and_conv_weights_is_the_stated_formula(
    shape: tuple[int, ...],
) -> None:
    # computed (in float32) through the smaller Gram matrix; value and gradient as the direct
    # W W^T form in float64
    torch.manual_seed(0)
    w = torch.randn(shape, requires_grad=True)
    w64 = w.detach().double().requires_grad_(True)
    m = w64.reshape(shape[0], -1)
    direct = (m @ m.t() * (1 - torch.eye(shape[0], dtype=torch.float64))).square().sum()
    (expected,) = torch.autograd.grad(direct, w64)
    value = orthogonal_penalty([w])
    value.backward()
    assert value.item() == pytest.approx(direct.item(), rel=1e-4)
    torch.testing.assert_close(w.grad.double(), expected, rtol=1e-4, atol=1e-4)


def test_the_orthogonal_penalty_covers_g_weights_not_embeddings_and_weighs_by_beta() -> None:
    g = nn.Module()
    g.linear = nn.Linear(2, 2, bias=False)
    g.embed = nn.Embedding(4, 3)
    with torch.no_grad():
        g.linear.weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    penalty = PENALTIES.get("orthogonal")(beta=0.5)
    assert penalty.side == "g" and penalty.weight == 0.5
    batch = GeneratorBatch(g, torch.zeros(1, 1), None, torch.zeros(1, 1))
    assert penalty.value(batch).item() == 242.0  # the embedding is excluded


def test_truncation_resamples_values_beyond_the_threshold() -> None:
    z = truncated_normal(2000, 64, 1.0, torch.Generator().manual_seed(0)).numpy().ravel()
    assert np.abs(z).max() <= 1.0
    assert not (np.abs(z) == 1.0).any()  # clipping would pile values up at exactly +-1
    # the kept values follow the standard normal truncated to [-1, 1] (not a uniform, not N(0, 1))
    kept = stats.truncnorm(-1.0, 1.0)
    assert stats.kstest(z[:20000], kept.cdf).pvalue > 1e-3
    assert stats.kstest(z[:20000], stats.uniform(-1.0, 2.0).cdf).pvalue < 1e-6
    assert z.std() == pytest.approx(kept.std(), rel=0.01)


def test_biggan_latent_truncates_deterministically_and_refuses_a_non_positive_threshold() -> None:
    g = biggan(DIGITS, **SMALL).g
    a = g.latent(50, torch.Generator().manual_seed(3), truncation=0.3)
    b = g.latent(50, torch.Generator().manual_seed(3), truncation=0.3)
    assert torch.equal(a, b) and a.abs().max() <= 0.3
    images = g.sample(12, seed=1, truncation=0.3)
    assert images.shape == (12, 1, 32, 32)
    with pytest.raises(Exception, match="must be > 0"):
        g.latent(2, truncation=0.0)


def test_spectral_norm_brings_the_largest_singular_value_to_one() -> None:
    torch.manual_seed(0)
    d = biggan(DIGITS, **SMALL, sn_eps=1e-6).d
    conv = d.blocks[1].conv1
    assert conv.parametrizations.weight[0].eps == 1e-6
    x = torch.randn(4, 1, 32, 32)
    for _ in range(10):  # one power iteration per training forward (15 at registration)
        d(x, torch.arange(4))
    w = conv.weight.detach().reshape(conv.out_channels, -1)
    assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, abs=1e-3)


# orthogonal weights have equal singular values (the power iteration is exact at once); a random
# Gaussian matrix's top two are close, so 15 iterations leave a few per cent, as at registration
@pytest.mark.parametrize(("init", "tolerance"), [("ortho", 1e-3), ("N02", 0.2)])
def test_initialised_weights_are_spectrally_normed_before_any_training_forward(
    init: str, tolerance: float
) -> None:
    # the initialisation replaces the weights spectral norm was registered on: its singular-value
    # estimate must follow, or an evaluation-mode forward divides by a stale one
    torch.manual_seed(0)
    models = biggan(DIGITS, **SMALL, init=init)
    models.g.eval(), models.d.eval()
    modules = (*models.g.modules(), *models.d.modules())
    layers = [m for m in modules if hasattr(m, "parametrizations")]
    assert len(layers) > 20
    for m in layers:
        w = m.weight.detach()
        w = w.reshape(w.shape[0], -1)
        assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, abs=tolerance)


def test_generator_and_discriminator_outputs_depend_on_the_label() -> None:
    # the class reaches G through every conditional batch norm and D through the projection
    torch.manual_seed(0)
    models = biggan(DIGITS, **SMALL)
    z = models.g.latent(8, torch.Generator().manual_seed(1))
    zeros, sevens = torch.zeros(8, dtype=torch.long), torch.full((8,), 7)
    with torch.no_grad():
        x0, x7 = models.g(z, zeros), models.g(z, sevens)
        assert (x0 - x7).abs().mean() > 1e-2
        s0, s7 = models.d(x0, zeros), models.d(x0, sevens)
        assert (s0 - s7).abs().min() > 1e-3
        # only the class term differs: <embed(7) - embed(0), h>
        h = torch.relu(models.d.features(x0)).sum((2, 3))
        embed = models.d.head.embed.weight
        torch.testing.assert_close(s7 - s0, h @ (embed[7] - embed[0]), rtol=1e-4, atol=1e-4)


def test_self_attention_with_gain_zero_is_the_identity() -> None:
    torch.manual_seed(0)
    block = SelfAttention(16)
    assert block.gain.item() == 0.0
    assert [block.theta.out_channels, block.phi.out_channels, block.g.out_channels] == [2, 2, 8]
    x = torch.randn(2, 16, 8, 8)
    assert torch.equal(block(x), x)
    with torch.no_grad():
        block.gain.fill_(1.0)
    assert not torch.allclose(block(x), x)


def test_standing_statistics_average_batch_statistics_over_the_passes() -> None:
    bn = nn.BatchNorm2d(2)
    batches = [torch.randn(8, 2, 3, 3) + i for i in range(4)]
    standing_statistics(bn, lambda i: bn(batches[i]), passes=4)
    expected = torch.stack([b.mean((0, 2, 3)) for b in batches]).mean(0)
    torch.testing.assert_close(bn.running_mean, expected)
    assert not bn.training and bn.momentum == 0.1


def test_the_reference_parameter_counts_at_128_with_1000_classes_and_width_96(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(biggan_mod.INITS, "ortho", lambda weight: None)  # counts only
    info = DataInfo("imagenet", "image", (3, 128, 128), 1, n_classes=1000)
    models = biggan(info)
    assert count_parameters(models.g, trainable_only=False) == 70_433_988
    assert count_parameters(models.d, trainable_only=False) == 87_982_370
    assert models.g.attention_after == 3  # after the 64x64 block
    assert models.d.attention_after == 0  # after D's first block (64x64)


def test_biggan_deep_has_two_bottleneck_blocks_per_resolution_and_no_z_chunks() -> None:
    torch.manual_seed(0)
    models = biggan_deep(DIGITS, **{**SMALL, "g_width": 16, "d_width": 16})
    assert [len(s) for s in models.g.stages] == [2, 3, 2]  # attention after the 16x16 pair
    assert models.g.linear.in_features == 32 + 16  # the whole z and the class embedding
    x = models.g(torch.randn(3, 32), torch.arange(3))
    assert x.shape == (3, 1, 32, 32) and models.d(x, torch.arange(3)).shape == (3,)


def test_models_count_from_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "models", "biggan", "--count", "--size", "32", "--classes", "10",
        "--set", "model.g_width=64", "--set", "model.d_attention=0",
    )  # fmt: skip
    assert code == 0
    assert "biggan at 32x32, 3 channels, 10 classes" in out
    assert "g: " in out and "d: " in out
    code, _, err = run_cli(capsys, "models", "biggan", "--count", "--size", "100")
    assert code == 2 and "square images of side 32, 64, 128, 256" in err


def test_biggan_digits_trains_from_the_cli_and_sweeps_truncation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(
            ["train", "biggan-digits", "--runs-dir", str(tmp_path), "--name", "b", "--quiet",
             "--set", "train.steps=2", "--set", "train.batch_size=8", "--set", "train.log_every=1",
             "--set", "eval.metrics=[]", "--set", "train.ema_start=1",
             "--set", "eval.extractor=pixels"]
        )  # fmt: skip
        raise SystemExit(0)
    assert done.value.code == 0
    run = tmp_path / "b"
    records = [r for r in RunDir(run).read_metrics() if r["kind"] == "train"]
    assert [r["step"] for r in records] == [1, 2]
    assert all(r["orthogonal"] > 0 and np.isfinite(r["d_loss"]) for r in records)
    # the truncation sweep: a score and a grid row per threshold, into the run and its report
    code, out, _ = run_cli(
        capsys, "truncation", str(run), "--thresholds", "1,0.5", "--n", "20", "--metrics", "fid",
        "--bn-stats", "standing",
    )  # fmt: skip
    assert code == 0, out
    rows = json.loads((run / "truncation.json").read_text())
    assert [(r["truncation"], r["bn_stats"]) for r in rows] == [
        (1.0, "standing"),
        (0.5, "standing"),
    ]
    assert all(np.isfinite(r["fid"]) for r in rows)
    assert (run / "truncation-grid.png").is_file() and (run / "truncation.png").is_file()
    assert "<h2>Truncation</h2>" in (run / "report.html").read_text()


def test_batch_norm_statistics_modes_use_the_right_statistics_and_restore_the_module() -> None:
    bn = nn.BatchNorm2d(2).eval()
    with torch.no_grad():
        bn.running_mean.fill_(5.0)
    x = torch.randn(8, 2, 3, 3)
    with batch_norm_statistics(bn, "train"):
        torch.testing.assert_close(bn(x).mean((0, 2, 3)), torch.zeros(2), atol=1e-5, rtol=0)
    assert bn.running_mean.tolist() == [5.0, 5.0] and not bn.training
    with batch_norm_statistics(bn, "standing", lambda i: bn(x + 1.0), passes=2):
        torch.testing.assert_close(bn.running_mean, (x + 1.0).mean((0, 2, 3)))
    assert bn.running_mean.tolist() == [5.0, 5.0] and bn.momentum == 0.1


def test_the_end_of_run_class_grid_of_1000_classes_shows_20_evenly_spaced_ones() -> None:
    seen: list[torch.Tensor] = []

    class Stub:  # records the labels it is asked for
        n_classes = 1000

        def sample(self, n: int, seed: int, labels: torch.Tensor) -> torch.Tensor:
            seen.append(labels)
            return torch.zeros(n, 3, 4, 4)

    info = DataInfo("imagenet", "image", (3, 4, 4), 1, n_classes=1000)
    preview = class_grid(Stub(), 8, 0, info)  # type: ignore[arg-type]
    rows = seen[0].view(20, 8)
    assert (rows == rows[:, :1]).all() and rows[0, 0] == 0 and rows[-1, 0] == 999
    assert (rows[1:, 0] - rows[:-1, 0]).tolist() == pytest.approx([999 / 19] * 19, abs=1)
    assert preview.samples.shape == (160, 3, 4, 4) and preview.captions[8] == "53"
    assert grid_classes(10).tolist() == list(range(10))  # small label sets: every class


@pytest.mark.slow
def test_biggan_imagenet128_builds_and_runs_a_step_on_the_cpu(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (4, 128, 128, 3), dtype=np.uint8)
    np.savez(tmp_path / "imagenet128.npz", images=images, labels=np.array([0, 1, 2, 999]))
    with pytest.raises(SystemExit) as done:
        main(
            ["train", "biggan-imagenet128", "--runs-dir", str(tmp_path), "--name", "i",
             "--quiet", "--set", f"data.path={tmp_path / 'imagenet128.npz'}",
             "--set", "train.steps=1", "--set", "train.batch_size=2", "--set", "optim.n_critic=1",
             "--set", "optim.accumulate=2", "--set", "train.log_every=1",
             "--set", "eval.metrics=[]", "--set", "train.ema_start=0"]
        )  # fmt: skip
        raise SystemExit(0)
    assert done.value.code == 0
    (record,) = [r for r in RunDir(tmp_path / "i").read_metrics() if r["kind"] == "train"]
    assert np.isfinite(record["g_loss"]) and record["orthogonal"] > 0
    assert (tmp_path / "i" / "samples" / "class-grid.png").is_file()  # 20 of the 1,000 classes
