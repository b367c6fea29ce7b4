"""The training loop as BigGAN's reference code runs it (issue 21): gradient accumulation under
DistributedDataParallel, the fakes' classes, fresh fakes for the generator, the EMA, the
initialisations and lazy R1. One process; the multi-process runs are in test_ddp_loop.py."""

from __future__ import annotations

import collections
import contextlib
import logging
from collections.abc import Iterator

import pytest
import torch
import torch.distributed as dist
from torch import nn

from ganforge import config
from ganforge.data import build_dataset
from ganforge.data.base import DataInfo
from ganforge.losses.penalties import R1, R2, CriticBatch, r1_penalty, r2_penalty
from ganforge.registry import MODELS, RECIPES
from ganforge.train import distributed
from ganforge.train.ema import EMA
from ganforge.train.recipes.gan import GANRecipe

TINY = [
    "data.size=8",
    "model.g_width=4",
    "model.d_width=4",
    "model.z_dim=6",
    "train.batch_size=8",
    "train.progress=false",
    "eval.metrics=[]",
]


def recipe(preset: str, *overrides: str) -> GANRecipe:
    """A tiny recipe of ``preset`` on the CPU, and its dataset."""
    cfg = config.resolve(preset, [*TINY, *overrides])
    info = build_dataset(cfg.data.name, cfg.data.params).info
    torch.manual_seed(0)
    return RECIPES.get(config.recipe_of(cfg.model.name))(cfg, info, torch.device("cpu"))


def batches(r: GANRecipe, label: int | None = None) -> list[dict[str, torch.Tensor]]:
    """The step's batches from the recipe's dataset (every label ``label`` when given)."""
    data = build_dataset(r.cfg.data.name, r.cfg.data.params)
    out = []
    for i in range(r.batches_per_step):
        batch = data.get(torch.arange(8 * i, 8 * i + 8))
        if label is not None:
            batch["y"] = torch.full_like(batch["y"], label)
        out.append(batch)
    return out


@contextlib.contextmanager
def one_process_group() -> Iterator[None]:
    """A gloo process group of this one process (so recipes wrap their models in DDP)."""
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


# -- gradient accumulation under DDP -------------------------------------------------------------


@pytest.mark.parametrize(("k", "reuse"), [(2, True), (4, True), (2, False), (1, True)])
def test_each_update_all_reduces_the_whole_accumulated_gradient_once(k: int, reuse: bool) -> None:
    """DDP's reduction of G and D carries every micro-batch's gradient: the gradients stepped
    are the ones all-reduced, each bucket once per update (the kept fake's backward used to
    come after G's reduction and stayed out of it: ranks drifted apart)."""
    with one_process_group():
        r = recipe(
            "dcgan-digits",
            "model.g_norm=layer",
            "model.d_norm=layer",
            f"optim.accumulate={k}",
            f"train.reuse_fake={str(reuse).lower()}",
        )
        reduced: dict[str, collections.Counter] = {
            "g": collections.Counter(),
            "d": collections.Counter(),
        }
        sums: dict[str, dict[int, torch.Tensor]] = {"g": {}, "d": {}}

        def hook_for(name: str):  # type: ignore[no-untyped-def]
            def hook(state, bucket):  # type: ignore[no-untyped-def]  # DDP checks unannotated
                for p, g in zip(bucket.parameters(), bucket.gradients()):
                    reduced[name][id(p)] += 1
                    sums[name][id(p)] = g.detach().clone()
                fut: torch.futures.Future = torch.futures.Future()
                fut.set_result(bucket.buffer())
                return fut

            return hook

        for name in ("g", "d"):
            (wrapper,) = r.wrappers[name]
            assert isinstance(wrapper, nn.parallel.DistributedDataParallel)
            wrapper.register_comm_hook(None, hook_for(name))
        stepped: dict[str, dict[int, torch.Tensor]] = {}
        apply = r.apply

        def checked_apply(name, logs):  # type: ignore[no-untyped-def]
            stepped[name] = {id(p): p.grad.clone() for p in r.models[name].parameters()}
            assert all(reduced[name][i] == 1 for i in stepped[name]), reduced[name]
            for i, grad in stepped[name].items():
                torch.testing.assert_close(grad, sums[name][i], rtol=0, atol=0)
            reduced[name].clear()
            return apply(name, logs)

        r.apply = checked_apply  # type: ignore[method-assign]
        for _ in range(2):
            r.step(batches(r))
        assert set(stepped) == {"g", "d"}


