"""Mixed precision, channels-last and torch.compile (train/precision.py) on the CPU."""

from __future__ import annotations

import copy
import functools
import math
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from ganforge import config
from ganforge.checkpoints import load_checkpoint
from ganforge.data import build_dataset
from ganforge.errors import ConfigDeprecationWarning, ConfigError
from ganforge.losses import build_loss
from ganforge.registry import MODELS
from ganforge.runs import RunDir
from ganforge.train import precision as P
from ganforge.train import train, with_defaults
from ganforge.train.recipes.gan import GANRecipe
from ganforge.train.step_logs import nonfinite

from ..conftest import run_cli
from .test_engine import TINY_DCGAN, TINY_TOY, _stop_at, _weights

CPU = torch.device("cpu")
DCGAN = [*TINY_DCGAN, "eval.metrics=[]"]  # no evaluation: the digits classifier is not needed
FP16_TOY = [*TINY_TOY, "train.precision=fp16", "train.steps=6"]


def _train_logs(run: Path) -> list[dict]:
    return [r for r in RunDir(run).read_metrics() if r["kind"] == "train"]


# --- autocast from the CLI ---------------------------------------------------------------------


def test_bf16_trains_dcgan_digits_from_the_cli(tmp_path: Path, capsys) -> None:
    sets = [a for o in [*DCGAN, "train.steps=4"] for a in ("--set", o)]
    for precision in ("fp32", "bf16"):
        code, _, err = run_cli(
            capsys,
            "train",
            "dcgan-digits",
            "--runs-dir",
            str(tmp_path),
            "--name",
            precision,
            "--quiet",
            *sets,
            "--set",
            f"train.precision={precision}",
        )
        assert code == 0, err
    assert config.load(tmp_path / "bf16" / "config.yaml").train.precision == "bf16"
    logs = _train_logs(tmp_path / "bf16")
    assert logs and all(math.isfinite(r["d_loss"]) for r in logs)
    assert not any("overflow" in k for r in logs for k in r)  # bf16 needs no loss scaling
    plain, mixed = _weights(tmp_path / "fp32", False), _weights(tmp_path / "bf16", False)
    differ = [k for k in plain if not torch.equal(plain[k], mixed[k])]
    assert differ  # the forward passes really ran in bfloat16
    assert all(torch.allclose(plain[k], mixed[k], atol=0.05) for k in plain)  # yet they train alike


# --- gradient penalties under a grad scaler ------------------------------------------------------

PENALTY_LOSSES = {
    "gp": ("wgan", {"penalty": "gp"}),
    "r1": ("non-saturating", {"penalty": "r1"}),
    "r2": ("non-saturating", {"penalty": "r2"}),
    "dragan": ("minimax", {"penalty": "dragan"}),
    "wgan-gp": ("wgan-gp", {}),
}


