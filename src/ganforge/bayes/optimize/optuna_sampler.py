"""ganforge's GP optimiser as an Optuna sampler, so that many workers can share one search
through an Optuna storage.

A worker keeps nothing in memory between proposals: for every new trial the sampler rebuilds an
``Optimizer`` from the study's trials and asks it. The rebuilt optimiser is told, in trial-number
order, every finished trial (a failed one as a failure, so its point is never proposed again),
then every trial that is running or queued with the lowest value seen so far (the "constant
liar" CL-min: a point being evaluated looks already known, so the acquisition looks elsewhere).
A running trial with a lower number that has no values yet (its worker is choosing them now) is
given the point it is most likely choosing (what the same rebuild proposes for it), so two
workers that ask together do not pick the same point. The design comes from ``seed``; the
random draws of the model-based proposals from ``(seed, trial number)``. The GP-Hedge gains of
``acquisition="portfolio"`` are the one piece of state that does not follow from the values:
each trial keeps them as a system attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from ganforge.bayes.optimize.acquisition import Portfolio
from ganforge.bayes.optimize.loop import Optimizer
from ganforge.bayes.optimize.space import Categorical, Integer, Real, Space

PORTFOLIO_ATTR = "ganforge:portfolio"
# written by Optuna's RetryHeartbeatStaleTrialCallback on a retry: the trial numbers it replaces
RETRY_HISTORY = "retry_history"


def distributions(space: Space) -> dict[str, BaseDistribution]:
    """Optuna's distribution for each dimension: Real -> FloatDistribution, Integer ->
    IntDistribution (both keep ``log``), Categorical -> CategoricalDistribution."""
    out: dict[str, BaseDistribution] = {}
    for name, dim in zip(space.names, space.dimensions):
        if isinstance(dim, Real):
            out[name] = FloatDistribution(dim.low, dim.high, log=dim.log)
        elif isinstance(dim, Integer):
            out[name] = IntDistribution(dim.low, dim.high, log=dim.log)
        else:
            assert isinstance(dim, Categorical)
            out[name] = CategoricalDistribution(dim.choices)
    return out


def suggest(trial: optuna.Trial, space: Space) -> list[Any]:
    """Ask ``trial`` for a value of every dimension of ``space``; the point as a list."""
    point = []
    for name, dim in zip(space.names, space.dimensions):
        if isinstance(dim, Real):
            point.append(trial.suggest_float(name, dim.low, dim.high, log=dim.log))
        elif isinstance(dim, Integer):
            point.append(trial.suggest_int(name, dim.low, dim.high, log=dim.log))
        else:
            point.append(trial.suggest_categorical(name, dim.choices))
    return point


def superseded(trials: Iterable[FrozenTrial]) -> dict[int, int]:
    """Trials that were run again: the number of each replaced trial -> the trial replacing it."""
    out: dict[int, int] = {}
    for t in sorted(trials, key=lambda t: t.number):
        for number in t.system_attrs.get(RETRY_HISTORY, []):
            out[number] = t.number
    return out


class OptimizerSampler(BaseSampler):
    """An Optuna sampler that proposes what ganforge's ``Optimizer`` (``seed`` and the
    Optimizer keyword ``options``) proposes after being told the study's trials."""

    def __init__(
        self, space: Space | Sequence[Any] | dict[str, Any], *, seed: int = 0, **options: Any
    ):
        self.space = space if isinstance(space, Space) else Space(space)
        self.seed = int(seed)
        self.options = dict(options)
        Optimizer(self.space, seed=self.seed, **self.options)  # refuse bad options now
        self._independent = RandomSampler(seed=self.seed)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The whole space, the same for every trial."""
        return distributions(self.space)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """The point the rebuilt optimiser asks for, as ``{name: value}``."""
        if not search_space:
            return {}
        self._raise_error_if_multi_objective(study)
        opt = self.optimizer(study.get_trials(deepcopy=False), trial.number, study.direction)
        point = opt.ask()
        if opt.portfolio is not None and opt.last_proposals is not None:
            state = {"portfolio": opt.portfolio.to_json(), "proposals": opt.last_proposals}
            study._storage.set_trial_system_attr(trial._trial_id, PORTFOLIO_ATTR, state)
        return self.space.as_dict(point)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """A parameter outside the space (not one tune asks for): drawn at random."""
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    def reseed_rng(self) -> None:
        """Reseed the random draws of parameters outside the space (proposals stay seeded)."""
        self._independent.reseed_rng()

    def optimizer(
        self,
        trials: Sequence[FrozenTrial],
        number: int,
        direction: StudyDirection = StudyDirection.MINIMIZE,
    ) -> Optimizer:
        """The optimiser that makes trial ``number``'s proposal, rebuilt from ``trials``."""
        sign = -1.0 if direction == StudyDirection.MAXIMIZE else 1.0
        replaced = superseded(trials)
        finished: list[tuple[list[Any], float | None]] = []
        pending: list[list[Any]] = []
        choosing: list[int] = []
        gains: dict[int, Any] = {}
        for t in sorted(trials, key=lambda t: t.number):
            if t.number == number:
                continue
            point = self._point(t)
            if PORTFOLIO_ATTR in t.system_attrs:
                gains[t.number] = t.system_attrs[PORTFOLIO_ATTR]
            if point is None:
                if t.state == TrialState.RUNNING and t.number < number:
                    choosing.append(t.number)
            elif t.state == TrialState.COMPLETE and t.value is not None:
                finished.append((point, sign * t.value))
            elif t.state == TrialState.FAIL and t.number not in replaced:
                finished.append((point, None))
            elif t.state == TrialState.PRUNED and t.intermediate_values:
                # stopped early by a pruner: its last reported value, as far as it got
                last = t.intermediate_values[max(t.intermediate_values)]
                finished.append((point, sign * last))
            elif t.state in (TrialState.RUNNING, TrialState.WAITING):
                pending.append(point)
        for other in choosing:  # what they are choosing now, as far as can be known
            pending.append(self._told(finished, pending, other, gains).ask())
        return self._told(finished, pending, number, gains)

    def _told(
        self,
        finished: list[tuple[list[Any], float | None]],
        pending: list[list[Any]],
        number: int,
        gains: dict[int, Any],
    ) -> Optimizer:
        """An optimiser for trial ``number`` told the finished points, then the pending ones
        with the lowest value so far, with the portfolio state of the latest earlier trial."""
        opt = Optimizer(self.space, seed=self.seed, **self.options)
        opt.rng = np.random.default_rng([self.seed, number])
        for point, value in finished:
            opt.tell(point, value)
        told = [v for _, v in finished if v is not None]
        lie = min(told) if told else None
        for point in pending:
            opt.tell(point, lie, source="pending")
        earlier = [n for n in gains if n < number]
        if earlier and opt.portfolio is not None:
            state = gains[max(earlier)]
            opt.portfolio = Portfolio.from_json(state["portfolio"])
            opt.last_proposals = state["proposals"]
        return opt

    def _point(self, trial: FrozenTrial) -> list[Any] | None:
        """The trial's values as a point of the space; None unless it has them all."""
        if any(name not in trial.params for name in self.space.names):
            return None
        try:
            return self.space.check([trial.params[name] for name in self.space.names])
        except ValueError:
            return None
