"""A model-based strategy: Optuna's tree-structured Parzen estimator (TPE) through ask/tell.

Every token of the space (a layer's op, a skip bit) is one categorical parameter of an
Optuna trial; an asked architecture is an asked trial, its reward the trial's value. Several
asks before their tells (a search step scores ``archs_per_step`` at once) are kept apart by
TPE's constant liar.

Resuming exactly: Optuna's samplers keep a random state that is not meant to be saved, so
the sampler is made anew, seeded by ``(seed, number of asks so far)``, before every ask. The
next ask is then a function of the trials alone, and :meth:`TpeStrategy.state_dict` needs
only the trials: a resumed strategy replays them into a new in-memory study and asks what an
uninterrupted one would have asked.

Several objectives (``search.objectives``) make the study a multi-objective one: TPE then
splits the trials into good and bad by non-domination rank (Optuna's MOTPE, Ozaki et al.
2020/2022). This is preferred to Optuna's NSGA-II sampler: NSGA-II spends its first
generation (50 trials by default) on random draws, more than most searches here evaluate,
and keeps generation bookkeeping in system attributes, where TPE is model-based from
``n_startup`` trials on and needs nothing but the trials, so it resumes exactly as above.
Hard limits (``search.max_parameters``, ``search.max_latency_ms``) are a constraint of each
trial (Optuna's ``Trial.set_constraint``): TPE ranks infeasible trials below feasible ones.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.samplers import TPESampler
from optuna.trial import Trial, TrialState

from genas.config import TpeConfig
from genas.search.pareto import non_dominated_ranks
from genas.search.strategies.base import Strategy, step_stats, usage_frequencies
from genas.space import Architecture, ModelSpace, token_choices

#: TPE's "good" fraction of trials, whose token frequencies :meth:`probabilities` shows.
GOOD_FRACTION = 0.25
#: Draws tried to find an architecture not asked before, before a repeat is accepted.
FRESH_TRIES = 20
#: Name of the trials' constraint: their relative excess over the hard limits.
CONSTRAINT = "limits"


class TpeStrategy(Strategy):
    """Optuna's :class:`~optuna.samplers.TPESampler` over the tokens of ``space``.

    The first ``n_startup`` asks are uniform (Optuna's random sampler; skips Bernoulli(1/2)),
    then TPE models the good and the bad trials' tokens (jointly with ``multivariate``).
    Invalid rewards (NaN, ±inf) are told as the lowest finite reward seen so far.

    With ``n_objectives`` > 1 each architecture is told its objective values
    (:meth:`tell_point`, each higher-is-better), and TPE models the non-dominated trials.
    """

    name = "tpe"

    def __init__(
        self,
        space: ModelSpace,
        config: TpeConfig | None = None,
        seed: int = 0,
        n_objectives: int = 1,
    ) -> None:
        super().__init__(space)
        self.config = config or TpeConfig()
        self.seed = int(seed)
        self.n_objectives = int(n_objectives)
        self.distributions = {
            _param(i): CategoricalDistribution(list(range(n)))
            for i, n in enumerate(token_choices(space))
        }
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # no line per trial
        self._study = self._new_study()
        self._running: dict[str, list[Trial]] = {}  # arch hash -> its asked trials
        self._seen: set[str] = set()  # hashes of the architectures of the trials kept
        self._asked = 0
        self._pending: list[float] = []
        self._floors: list[float | None] = [None] * self.n_objectives  # lowest finite values
        self._steps = 0

    def _new_study(self) -> optuna.Study:
        return optuna.create_study(directions=["maximize"] * self.n_objectives)

    def _sampler(self) -> TPESampler:
        """A sampler seeded by ``(seed, draws so far)``: the next draw depends on the trials
        and this count only (see the module docstring)."""
        seed = int(np.random.SeedSequence([self.seed, self._asked]).generate_state(1)[0])
        with warnings.catch_warnings():  # multivariate and constant_liar are "experimental"
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return TPESampler(
                seed=seed,
                n_startup_trials=self.config.n_startup,
                multivariate=self.config.multivariate,
                constant_liar=True,
            )

    # ------------------------------------------------------------------ ask / tell

    def ask(self) -> Architecture:
        """TPE's next architecture. One it already asked (TPE may draw a categorical point
        twice) is drawn again, up to :data:`FRESH_TRIES` times, so that an evaluator does
        not train the same architecture twice; the repeats are dropped as failed trials."""
        for attempt in range(FRESH_TRIES + 1):
            self._study.sampler = self._sampler()
            self._asked += 1
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                trial = self._study.ask(self.distributions)
            arch = self._arch_of(trial.params)
            if arch.hash not in self._seen or attempt == FRESH_TRIES:
                break
            self._study.tell(trial.number, state=TrialState.FAIL)
        self._seen.add(arch.hash)
        self._running.setdefault(arch.hash, []).append(trial)
        return arch

    def tell(self, arch: Architecture, reward: float) -> None:
        if self.n_objectives != 1:
            raise ValueError(
                f"this TPE strategy optimises {self.n_objectives} objectives: use tell_point"
            )
        self.tell_point(arch, [reward])

    def tell_point(
        self, arch: Architecture, values: Sequence[float], violation: float | None = None
    ) -> None:
        """Tell the trial of ``arch`` its ``n_objectives`` values (higher is better; a
        non-finite one counts as the lowest finite value of its objective seen so far) and,
        with hard limits, its ``violation`` as the trial's constraint."""
        self._check_arch(arch)
        values = [float(v) for v in values]
        if len(values) != self.n_objectives:
            raise ValueError(f"expected {self.n_objectives} objective values, got {len(values)}")
        self._pending.append(values[0])
        told = []
        for i, value in enumerate(values):
            if math.isfinite(value) and (self._floors[i] is None or value < self._floors[i]):
                self._floors[i] = value
            floor = 0.0 if self._floors[i] is None else self._floors[i]
            told.append(value if math.isfinite(value) else floor)
        trials = self._running.get(arch.hash)
        if trials:
            trial = trials.pop(0)
            if not trials:
                del self._running[arch.hash]
            if violation is not None:
                trial.set_constraint(CONSTRAINT, float(violation))
            self._study.tell(trial, told)
        else:  # an architecture this strategy did not ask
            self._seen.add(arch.hash)
            self._add_trial(arch, told, violation)

    def _add_trial(self, arch: Architecture, values: list[float], violation: float | None) -> None:
        """A finished trial of ``arch``, as :meth:`tell_point` leaves an asked one."""
        trial = optuna.trial.create_trial(
            params=self._params_of(arch), distributions=self.distributions, values=values
        )
        if violation is not None:
            trial.set_constraint(CONSTRAINT, float(violation))
        self._study.add_trial(trial)

    def step_end(self) -> dict[str, Any]:
        """Close the step; an architecture asked in it and never told (a budget ended the
        step first) is dropped, so that TPE's constant liar does not count it for ever."""
        for trials in self._running.values():
            for trial in trials:
                self._study.tell(trial, state=TrialState.FAIL)
        self._running = {}
        stats = step_stats(self._steps + 1, self._pending, self._floors[0])
        self._pending = []
        self._steps += 1
        return stats

    # ------------------------------------------------------------------ views

    def _complete(self) -> list[optuna.trial.FrozenTrial]:
        return self._study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))

    def _ranked(self) -> list[optuna.trial.FrozenTrial]:
        """The told trials best first: feasible before infeasible, then by non-domination
        rank, then by the first value (with one objective: by the value alone)."""
        done = self._complete()
        if not done:
            return []
        ranks = non_dominated_ranks(np.array([t.values for t in done]))
        order = sorted(
            range(len(done)),
            key=lambda i: (not _feasible(done[i]), int(ranks[i]), -done[i].values[0]),
        )
        return [done[i] for i in order]

    def probabilities(self) -> dict[str, list[list[float]]]:
        """Op and skip frequencies among the best quarter of the told architectures (the
        trials TPE's "good" density is fitted to); uniform before anything was told."""
        done = self._ranked()
        n_good = max(1, math.ceil(GOOD_FRACTION * len(done))) if done else 0
        good = [self._arch_of(t.params) for t in done[:n_good]]
        return usage_frequencies(self.space, good, 0.5)

    def most_likely(self) -> Architecture:
        """The architecture of the best first value told so far, a feasible one if any
        (op 0 everywhere before any)."""
        done = self._complete()
        if not done:
            return Architecture.from_ops(self.space, [0] * self.space.n_layers)
        done = [t for t in done if _feasible(t)] or done
        best = max(done, key=lambda t: (t.values[0], -t.number))
        return self._arch_of(best.params)

    def _arch_of(self, params: dict[str, Any]) -> Architecture:
        return Architecture.from_tokens(
            self.space, [int(params[_param(i)]) for i in range(len(self.distributions))]
        )

    def _params_of(self, arch: Architecture) -> dict[str, int]:
        return {_param(i): t for i, t in enumerate(arch.to_tokens())}

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """The trials in order (tokens; value, or the list of values with several
        objectives, None for one asked and not yet told; constraint or None); dropped trials
        are left out."""
        trials = self._study.get_trials(
            deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING)
        )
        return {
            "strategy": self.name,
            "n_tokens": self.space.n_tokens,
            "n_objectives": self.n_objectives,
            "seed": self.seed,
            "trial_tokens": [self._arch_of(t.params).to_tokens() for t in trials],
            "trial_values": [self._values_of(t) for t in trials],
            "trial_constraints": [t.constraints.get(CONSTRAINT) for t in trials],
            "asked": self._asked,
            "pending": list(self._pending),
            "min_reward": self._floors[0],
            "floors": list(self._floors),
            "steps": self._steps,
        }

    def _values_of(self, trial: optuna.trial.FrozenTrial) -> float | list[float] | None:
        if trial.state != TrialState.COMPLETE:
            return None
        return trial.values[0] if self.n_objectives == 1 else list(trial.values)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output (also one written before multi-objective
        searches: one objective, no constraints)."""
        self._check_state(state)
        n_objectives = int(state.get("n_objectives", 1))
        if n_objectives != self.n_objectives:
            raise ValueError(
                f"state is of a search of {n_objectives} objectives, this one has "
                f"{self.n_objectives}"
            )
        self.seed = int(state["seed"])
        self._study = self._new_study()
        self._running = {}
        self._seen = set()
        values = state["trial_values"]
        constraints = state.get("trial_constraints") or [None] * len(values)
        for tokens, value, violation in zip(
            state["trial_tokens"], values, constraints, strict=True
        ):
            arch = Architecture.from_tokens(self.space, tokens)
            self._seen.add(arch.hash)
            if value is None:  # asked, not told: asked again, with the same tokens
                self._study.enqueue_trial(self._params_of(arch))
                trial = self._study.ask(self.distributions)
                self._running.setdefault(arch.hash, []).append(trial)
            else:
                told = [float(v) for v in value] if isinstance(value, list) else [float(value)]
                self._add_trial(arch, told, violation)
        self._asked = int(state["asked"])
        self._pending = [float(r) for r in state["pending"]]
        self._floors = list(state.get("floors") or [state["min_reward"]])
        self._steps = int(state["steps"])


def _feasible(trial: optuna.trial.FrozenTrial) -> bool:
    return all(value <= 0 for value in trial.constraints.values())


def _param(index: int) -> str:
    """The Optuna parameter name of token ``index``."""
    return f"token_{index:03d}"