def _critic_grads(name: str, scaled: bool) -> tuple[dict[str, torch.Tensor], float]:
    """D's parameter gradients of its whole objective, penalty included, and the penalty."""
    loss_name, params = PENALTY_LOSSES[name]
    loss = build_loss(loss_name, params)
    torch.manual_seed(0)
    d = nn.Sequential(nn.Linear(6, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    real, fake = torch.randn(8, 6), torch.randn(8, 6)
    opt = torch.optim.SGD(d.parameters(), lr=0.0)
    precision = P.Precision("fp16", CPU)  # its scaler, without the float16 autocast
    torch.manual_seed(1)  # the interpolation / perturbation draws
    d_loss, logs = loss.d_loss(d, real, fake, precision.grad_scale("d") if scaled else 1.0)
    if scaled:
        precision.scaler("d").scale(d_loss).backward()
        precision.scaler("d").unscale_(opt)
    else:
        d_loss.backward()
    penalty = next(float(v) for k, v in logs.items() if k in ("gp", "r1", "r2", "dragan"))
    return {k: p.grad.clone() for k, p in d.named_parameters()}, penalty


@pytest.mark.parametrize("name", sorted(PENALTY_LOSSES))
def test_a_penalty_under_a_grad_scaler_equals_the_unscaled_one(name: str) -> None:
    plain, plain_penalty = _critic_grads(name, scaled=False)
    scaled, scaled_penalty = _critic_grads(name, scaled=True)
    assert scaled_penalty == plain_penalty and plain_penalty > 0
    # the double-backward gradients were scaled by 2^16 twice (inside the penalty and by the
    # scaler) and unscaled twice: powers of two, so not a bit changes
    assert all(torch.equal(plain[k], scaled[k]) for k in plain), name


# --- skipped steps, the non-finite guard and rollback --------------------------------------------


def _linear_step(precision: P.Precision, x: torch.Tensor) -> tuple[bool, float]:
    """(whether the weights changed, the overflow flag) of one update of a fresh linear net."""
    torch.manual_seed(0)
    net = nn.Linear(2, 1)
    before = net.weight.detach().clone()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    overflow = precision.update("d", opt, net(x).sum())
    assert overflow is not None
    return not torch.equal(net.weight, before), overflow.item()


def test_a_step_whose_gradients_overflow_is_skipped_and_the_scale_backs_off() -> None:
    precision = P.Precision("fp16", CPU)
    assert _linear_step(precision, torch.tensor([[math.inf, 1.0]])) == (False, 1.0)
    assert precision.grad_scale("d").item() == P.INIT_SCALE / 2
    assert _linear_step(precision, torch.ones(1, 2)) == (True, 0.0)
    assert precision.grad_scale("g").item() == P.INIT_SCALE  # the other optimiser's own scaler


def test_a_scale_that_collapses_reaches_the_non_finite_guard(monkeypatch) -> None:
    monkeypatch.setattr(P, "INIT_SCALE", 2.0)
    precision = P.Precision("fp16", CPU)
    bad = torch.tensor([[math.nan, 1.0]])  # NaN gradients whatever the scale
    assert _linear_step(precision, bad) == (False, 1.0)  # scale 1: still a skipped step
    assert _linear_step(precision, bad) == (False, math.inf)  # scale 0.5 < MIN_SCALE
    overflow = torch.tensor(math.inf)
    logs = P.finite_logs({"d_loss": torch.tensor(math.nan)}, overflow)
    assert nonfinite({**logs, "overflow_d": overflow}) == "overflow_d=inf"


def test_finite_logs_clears_only_a_skipped_steps_non_finite_values() -> None:
    logs = {"d_loss": torch.tensor(math.inf), "d_real": torch.tensor(0.5), "k": 1.0}
    cleared = P.finite_logs(logs, torch.tensor(1.0))
    assert {k: float(v) for k, v in cleared.items()} == {"d_loss": 0.0, "d_real": 0.5, "k": 1.0}
    kept = P.finite_logs(logs, torch.tensor(0.0))  # a step that was taken: the guard must see it
    assert nonfinite(kept) == "d_loss=inf"
    assert P.finite_logs(logs, None) is logs


def test_fp16_overflows_are_skipped_steps_not_non_finite_losses(
    tmp_path: Path, monkeypatch
) -> None:
    # at 2^60 WGAN-GP's scaled input gradient overflows float16 in every step of the run:
    # each step is skipped, its infinite penalty logged as 0, and training does not stop
    monkeypatch.setattr(P, "INIT_SCALE", 2.0**60)
    result = train(config.resolve(None, [*FP16_TOY, "train.steps=4"]), runs_root=tmp_path)
    assert (result.status, result.step) == ("completed", 4)
    logs = _train_logs(result.run.path)
    assert logs and all(r["overflow_d"] == 1.0 and r["gp"] == 0.0 for r in logs)
    state = load_checkpoint(result.run.checkpoints / "latest.pt")["recipe"]["precision"]
    assert state["d"]["scale"] == 2.0 ** (60 - 4 * 5)  # halved in each of 5 critic steps x 4


def test_fp16_wgan_gp_trains_with_few_skipped_steps(tmp_path: Path) -> None:
    result = train(config.resolve(None, [*FP16_TOY, "train.steps=10"]), runs_root=tmp_path)
    logs = _train_logs(result.run.path)
    assert result.status == "completed" and all(math.isfinite(r["gp"]) for r in logs)
    skipped = sum(r["overflow_d"] for r in logs) / len(logs)
    assert skipped < 0.5  # the scale settles where the penalty's gradients fit in float16


def test_rollback_restores_the_grad_scalers_with_the_checkpoint(
    tmp_path: Path, monkeypatch
) -> None:
    original = GANRecipe.step
    before: list[dict] = []  # the scalers' states at the start of every step call

    def step(self, batches):
        before.append(copy.deepcopy(self.precision.state_dict()))
        logs = original(self, batches)
        if len(before) == 6:
            logs["d_loss"] = math.nan  # a genuine divergence in a step the scaler took
        return logs

    monkeypatch.setattr(GANRecipe, "step", step)
    sets = [*FP16_TOY, "train.on_nonfinite=rollback"]
    result = train(config.resolve(None, sets), runs_root=tmp_path)
    assert (result.status, result.step) == ("completed", 6)
    assert "rolled back to step 4" in result.run.log_path.read_text()
    saved = load_checkpoint(result.run.checkpoints / "step-0000004.pt")["recipe"]["precision"]
    assert before[4] == saved != before[5]  # the 7th call re-runs step 5 from the checkpoint
    assert before[6] == saved


def test_resume_restores_the_grad_scalers_bit_exactly(tmp_path: Path) -> None:
    full = train(config.resolve(None, FP16_TOY), runs_root=tmp_path / "a")
    stopped = train(
        config.resolve(None, FP16_TOY), runs_root=tmp_path / "b", callbacks=[_stop_at(3)]
    )
    saved = load_checkpoint(stopped.checkpoint)["recipe"]["precision"]
    assert set(saved) == {"d", "g"} and all(s["scale"] > 0 for s in saved.values())
    resumed = train(resume=stopped.run.path, runs_root=tmp_path / "b")
    for use_ema in (False, True):
        a, b = _weights(full.run.path, use_ema), _weights(resumed.run.path, use_ema)
        assert all(torch.equal(a[k], b[k]) for k in a)
    end = [load_checkpoint(r.checkpoint)["recipe"]["precision"] for r in (full, resumed)]
    assert end[0] == end[1]


def test_a_checkpoint_from_before_train_precision_gives_both_optimisers_its_scaler() -> None:
    cfg = with_defaults(config.resolve(None, [*FP16_TOY]))
    data = build_dataset(cfg.data.name, cfg.data.params)
    recipe = GANRecipe(cfg, data.info, CPU)
    old = torch.amp.GradScaler("cpu", init_scale=8.0).state_dict()
    state = recipe.state_dict()
    del state["precision"]
    state["extra"]["scaler"] = old
    recipe.load_state_dict(state)
    assert recipe.precision.grad_scale("d").item() == recipe.precision.grad_scale("g").item() == 8


def test_bf16_on_a_gpu_without_bfloat16_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: "Tesla V100")
    with pytest.raises(ConfigError, match=r"Tesla V100 has no bfloat16; use train\.precision=fp16"):
        P.Precision("bf16", torch.device("cuda"))


# --- every recipe ------------------------------------------------------------------------------

RECIPE_PRESETS = {
    "pix2pix": ("pix2pix-edges", ["model.g_width=4", "model.d_width=4", "model.patch_layers=2"]),
    "cyclegan": (
        "cyclegan-strokes",
        ["model.g_width=4", "model.d_width=4", "model.patch_layers=2", "model.g_depth=1"],
    ),
    "progressive": (
        "progan-digits",
        ["model.g_width=4", "model.d_width=4", "schedule.batch_sizes=[2]"],
    ),
}


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
@pytest.mark.parametrize("recipe_name", sorted(RECIPE_PRESETS))
def test_every_recipe_steps_in_mixed_precision(recipe_name: str, precision: str) -> None:
    preset, sets = RECIPE_PRESETS[recipe_name]
    sets = [*sets, "data.size=16", "train.batch_size=2", f"train.precision={precision}"]
    cfg = with_defaults(config.resolve(preset, sets))
    data = build_dataset(cfg.data.name, cfg.data.params)
    from ganforge.registry import RECIPES

    recipe = RECIPES.get(recipe_name)(cfg, data.info, CPU)
    recipe.set_progress(1, 0.5, 0.5)  # half-way through a fade-in when growing
    for _ in range(2):
        logs = recipe.step([data.get(torch.arange(2))])
    assert nonfinite(logs) is None
    overflow = {k for k in logs if k.startswith("overflow_")}
    assert overflow == ({"overflow_g", "overflow_d"} if precision == "fp16" else set())
    assert set(recipe.state_dict()["precision"]) == ({"g", "d"} if precision == "fp16" else set())


# --- channels-last -----------------------------------------------------------------------------


def test_channels_last_gives_the_contiguous_outputs() -> None:
    data = build_dataset("digits", {"size": 16})
    torch.manual_seed(0)
    built = MODELS.get("dcgan")(data.info, "score", g_width=8, d_width=8, z_dim=16)
    g, d = built.g.eval(), built.d.eval()
    z = torch.randn(4, 16)
    fake, score = g(z), d(g(z))
    g.to(memory_format=torch.channels_last)
    d.to(memory_format=torch.channels_last)
    conv = next(p for p in g.parameters() if p.ndim == 4)
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    torch.testing.assert_close(g(z), fake, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(d(g(z)), score, atol=1e-5, rtol=1e-5)


def test_channels_last_training_saves_the_same_state_dict_as_contiguous(tmp_path: Path) -> None:
    sets = [*DCGAN, "train.steps=3"]
    plain = train(config.resolve(None, sets), runs_root=tmp_path / "a")
    cl = train(config.resolve(None, [*sets, "train.channels_last=true"]), runs_root=tmp_path / "b")
    a, b = _weights(plain.run.path, False), _weights(cl.run.path, False)
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(b[k], a[k], atol=1e-4, rtol=1e-4)


# --- torch.compile -----------------------------------------------------------------------------


@pytest.fixture
def eager_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch.compile with dynamo's eager backend: real graph capture, no code generation."""
    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend="eager"))


