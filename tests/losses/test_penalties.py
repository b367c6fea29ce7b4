"""Penalties: a registry composable with any adversarial loss, pinned to hand-computed values,
exact under mixed precision; the generator-side regulariser hook."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganforge import config
from ganforge import losses as L
from ganforge.cli import main
from ganforge.data import build_dataset
from ganforge.errors import ConfigDeprecationWarning, ConfigError
from ganforge.losses.penalties import Penalty
from ganforge.registry import PENALTIES, Entry
from ganforge.train import with_defaults
from ganforge.train.precision import Precision
from ganforge.train.recipes.gan import GANRecipe

T = torch.tensor


def linear(norm: float, dim: int = 4) -> tuple[nn.Module, torch.Tensor]:
    """D(x) = w . x with ||w|| = norm: every input gradient has norm ``norm``."""
    w = torch.arange(1.0, dim + 1)
    w = norm * w / w.norm()
    return lambda x: x @ w, w  # type: ignore[return-value]


def test_the_registry_has_five_discriminator_and_one_generator_penalty() -> None:
    assert PENALTIES.names() == ["dragan", "drift", "gp", "orthogonal", "r1", "r2"]
    sides = {e.name: e.meta["side"] for e in PENALTIES}
    assert sides.pop("orthogonal") == "g"
    assert set(sides.values()) == {"d"}


def test_r2_and_drift_hand_values() -> None:
    d, _ = linear(3.0)
    assert L.r2_penalty(d, torch.randn(8, 4)).item() == pytest.approx(9.0)
    batch = L.CriticBatch(d, torch.zeros(2, 4), torch.zeros(2, 4), T([1.0, 3.0]), T([0.0, 0.0]))
    assert PENALTIES.get("drift")().value(batch).item() == pytest.approx(5.0)  # (1 + 9) / 2


def test_hinge_plus_r1_composes_to_the_hand_value() -> None:
    """hinge_d + gamma / 2 * E||grad D(x)||^2 with ||grad D|| = 2 everywhere."""
    d, w = linear(2.0)
    real, fake = torch.ones(3, 4), -torch.ones(3, 4)
    loss = L.build_loss("hinge", {"penalty": "r1", "r1_gamma": 5.0})
    total, logs = loss.d_loss(d, real, fake)
    r, f = real @ w, fake @ w
    expected = L.hinge_d(r, f).item() + 0.5 * 5.0 * 4.0
    assert total.item() == pytest.approx(expected)
    assert logs["r1"] == pytest.approx(4.0) and logs["d_loss"] == pytest.approx(expected)


def test_least_squares_plus_gp_and_wgan_gp_plus_drift_hand_values() -> None:
    d, w = linear(3.0)  # gradient norm 3: gp = (3 - 1)^2 = 4
    real, fake = torch.full((2, 4), 0.5), torch.zeros(2, 4)
    r, f = real @ w, fake @ w
    ls = L.build_loss("least-squares", {"penalty": ["gp"]})
    assert ls.d_loss(d, real, fake)[0].item() == pytest.approx(
        L.least_squares_d(r, f).item() + 10 * 4.0
    )
    gp_drift = L.build_loss("wgan-gp", {"penalty": ["gp", "drift"], "drift_weight": 0.5})
    total, logs = gp_drift.d_loss(d, real, fake)
    expected = (f.mean() - r.mean()).item() + 10 * 4.0 + 0.5 * (r**2).mean().item()
    assert total.item() == pytest.approx(expected)
    assert logs["wasserstein"] == pytest.approx((r.mean() - f.mean()).item())
    assert logs["gp"] == pytest.approx(4.0) and logs["drift"] == pytest.approx((r**2).mean())


def test_the_old_loss_names_are_presets_of_pair_and_penalty() -> None:
    gp = L.build_loss("wgan-gp", {})
    assert [(p.name, p.weight) for p in gp.penalties] == [("gp", 10.0)]
    assert gp.pair == (L.wasserstein_d, L.wasserstein_g)
    dragan = L.build_loss("dragan", {})
    assert [(p.name, p.weight, p.perturb) for p in dragan.penalties] == [("dragan", 10.0, 0.5)]
    assert dragan.pair == (L.minimax_d, L.nonsaturating_g)
    assert L.build_loss("wgan-gp", {"penalty": []}).penalties == ()  # plain Wasserstein


def test_the_penalty_key_takes_a_name_a_list_or_null() -> None:
    one = config.resolve(None, ["loss.name=hinge", "loss.penalty=r1", "model.d_norm=layer"])
    assert one.loss.params == {"penalty": ["r1"]}
    two = config.resolve("toy-ring", ["loss.penalty=[r1, r2]", "loss.r2_gamma=1"])
    assert two.loss.params == {"penalty": ["r1", "r2"], "r2_gamma": 1.0}
    none = config.resolve("toy-ring", ["loss.name=wgan-gp", "loss.penalty=null"])
    assert none.loss.params == {"penalty": []}
    saved = with_defaults(config.resolve("toy-ring", ["loss.name=wgan-gp"])).loss.params
    assert saved == {"penalty": ["gp"], "gp_weight": 10.0, "gp_center": 1.0}


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["loss.penalty=gpp"], r"unknown penalty 'gpp'. Did you mean 'gp'\?"),
        (["loss.penalty=[r1, r1]"], "lists a penalty twice"),
        (["loss.gp_center=0.5"], r"loss.gp_center belongs to penalty 'gp', which loss.penalty"),
        (["loss.name=began", "loss.penalty=r1"], r"loss \(began\): unknown key 'penalty'"),
        (
            ["loss.penalty=r1", "loss.r1_gamma=-1"],
            r"loss.r1_gamma=-1.0 is out of range: it must be >= 0",
        ),
    ],
)
def test_penalty_mistakes_are_one_clear_error(sets: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        cfg = config.resolve("toy-ring", sets)
        L.build_loss(cfg.loss.name, cfg.loss.params)


@pytest.mark.parametrize(
    ("loss", "old", "params"),
    [
        ("wgan-gp", {"drift": 0.001}, {"penalty": ["gp", "drift"], "drift_weight": 0.001}),
        ("wgan-gp", {"drift": 0.0, "center": 0.5}, {"penalty": ["gp"], "gp_center": 0.5}),
        (
            "dragan",
            {"gp_weight": 5.0, "perturb": 0.25},
            {"dragan_weight": 5.0, "dragan_perturb": 0.25},
        ),
        ("non-saturating", {"r1_gamma": 10.0}, {"penalty": ["r1"], "r1_gamma": 10.0}),
        ("non-saturating", {"r1_gamma": 0.0}, {"penalty": []}),
    ],
)
def test_old_loss_keys_load_as_pair_plus_penalty(loss: str, old: dict, params: dict) -> None:
    raw = config.preset_mapping("toy-ring")
    raw["loss"] = {"name": loss, **old}
    with pytest.warns(ConfigDeprecationWarning) as record:
        cfg = config.from_dict(raw)
    assert cfg.loss.params == params
    said = " ".join(str(w.message) for w in record)
    assert all(f"loss.{key}" in said for key in params)  # every warning names the new key


def test_an_old_r1_config_trains_the_same_loss_as_before() -> None:
    """The objective an old `r1_gamma` config builds equals the hand composition."""
    raw = config.preset_mapping("toy-ring")
    raw["loss"] = {"name": "non-saturating", "r1_gamma": 2.0}
    with pytest.warns(ConfigDeprecationWarning):
        cfg = config.from_dict(raw)
    d, w = linear(3.0)
    real, fake = torch.ones(2, 4), torch.zeros(2, 4)
    total, _ = L.build_loss(cfg.loss.name, cfg.loss.params).d_loss(d, real, fake)
    assert total.item() == pytest.approx(L.minimax_d(real @ w, fake @ w).item() + 0.5 * 2.0 * 9)


# --- mixed precision -------------------------------------------------------------------------


def small_critic() -> nn.Module:
    """Weights so small that D's input gradients (~1e-7) lose precision in float16."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 16), nn.Linear(16, 1))
    with torch.no_grad():
        for layer in net:
            layer.weight.mul_(3e-3)
    return net