def test_the_generator_step_generates_afresh_without_reuse_fake() -> None:
    """train.reuse_fake=false (the BigGAN presets): the generator's k micro-batches are all new
    fakes; with true the last critic micro-batch's fake is reused (k - 1 new ones)."""
    for reuse, fresh in ((True, 2), (False, 3)):
        r = recipe("dcgan-digits", "optim.accumulate=3", f"train.reuse_fake={str(reuse).lower()}")
        calls: list[bool] = []
        generate = r.generate

        def recording(z, y, calls=calls, generate=generate):  # type: ignore[no-untyped-def]
            calls.append(torch.is_grad_enabled())
            return generate(z, y)

        r.generate = recording  # type: ignore[method-assign]
        r.step(batches(r))
        # the critic's 3 micro-batches (one with its graph kept when reused), then the fresh ones
        assert len(calls) == 3 + fresh
        assert calls[:3] == [False, False, reuse]


@pytest.mark.parametrize("k", [2, 3])
def test_infogan_scores_each_fake_against_its_own_codes(k: int) -> None:
    """With accumulation, the information loss of every micro-batch (the reused fake's
    included) compares Q's output with the continuous codes that fake was generated from."""
    r = recipe("infogan-digits", f"optim.accumulate={k}")
    made: dict[int, torch.Tensor] = {}
    generate = r.generate

    def recording(z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        fake = generate(z, y)
        made[fake.data_ptr()] = z[:, r.g.noise :].clone()  # type: ignore[attr-defined]
        return fake

    checked = []
    information = r._information

    def checking(tap, fake, y):  # type: ignore[no-untyped-def]
        torch.testing.assert_close(r.codes(), made[fake.data_ptr()], rtol=0, atol=0)
        checked.append(fake.data_ptr())
        return information(tap, fake, y)

    r.generate = recording  # type: ignore[method-assign]
    r._information = checking  # type: ignore[method-assign]
    r.step(batches(r))
    assert len(checked) == 2 * k  # k critic micro-batches, k generator micro-batches


# -- the fakes' classes -----------------------------------------------------------------------


def test_sampled_fake_labels_are_uniform_and_ignore_the_batch() -> None:
    """train.fake_labels=sampled (default): the generator's classes, in the critic's and the
    generator's micro-batches, are drawn uniformly whatever the real batch holds (all 3 here);
    =real gives the batch's labels."""
    r = recipe("cgan-digits", "optim.accumulate=2")
    assert r.cfg.train.fake_labels == "sampled" and r.cfg.train.reuse_fake
    threes = torch.full((5000,), 3)
    counts = torch.bincount(r.fake_condition(threes, 5000), minlength=10).double()
    chi2 = ((counts - 500) ** 2 / 500).sum().item()
    assert chi2 < 27.9  # the 0.999 quantile of chi-squared with 9 degrees of freedom
    seen: list[torch.Tensor] = []
    generate = r.generate
    r.generate = lambda z, y: seen.append(y) or generate(z, y)  # type: ignore[method-assign]
    r.step(batches(r, label=3))
    assert len(seen) == 3  # 2 critic micro-batches, 1 fresh generator one
    labels = torch.cat(seen)
    assert (labels != 3).sum() >= 12  # 24 draws, each a 3 with probability 0.1 only
    r = recipe("cgan-digits", "train.fake_labels=real")
    seen.clear()
    generate = r.generate
    r.generate = lambda z, y: seen.append(y) or generate(z, y)  # type: ignore[method-assign]
    r.step(batches(r, label=3))
    assert seen and all((y == 3).all() for y in seen)


def test_the_discriminator_reads_each_batch_with_its_own_classes() -> None:
    """A conditional D sees the real batch with its labels and the fakes with their drawn
    classes (the penalties' interpolates with the real labels)."""
    r = recipe("cgan-digits", "loss.name=wgan-gp", "model.d_norm=layer")
    calls: list[tuple[torch.Tensor, torch.Tensor]] = []
    d_train = r.d_train
    r.trained["d"] = lambda x, y: calls.append((x, y)) or d_train(x, y)  # type: ignore[assignment]
    real, fake = torch.randn(8, 1, 8, 8), torch.randn(8, 1, 8, 8)
    y, y_fake = torch.zeros(8, dtype=torch.long), torch.ones(8, dtype=torch.long)
    r.d_objective(real, fake, y, 1.0, y_fake)
    assert [int(labels[0]) for _, labels in calls] == [0, 1, 0]  # real, fake, interpolates


def test_conditional_presets_sample_fake_classes_and_biggan_generates_afresh() -> None:
    """The presets' settings the docs state (docs/conditional.md, docs/biggan.md)."""
    for preset in ("acgan-digits", "cgan-digits", "biggan-digits", "biggan-cifar10"):
        assert config.resolve(preset).train.fake_labels == "sampled"
    for preset in ("biggan-digits", "biggan-cifar10", "biggan-imagenet128"):
        t = config.resolve(preset).train
        assert (t.reuse_fake, t.sync_batchnorm, t.ema_warmup) == (False, True, False)
    for preset in ("dcgan-digits", "acgan-digits", "cgan-digits"):
        t = config.resolve(preset).train
        assert (t.reuse_fake, t.ema_warmup) == (True, True)


# -- cross-replica batch norm ----------------------------------------------------------------


def test_sync_batchnorm_on_the_cpu_is_one_warning_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Several CPU processes cannot share batch statistics: one line says so (once), and
    training goes on with per-process statistics."""
    with one_process_group():
        monkeypatch.setattr(distributed, "world", lambda: distributed.World(0, 2))
        distributed._warn_sync_bn.cache_clear()
        with caplog.at_level(logging.WARNING, logger="ganforge.train"):
            for _ in range(2):
                wrapped = distributed.wrap(
                    nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)),
                    torch.device("cpu"),
                    sync_batchnorm=True,
                )
                assert not any(isinstance(m, nn.SyncBatchNorm) for m in wrapped.modules())
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [distributed.SYNC_BN_UNAVAILABLE]
    assert "\n" not in lines[0] and "CUDA" in lines[0]


# -- the EMA ------------------------------------------------------------------------------------


def test_ema_decay_is_plain_from_ema_start_unless_warmed_up() -> None:
    """Copies before ema_start, then the plain decay (the reference's); the warm-up only when
    asked for."""
    plain = EMA({"g": nn.Linear(1, 1)}, decay=0.999)
    assert [plain.decay_for(step, 5) for step in (1, 4, 5, 6, 10**6)] == [0, 0, 0.999, 0.999, 0.999]
    warm = EMA({"g": nn.Linear(1, 1)}, decay=0.999, warmup=True)
    assert warm.decay_for(4, 5) == 0.0
    assert warm.decay_for(6, 5) == pytest.approx(2 / 11)


def test_ema_averages_buffers_and_refreshes_spectral_norm() -> None:
    """Float buffers (batch-norm statistics, spectral norm's vectors) are averaged like the
    reference's state-dict EMA, integer ones copied; the averaged spectral-norm vectors then
    take one power iteration on the averaged weight, so an eval-mode forward divides by the
    estimate the reference's eval-mode forward computes."""
    torch.manual_seed(0)
    live = nn.Sequential(
        nn.utils.parametrizations.spectral_norm(nn.Linear(6, 5)), nn.BatchNorm1d(5)
    )
    ema = EMA({"g": live}, decay=0.5)
    shadow = ema.shadow["g"]
    old = {k: v.clone() for k, v in shadow.state_dict().items()}
    live.train()
    for _ in range(3):
        live(torch.randn(16, 6))  # moves the weights' estimate vectors and the statistics
    with torch.no_grad():
        live[0].parametrizations.weight.original.mul_(2.0)
    ema.update()
    new, now = shadow.state_dict(), live.state_dict()
    torch.testing.assert_close(
        new["1.running_mean"], 0.5 * (old["1.running_mean"] + now["1.running_mean"])
    )
    assert int(new["1.num_batches_tracked"]) == 3
    weight = 0.5 * (
        old["0.parametrizations.weight.original"] + now["0.parametrizations.weight.original"]
    )
    torch.testing.assert_close(new["0.parametrizations.weight.original"], weight)
    v = 0.5 * (old["0.parametrizations.weight.0._v"] + now["0.parametrizations.weight.0._v"])
    u = nn.functional.normalize(weight @ v, dim=0, eps=1e-12)
    v = nn.functional.normalize(weight.T @ u, dim=0, eps=1e-12)
    torch.testing.assert_close(new["0.parametrizations.weight.0._u"], u)
    torch.testing.assert_close(new["0.parametrizations.weight.0._v"], v)
    sigma = u @ weight @ v
    torch.testing.assert_close(shadow[0].weight, weight / sigma)
    copied = EMA({"g": live}, decay=0.5, buffers="copy")
    live(torch.randn(16, 6))
    copied.update()
    torch.testing.assert_close(copied.shadow["g"][1].running_mean, live[1].running_mean)


# -- initialisations ---------------------------------------------------------------------------


def _biggan(init: str):  # type: ignore[no-untyped-def]
    info = DataInfo("t", "image", (3, 32, 32), 100, 10)
    torch.manual_seed(0)
    return MODELS.get("biggan")(
        info, "score", g_width=4, d_width=4, z_dim=16, shared_dim=8, init=init
    )


def _weights(models) -> list[torch.Tensor]:  # type: ignore[no-untyped-def]
    from ganforge.nn.norm import raw_weight

    return [
        raw_weight(m).detach()
        for net in (models.g, models.d)
        for m in net.modules()
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding))
    ]


def _untouched(models) -> None:  # type: ignore[no-untyped-def]
    """Biases keep PyTorch's uniform default (not zeros) and batch-norm gains their ones."""
    biases = [
        m.bias
        for net in (models.g, models.d)
        for m in net.modules()
        if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None
    ]
    assert biases and all(b.abs().max() > 0 for b in biases)
    for net in (models.g, models.d):
        for m in net.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.weight is not None:
                assert torch.equal(m.weight, torch.ones_like(m.weight))


def test_n02_init_draws_weights_only_as_the_reference() -> None:
    models = _biggan("N02")
    flat = torch.cat([w.flatten() for w in _weights(models)])
    assert flat.std().item() == pytest.approx(0.02, rel=0.05) and abs(flat.mean().item()) < 1e-3
    _untouched(models)


def test_xavier_init_is_glorot_uniform() -> None:
    models = _biggan("xavier")
    for w in _weights(models):
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
        bound = (6 / (fan_in + fan_out)) ** 0.5
        assert w.abs().max() <= bound
        if w.numel() >= 1000:  # uniform on [-bound, bound]: std bound / sqrt(3)
            assert w.std().item() == pytest.approx(bound / 3**0.5, rel=0.1)
    _untouched(models)


def test_ortho_init_gives_orthogonal_weights() -> None:
    models = _biggan("ortho")
    for w in _weights(models):
        m = w.flatten(1)
        small = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
        torch.testing.assert_close(small, torch.eye(len(small)), atol=1e-4, rtol=0)
    _untouched(models)


# -- lazy R1 ----------------------------------------------------------------------------------


def _grads(m: nn.Module) -> list[torch.Tensor]:
    return [torch.zeros_like(p) if p.grad is None else p.grad.clone() for p in m.parameters()]


def test_lazy_r1_is_n_times_r1_every_n_steps_and_nothing_between() -> None:
    """loss.r1_every=N: on D updates 0, N, 2N, ... the value (and so its gradient) is N times
    the plain R1; on the others it is 0 and adds no gradient."""
    torch.manual_seed(0)
    d = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    real = torch.randn(16, 3)
    lazy = R1(gamma=10.0, every=4)
    for step in range(9):
        batch = CriticBatch(d, real, real, d(real), d(real))
        d.zero_grad()
        value = lazy.value(batch)
        if value.requires_grad:
            value.backward()
        got = _grads(d)
        d.zero_grad()
        plain = r1_penalty(d, real)
        if step % 4 == 0:
            plain.backward()
            assert value.item() == pytest.approx(4 * plain.item(), rel=1e-6)
            for g, p in zip(got, _grads(d)):
                torch.testing.assert_close(g, 4 * p)
        else:
            assert value.item() == 0.0 and not value.requires_grad
            assert all(g.abs().max() == 0 for g in got)
        lazy.after_d_step()
    assert lazy.state_dict() == {"d_steps": 9}
    lazy_r2 = R2(gamma=10.0, every=2)  # R2 is lazy the same way, on the fakes
    batch = CriticBatch(d, real, real[:8], d(real), d(real[:8]))
    assert lazy_r2.value(batch).item() == pytest.approx(2 * r2_penalty(d, real[:8]).item())
    lazy_r2.after_d_step()
    assert lazy_r2.value(batch).item() == 0.0


def test_lazy_r1_counts_discriminator_updates_and_resumes() -> None:
    """The recipe advances the count once per D update (not per micro-batch) and saves it."""
    r = recipe(
        "dcgan-digits",
        "loss.penalty=r1",
        "loss.r1_every=3",
        "model.d_norm=layer",
        "optim.accumulate=2",
        "optim.n_critic=2",
    )
    logs = [float(r.step(batches(r))["r1"]) for _ in range(2)]
    (penalty,) = r.loss.penalties
    assert penalty.d_steps == 4  # 2 critic updates per step
    assert logs[0] > 0 and logs[1] > 0  # updates 0 and 3 ran (averaged with a 0 update)
    state = r.state_dict()
    again = recipe("dcgan-digits", "loss.penalty=r1", "loss.r1_every=3", "model.d_norm=layer")
    again.load_state_dict(state)
    assert again.loss.penalties[0].d_steps == 4