def _recipe(sets: list[str]) -> GANRecipe:
    cfg = with_defaults(config.resolve(None, sets))
    data = build_dataset(cfg.data.name, cfg.data.params)
    torch.manual_seed(0)
    return GANRecipe(cfg, data.info, CPU)


def test_compile_routes_calls_but_keeps_eager_state_dicts(eager_compile, tmp_path: Path) -> None:
    sets = [*DCGAN, "train.steps=3", "train.ema=null"]
    plain = train(config.resolve(None, sets), runs_root=tmp_path / "a")
    compiled = train(config.resolve(None, [*sets, "train.compile=true"]), runs_root=tmp_path / "b")
    a = load_checkpoint(plain.checkpoint)["recipe"]["models"]
    b = load_checkpoint(compiled.checkpoint)["recipe"]["models"]
    for name in ("g", "d"):
        assert list(a[name]) == list(b[name])  # no _orig_mod. prefixes
        assert all(torch.equal(a[name][k], b[name][k]) for k in a[name])
    recipe = _recipe([*DCGAN, "train.compile=true"])
    recipe.compile_models()
    trained = recipe.trained["g"]
    assert recipe.models["g"] is recipe.g and type(trained) is not type(recipe.g)
    assert trained.z_dim == recipe.g.z_dim  # attributes reach the eager module