PENALTY_FUNCTIONS = {
    "r1": lambda d, x, s: L.r1_penalty(d, x, grad_scale=s),
    "gp": lambda d, x, s: L.gradient_penalty(d, x, x.flip(0), 0.0, grad_scale=s),
    "dragan": lambda d, x, s: L.dragan_penalty(d, x, center=0.0, grad_scale=s),
}


def _under(dtype: torch.dtype, name: str, scale: float) -> float:
    d, x = small_critic(), torch.randn(4, 8, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(2)  # the interpolation / perturbation draws
    with torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
        return PENALTY_FUNCTIONS[name](d, x, scale).item()


def _has_cpu_autocast(dtype: torch.dtype) -> bool:
    try:
        with torch.autocast("cpu", dtype=dtype):
            return nn.Linear(2, 2)(torch.ones(1, 2)).dtype == dtype
    except (RuntimeError, AssertionError):
        return False


@pytest.mark.parametrize("name", sorted(PENALTY_FUNCTIONS))
def test_a_penalty_is_exact_under_float16_when_the_loss_scale_is_applied(name: str) -> None:
    if not _has_cpu_autocast(torch.float16):
        pytest.skip("this torch build has no float16 autocast on the CPU")
    exact = _under(torch.float32, name, 1.0)
    unscaled = _under(torch.float16, name, 1.0)
    scaled = _under(torch.float16, name, 2.0**10)
    assert abs(scaled - exact) / exact < 1e-3  # float16 precision: the gradients kept their bits
    assert abs(unscaled - exact) / exact > 10 * abs(scaled - exact) / exact  # lost in subnormals


@pytest.mark.parametrize("name", sorted(PENALTY_FUNCTIONS))
def test_scaling_and_unscaling_by_a_power_of_two_changes_no_bit_in_bfloat16(name: str) -> None:
    if not _has_cpu_autocast(torch.bfloat16):
        pytest.skip("this torch build has no bfloat16 autocast on the CPU")
    plain = _under(torch.bfloat16, name, 1.0)
    assert _under(torch.bfloat16, name, 2.0**16) == plain
    assert abs(plain - _under(torch.float32, name, 1.0)) < 1e-2 * abs(plain)


def test_the_recipe_hands_penalties_the_grad_scalers_scale_without_a_host_sync() -> None:
    precision = Precision("fp16", torch.device("cpu"))
    precision.scalers["d"] = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    scale = precision.grad_scale("d")
    assert isinstance(scale, torch.Tensor) and scale.item() == 2.0**10
    assert precision.grad_scale("g").item() == 2.0**16  # one scaler per optimiser
    assert Precision("bf16", torch.device("cpu")).grad_scale("d") == 1.0


# --- the generator-side regulariser hook -----------------------------------------------------


class WeightDecayOfG(Penalty):
    """A test regulariser on the generator's side: weight * sum of its squared weights."""

    side = "g"

    def __init__(self, *, weight: float = 1.0) -> None:
        self.weight = weight

    def value(self, batch: L.GeneratorBatch) -> torch.Tensor:
        return sum((p**2).sum() for p in batch.g.parameters())  # type: ignore[return-value]


def test_generator_side_penalties_reach_the_generator_update(monkeypatch) -> None:
    PENALTIES.names()  # load the registry before adding to it
    WeightDecayOfG.registered_name = "g-decay"  # type: ignore[attr-defined]
    monkeypatch.setitem(
        PENALTIES._entries, "g-decay", Entry("g-decay", WeightDecayOfG, "test", {"side": "g"})
    )
    base = [
        "loss.name=least-squares",
        "optim.name=sgd",
        "optim.betas=[0, 0]",
        "optim.lr_g=0.5",
        "model.g_width=4",
        "model.d_width=4",
        "data.n=64",
        "train.batch_size=8",
    ]
    after = {}
    choices = {
        "null": ["loss.penalty=null"],
        "g-decay": ["loss.penalty=g-decay", "loss.g_decay_weight=0.25"],
    }
    for penalty, sets in choices.items():
        cfg = config.resolve("toy-ring", [*base, *sets])
        data = build_dataset(cfg.data.name, cfg.data.params)
        torch.manual_seed(0)
        recipe = GANRecipe(cfg, data.info, torch.device("cpu"))
        before = {k: v.clone() for k, v in recipe.g.state_dict().items()}
        torch.manual_seed(1)
        logs = recipe.step([data.get(torch.arange(8))])
        after[penalty] = (before, recipe.g.state_dict(), logs)
    plain_before, plain, plain_logs = after["null"]
    reg_before, reg, reg_logs = after["g-decay"]
    assert all(torch.equal(plain_before[k], reg_before[k]) for k in plain_before)
    assert "g-decay" in reg_logs and "g-decay" not in plain_logs
    for key in plain:
        if key.endswith("weight") or key.endswith("bias"):
            # SGD: the extra step is lr * d/dp (0.25 * p^2) = 0.5 * 0.5 * p
            torch.testing.assert_close(reg[key], plain[key] - 0.25 * reg_before[key])


def test_the_cli_lists_penalties_and_their_keys(capsys: pytest.CaptureFixture[str]) -> None:
    main(["penalties"])
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == PENALTIES.names()
    main(["penalties", "dragan"])
    rows = {line.split()[0]: line.split()[-1] for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows == {"dragan_weight": "10.0", "dragan_perturb": "0.5", "dragan_center": "1.0"}
    main(["losses", "wgan-gp"])
    rows = {line.split()[0]: line.split()[-1] for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows == {"penalty": "['gp']", "gp_weight": "10.0", "gp_center": "1.0"}
