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
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.samplers import TPESampler
from optuna.trial import TrialState

from genas.config import TpeConfig
from genas.search.strategies.base import Strategy, step_stats, usage_frequencies
from genas.space import Architecture, ModelSpace, token_choices

#: TPE's "good" fraction of trials, whose token frequencies :meth:`probabilities` shows.
GOOD_FRACTION = 0.25
#: Draws tried to find an architecture not asked before, before a repeat is accepted.
FRESH_TRIES = 20


class TpeStrategy(Strategy):
    """Optuna's :class:`~optuna.samplers.TPESampler` over the tokens of ``space``.

    The first ``n_startup`` asks are uniform (Optuna's random sampler; skips Bernoulli(1/2)),
    then TPE models the good and the bad trials' tokens (jointly with ``multivariate``).
    Invalid rewards (NaN, ±inf) are told as the lowest finite reward seen so far.
    """

    name = "tpe"

    def __init__(self, space: ModelSpace, config: TpeConfig | None = None, seed: int = 0) -> None:
        super().__init__(space)
        self.config = config or TpeConfig()
        self.seed = int(seed)
        self.distributions = {
            _param(i): CategoricalDistribution(list(range(n)))
            for i, n in enumerate(token_choices(space))
        }
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # no line per trial
        self._study = optuna.create_study(direction="maximize")
        self._running: dict[str, list[int]] = {}  # arch hash -> numbers of its asked trials
        self._seen: set[str] = set()  # hashes of the architectures of the trials kept
        self._asked = 0
        self._pending: list[float] = []
        self._min_reward: float | None = None
        self._steps = 0

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
        self._running.setdefault(arch.hash, []).append(trial.number)
        return arch

    def tell(self, arch: Architecture, reward: float) -> None:
        self._check_arch(arch)
        reward = float(reward)
        self._pending.append(reward)
        if math.isfinite(reward) and (self._min_reward is None or reward < self._min_reward):
            self._min_reward = reward
        floor = 0.0 if self._min_reward is None else self._min_reward
        value = reward if math.isfinite(reward) else floor
        numbers = self._running.get(arch.hash)
        if numbers:
            self._study.tell(numbers.pop(0), value)
            if not numbers:
                del self._running[arch.hash]
        else:  # an architecture this strategy did not ask
            self._seen.add(arch.hash)
            self._study.add_trial(
                optuna.trial.create_trial(
                    params=self._params_of(arch), distributions=self.distributions, value=value
                )
            )

    def step_end(self) -> dict[str, Any]:
        """Close the step; an architecture asked in it and never told (a budget ended the
        step first) is dropped, so that TPE's constant liar does not count it for ever."""
        for numbers in self._running.values():
            for number in numbers:
                self._study.tell(number, state=TrialState.FAIL)
        self._running = {}
        stats = step_stats(self._steps + 1, self._pending, self._min_reward)
        self._pending = []
        self._steps += 1
        return stats

    # ------------------------------------------------------------------ views

    def _complete(self) -> list[optuna.trial.FrozenTrial]:
        return self._study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))

    def probabilities(self) -> dict[str, list[list[float]]]:
        """Op and skip frequencies among the best quarter of the told architectures (the
        trials TPE's "good" density is fitted to); uniform before anything was told."""
        done = sorted(self._complete(), key=lambda t: -t.value)
        n_good = max(1, math.ceil(GOOD_FRACTION * len(done))) if done else 0
        good = [self._arch_of(t.params) for t in done[:n_good]]
        return usage_frequencies(self.space, good, 0.5)

    def most_likely(self) -> Architecture:
        """The best-rewarded architecture told so far (op 0 everywhere before any)."""
        done = self._complete()
        if not done:
            return Architecture.from_ops(self.space, [0] * self.space.n_layers)
        best = max(done, key=lambda t: (t.value, -t.number))
        return self._arch_of(best.params)

    def _arch_of(self, params: dict[str, Any]) -> Architecture:
        return Architecture.from_tokens(
            self.space, [int(params[_param(i)]) for i in range(len(self.distributions))]
        )

    def _params_of(self, arch: Architecture) -> dict[str, int]:
        return {_param(i): t for i, t in enumerate(arch.to_tokens())}

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """The trials in order (tokens; value, None for one asked and not yet told); dropped
        trials are left out."""
        trials = self._study.get_trials(
            deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING)
        )
        return {
            "strategy": self.name,
            "n_tokens": self.space.n_tokens,
            "seed": self.seed,
            "trial_tokens": [self._arch_of(t.params).to_tokens() for t in trials],
            "trial_values": [t.value if t.state == TrialState.COMPLETE else None for t in trials],
            "asked": self._asked,
            "pending": list(self._pending),
            "min_reward": self._min_reward,
            "steps": self._steps,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._check_state(state)
        self.seed = int(state["seed"])
        self._study = optuna.create_study(direction="maximize")
        self._running = {}
        self._seen = set()
        for tokens, value in zip(state["trial_tokens"], state["trial_values"], strict=True):
            arch = Architecture.from_tokens(self.space, tokens)
            self._seen.add(arch.hash)
            if value is None:  # asked, not told: asked again, with the same tokens
                self._study.enqueue_trial(self._params_of(arch))
                trial = self._study.ask(self.distributions)
                self._running.setdefault(arch.hash, []).append(trial.number)
            else:
                self._study.add_trial(
                    optuna.trial.create_trial(
                        params=self._params_of(arch),
                        distributions=self.distributions,
                        value=float(value),
                    )
                )
        self._asked = int(state["asked"])
        self._pending = [float(r) for r in state["pending"]]
        self._min_reward = state["min_reward"]
        self._steps = int(state["steps"])


def _param(index: int) -> str:
    """The Optuna parameter name of token ``index``."""
    return f"token_{index:03d}"