def test_compile_leaves_a_doubly_differentiated_critic_eager(eager_compile, caplog) -> None:
    recipe = _recipe([*DCGAN, "loss.name=wgan-gp", "model.d_norm=layer", "train.compile=true"])
    d = recipe.trained["d"]
    with caplog.at_level("INFO", logger="ganforge.train"):
        recipe.compile_models()
    assert recipe.trained["d"] is d and recipe.trained["g"] is not recipe.models["g"]
    assert "d stays eager (penalty gp differentiates it twice)" in caplog.text


def test_compile_without_a_compiler_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(P.shutil, "which", lambda name: None)
    sets = [a for o in [*DCGAN, "train.compile=true"] for a in ("--set", o)]
    code, _, err = run_cli(capsys, "train", "--runs-dir", str(tmp_path), "--quiet", *sets)
    assert code == 2 and err.strip().splitlines() == [
        "error: train.compile=true needs a C++ compiler on the CPU (torch.compile's inductor "
        "backend); install g++ or set train.compile=false"
    ]


@pytest.mark.slow
def test_inductor_compiled_training_matches_eager(tmp_path: Path) -> None:
    sets = [*DCGAN, "train.steps=3", "train.ema=null"]
    plain = train(config.resolve(None, sets), runs_root=tmp_path / "a")
    compiled = train(config.resolve(None, [*sets, "train.compile=true"]), runs_root=tmp_path / "b")
    a, b = _weights(plain.run.path, False), _weights(compiled.run.path, False)
    for k in a:
        torch.testing.assert_close(b[k], a[k], atol=1e-4, rtol=1e-4)


# --- the old switch ----------------------------------------------------------------------------


@pytest.mark.parametrize(("amp", "precision"), [(True, "bf16"), (False, "fp32")])
def test_train_amp_reads_as_train_precision(amp: bool, precision: str) -> None:
    with pytest.warns(ConfigDeprecationWarning, match="train.amp is now train.precision"):
        cfg = config.from_dict({"train": {"amp": amp, "device": "cpu"}})
    assert cfg.train.precision == precision
    with pytest.raises(ConfigError, match="name the same setting"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config.from_dict({"train": {"amp": True, "precision": "fp16"}})
