"""OptimizerSampler: ganforge's GP optimiser behind Optuna's sampler interface, rebuilt from
the study's trials (what the Optimizer proposes, running trials, concurrent askers, failures)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

optuna = pytest.importorskip("optuna", reason="the tune extra: pip install -e '.[tune]'")

from optuna.trial import TrialState  # noqa: E402

from ganforge.bayes import Categorical, Integer, Optimizer, Real, Space  # noqa: E402
from ganforge.bayes.optimize.objectives import branin  # noqa: E402
from ganforge.bayes.optimize.optuna_sampler import (  # noqa: E402
    PORTFOLIO_ATTR,
    OptimizerSampler,
    distributions,
    suggest,
)

optuna.logging.set_verbosity(optuna.logging.ERROR)

BRANIN = Space([Real(-5.0, 10.0, name="x"), Real(0.0, 15.0, name="y")])
MIXED = Space(
    [
        Real(1e-4, 1e-1, log=True, name="lr"),
        Integer(1, 64, log=True, name="width"),
        Categorical(("hinge", "wgan", None, True, 2.5), name="loss"),
    ]
)


def mixed_objective(p: list[Any]) -> float:
    lr, width, loss = p
    return (np.log10(lr) + 2.5) ** 2 + (width - 20) ** 2 / 100 + (0.0 if loss == "wgan" else 1.0)


def study_with(sampler: OptimizerSampler) -> optuna.Study:
    return optuna.create_study(sampler=sampler)


def point(trial: optuna.trial.FrozenTrial, space: Space) -> list[Any]:
    return [trial.params[n] for n in space.names]


def run(study: optuna.Study, space: Space, f: Any, n: int) -> None:
    study.optimize(lambda t: f(suggest(t, space)), n_trials=n)


def told(space: Space, trials: list[Any], number: int, **options: Any) -> Optimizer:
    """The Optimizer a user would build by hand: told the finished trials in order, its model
    draws seeded with (seed, trial number)."""
    seed = options.pop("seed")
    opt = Optimizer(space, seed=seed, **options)
    opt.rng = np.random.default_rng([seed, number])
    for t in sorted(trials, key=lambda t: t.number):
        opt.tell(point(t, space), t.value if t.state == TrialState.COMPLETE else None)
    return opt


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=MIXED.n_columns, max_size=MIXED.n_columns))
def test_every_point_of_the_space_is_inside_its_optuna_distributions(u: list[float]) -> None:
    # the box maps to valid points (log ends included); Optuna refuses a value outside
    p = MIXED.decode(np.array([u]))[0]
    frozen = optuna.trial.create_trial(
        params=MIXED.as_dict(p), distributions=distributions(MIXED), value=0.0
    )
    assert point(frozen, MIXED) == p
    assert MIXED.check(point(frozen, MIXED)) == p


def test_the_design_is_the_optimizers_and_the_next_proposal_is_what_it_asks_after_the_same_trials() -> (  # noqa: E501
    None
):
    options = {"seed": 3, "n_initial": 4}
    study = study_with(OptimizerSampler(MIXED, **options))
    run(study, MIXED, mixed_objective, 6)
    trials = study.get_trials()
    sequential = Optimizer(MIXED, seed=3, n_initial=4)
    design = []
    for _ in range(4):
        design.append(sequential.ask())
        sequential.tell(design[-1], mixed_objective(design[-1]))
    assert [point(t, MIXED) for t in trials[:4]] == design
    expected = told(MIXED, trials, 6, **options).ask()
    trial = study.ask()
    assert suggest(trial, MIXED) == expected
    assert expected not in [point(t, MIXED) for t in trials]
    # a new process (a fresh sampler, a fresh study holding the same trials) proposes the same
    again = study_with(OptimizerSampler(MIXED, **options))
    for t in trials:
        again.add_trial(t)
    assert suggest(again.ask(), MIXED) == expected


def test_a_running_trial_is_told_as_the_best_value_so_far_and_not_proposed_again() -> None:
    sampler = OptimizerSampler(BRANIN, seed=0, n_initial=3)
    study = study_with(sampler)
    run(study, BRANIN, branin, 5)
    running = study.ask()
    busy = suggest(running, BRANIN)  # its worker is training it
    mine = suggest(study.ask(), BRANIN)
    trials = study.get_trials()
    opt = told(BRANIN, trials[:5], 6, seed=0, n_initial=3)
    opt.tell(busy, min(t.value for t in trials[:5]))
    assert mine == opt.ask()
    assert mine != busy


def test_two_workers_asking_together_do_not_pick_the_same_point() -> None:
    # trial 5 is created, but its worker has not chosen its values yet when trial 6 asks
    for n_initial in (8, 3):  # in the initial design, then with the model
        options = {"seed": 1, "n_initial": n_initial}
        study = study_with(OptimizerSampler(BRANIN, **options))
        run(study, BRANIN, branin, 5)
        alone = study_with(OptimizerSampler(BRANIN, **options))
        for t in study.get_trials():
            alone.add_trial(t)
        predicted = suggest(alone.ask(), BRANIN)  # what trial 5 picks when nobody else asks
        slow, fast = study.ask(), study.ask()
        second = suggest(fast, BRANIN)
        opt = told(BRANIN, study.get_trials()[:5], 6, **options)
        opt.tell(predicted, min(t.value for t in study.get_trials()[:5]))
        assert second == opt.ask() != predicted
        first = suggest(slow, BRANIN)  # trial 5 now sees trial 6 running
        assert first != second


def test_a_failed_point_is_never_proposed_again() -> None:
    space = Space([Integer(1, 3, name="a"), Categorical(("x", "y"), name="b")])  # six points
    study = study_with(OptimizerSampler(space, seed=0, n_initial=2))

    def f(p: list[Any]) -> float:
        if p == [2, "y"]:
            raise RuntimeError("diverged")
        return float(p[0]) + (p[1] == "y")

    study.optimize(lambda t: f(suggest(t, space)), n_trials=6, catch=(RuntimeError,))
    points = [point(t, space) for t in study.get_trials()]
    assert sorted(map(tuple, points)) == sorted((a, b) for a in (1, 2, 3) for b in ("x", "y"))
    failed = [t for t in study.get_trials() if t.state == TrialState.FAIL]
    assert [point(t, space) for t in failed] == [[2, "y"]]


def test_portfolio_gains_carry_from_trial_to_trial() -> None:
    study = study_with(OptimizerSampler(BRANIN, seed=0, n_initial=3, acquisition="portfolio"))
    run(study, BRANIN, branin, 7)
    states = [t.system_attrs.get(PORTFOLIO_ATTR) for t in study.get_trials()]
    assert states[:3] == [None] * 3  # the design chooses no member
    gains = [s["portfolio"]["gains"] for s in states[3:]]
    assert gains[0] == [0.0, 0.0, 0.0]  # nothing to reward before a second model proposal
    assert all(g != [0.0, 0.0, 0.0] for g in gains[1:])
    # each proposal starts from the previous trial's gains: they only ever move by one update
    opt = OptimizerSampler(BRANIN, seed=0, n_initial=3, acquisition="portfolio").optimizer(
        study.get_trials()[:6], 6
    )
    assert opt.portfolio.gains.tolist() == gains[2]


def test_options_are_checked_when_the_sampler_is_made() -> None:
    with pytest.raises(ValueError, match="unknown acquisition 'ucb'"):
        OptimizerSampler(BRANIN, acquisition="ucb")
