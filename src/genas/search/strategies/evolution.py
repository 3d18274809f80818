"""Regularized (aging) evolution: Real, Aggarwal, Huang & Le, "Regularized evolution for image
classifier architecture search", AAAI 2019.

A population of the most recently evaluated architectures; each new candidate is a
one-token mutation (:func:`genas.space.mutate_architecture`) of the best of ``sample_size``
members drawn at random from it, and the oldest member dies when a new one is told. Ageing
out good but old members is what makes it robust to noisy rewards (a lucky score is
forgotten). Written here rather than taken from NNI, whose implementation is bound to its
own model-space and execution engine; the algorithm is a dozen lines.

With several objectives (``search.objectives``) the tournament is a Pareto tournament: the
winner is the drawn member of the lowest non-domination rank within the population (NSGA-II's
first criterion, Deb et al. 2002), ties going to the higher reward; an infeasible or
failed member ranks below all others.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from genas.config import EvolutionConfig
from genas.search.pareto import non_dominated_ranks
from genas.search.strategies.base import Strategy, TellBook, usage_frequencies
from genas.space import Architecture, ModelSpace, mutate_architecture, sample_architecture

#: Mutations tried to find an architecture not asked before, before a repeat is accepted.
FRESH_TRIES = 20


class EvolutionStrategy(Strategy):
    """Regularized evolution over the tokens of ``space``.

    The first ``population`` asks are random (skips Bernoulli(``skip_prob``)); later asks are
    mutations of tournament winners. A mutation that gives an architecture already asked is
    drawn again (up to :data:`FRESH_TRIES` times), so the budget is not spent twice on one
    architecture. Invalid rewards (NaN, ±inf) count as the lowest in tournaments.
    """

    name = "evolution"

    def __init__(
        self,
        space: ModelSpace,
        config: EvolutionConfig | None = None,
        seed: int = 0,
        n_objectives: int = 1,
    ) -> None:
        super().__init__(space)
        self.config = config or EvolutionConfig()
        self.rng = np.random.default_rng(seed)
        self.n_objectives = int(n_objectives)
        self._population: deque[tuple[list[int], float]] = deque(maxlen=self.config.population)
        # each member's objective values (higher is better; None: infeasible or failed),
        # kept only with several objectives
        self._points: deque[list[float] | None] = deque(maxlen=self.config.population)
        self._seen: set[str] = set()
        self._asked = 0
        self._told = TellBook()

    # ------------------------------------------------------------------ ask / tell

    def ask(self) -> Architecture:
        if self._asked < self.config.population or not self._population:
            arch = sample_architecture(self.space, self.rng, skip_prob=self.config.skip_prob)
        else:
            parent = self._tournament_winner()
            arch = mutate_architecture(self.space, parent, self.rng)
            for _ in range(FRESH_TRIES):
                if arch.hash not in self._seen:
                    break
                arch = mutate_architecture(self.space, parent, self.rng)
        self._asked += 1
        self._seen.add(arch.hash)
        return arch

    def _tournament_winner(self) -> Architecture:
        members = list(self._population)
        size = min(self.config.sample_size, len(members))
        drawn = self.rng.choice(len(members), size=size, replace=False)
        # several objectives: the lowest non-domination rank first, then the reward
        multi = self.n_objectives > 1
        ranks = _member_ranks(list(self._points)) if multi else [0] * len(members)
        # the first of equals wins: the oldest (members are in order of arrival)
        best = max(
            sorted(int(i) for i in drawn), key=lambda i: (-ranks[i], _ranked(members[i][1]))
        )
        return Architecture.from_tokens(self.space, members[best][0])

    def tell(self, arch: Architecture, reward: float) -> None:
        if self.n_objectives != 1:
            raise ValueError(
                f"this evolution strategy optimises {self.n_objectives} objectives: use "
                "tell_point"
            )
        self._record(arch, float(reward), None)

    def tell_point(
        self, arch: Architecture, values: Sequence[float], violation: float | None = None
    ) -> None:
        """With several objectives: ``arch`` joins the population with its ``values``
        (higher is better), infeasible (``violation`` > 0) or failed ones ranked last."""
        if self.n_objectives == 1:
            super().tell_point(arch, values, violation)
            return
        if len(values) != self.n_objectives:
            raise ValueError(f"expected {self.n_objectives} objective values, got {len(values)}")
        values = [float(v) for v in values]
        infeasible = violation is not None and violation > 0
        usable = not infeasible and all(math.isfinite(v) for v in values)
        self._record(arch, math.nan if infeasible else values[0], values if usable else None)

    def _record(self, arch: Architecture, reward: float, point: list[float] | None) -> None:
        self._check_arch(arch)
        self._told.record(arch, reward)
        self._population.append((arch.to_tokens(), reward))
        if self.n_objectives > 1:
            self._points.append(point)
        self._seen.add(arch.hash)

    def step_end(self) -> dict[str, Any]:
        return {**self._told.step_end(), "population": len(self._population)}

    # ------------------------------------------------------------------ views

    def probabilities(self) -> dict[str, list[list[float]]]:
        """How often each op (per layer) and each skip is used in the current population
        (uniform ops and ``skip_prob`` before anything was told)."""
        members = [Architecture.from_tokens(self.space, t) for t, _ in self._population]
        return usage_frequencies(self.space, members, self.config.skip_prob)

    def most_likely(self) -> Architecture:
        """The best-rewarded architecture told so far (op 0 everywhere before any)."""
        return self._told.best_architecture(self.space)

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.name,
            "n_tokens": self.space.n_tokens,
            "rng": self.rng.bit_generator.state,
            "population_tokens": [list(t) for t, _ in self._population],
            "population_rewards": [r for _, r in self._population],
            "n_objectives": self.n_objectives,
            "population_points": list(self._points),
            "seen": sorted(self._seen),
            "asked": self._asked,
            **self._told.state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._check_state(state)
        n_objectives = int(state.get("n_objectives", 1))
        if n_objectives != self.n_objectives:
            raise ValueError(
                f"state is of a search of {n_objectives} objectives, this one has "
                f"{self.n_objectives}"
            )
        self.rng.bit_generator.state = state["rng"]
        self._population.clear()
        for tokens, reward in zip(
            state["population_tokens"], state["population_rewards"], strict=True
        ):
            self._population.append(([int(t) for t in tokens], float(reward)))
        self._points.clear()
        for point in state.get("population_points") or []:
            self._points.append(None if point is None else [float(v) for v in point])
        self._seen = set(state["seen"])
        self._asked = int(state["asked"])
        self._told.load(state)


def _member_ranks(points: list[list[float] | None]) -> list[int]:
    """Non-domination rank of each member's objective values within the population;
    a member without (infeasible, failed) ranks below every other."""
    usable = [i for i, p in enumerate(points) if p is not None]
    ranks = [len(points)] * len(points)
    if usable:
        found = non_dominated_ranks(np.array([points[i] for i in usable]))
        for i, rank in zip(usable, found, strict=True):
            ranks[i] = int(rank)
    return ranks


def _ranked(reward: float) -> float:
    """A reward for comparisons: an invalid one (NaN, ±inf) below every finite one."""
    return reward if math.isfinite(reward) else -math.inf
