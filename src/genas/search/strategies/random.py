"""Random search: the paper's "sampled architectures" baseline.

Uniform ops per layer; skips Bernoulli(``skip_prob``) each, or exactly ``n_skips`` of the
``L(L-1)/2`` possible ones (AMBER's random baseline: ``round(0.4 · L(L-1)/2)``, e.g. 26 of
66 for 12 layers). Sampling is :func:`genas.space.sample_architecture` with the strategy's
own ``numpy.random.Generator``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from genas.config import RandomSearchConfig
from genas.search.strategies.base import Strategy, step_stats, uniform_skip_rows
from genas.space import Architecture, ModelSpace, sample_architecture


class RandomStrategy(Strategy):
    """Samples architectures independently of all rewards.

    :meth:`most_likely` has no policy to maximise, so it returns the best-rewarded
    architecture told so far (before any tell: op 0 everywhere, no skips).
    """

    name = "random"

    def __init__(
        self, space: ModelSpace, config: RandomSearchConfig | None = None, seed: int = 0
    ) -> None:
        super().__init__(space)
        self.config = config or RandomSearchConfig()
        n_possible = space.n_layers * (space.n_layers - 1) // 2
        n_skips = self.config.n_skips
        if space.skips and n_skips is not None and n_skips > n_possible:
            raise ValueError(
                f"random.n_skips = {n_skips}, but space {space.name!r} has only "
                f"{n_possible} possible skips"
            )
        self.rng = np.random.default_rng(seed)
        self._pending: list[float] = []
        self._min_reward: float | None = None
        self._best: tuple[list[int], float] | None = None
        self._steps = 0

    def ask(self) -> Architecture:
        return sample_architecture(
            self.space, self.rng, skip_prob=self.config.skip_prob, n_skips=self.config.n_skips
        )

    def tell(self, arch: Architecture, reward: float) -> None:
        self._check_arch(arch)
        reward = float(reward)
        self._pending.append(reward)
        if math.isfinite(reward):
            if self._min_reward is None or reward < self._min_reward:
                self._min_reward = reward
            if self._best is None or reward > self._best[1]:
                self._best = (arch.to_tokens(), reward)

    def step_end(self) -> dict[str, Any]:
        stats = step_stats(self._steps + 1, self._pending, self._min_reward)
        self._pending = []
        self._steps += 1
        return stats

    def probabilities(self) -> dict[str, list[list[float]]]:
        ops = [
            [1.0 / self.space.num_ops(i)] * self.space.num_ops(i)
            for i in range(self.space.n_layers)
        ]
        L = self.space.n_layers
        if not self.space.skips:
            return {"ops": ops, "skips": uniform_skip_rows(L, 0.0)}
        n_possible = L * (L - 1) // 2
        if self.config.n_skips is None:
            p = self.config.skip_prob
        else:
            p = self.config.n_skips / n_possible if n_possible else 0.0
        return {"ops": ops, "skips": uniform_skip_rows(L, p)}

    def most_likely(self) -> Architecture:
        if self._best is not None:
            return Architecture.from_tokens(self.space, self._best[0])
        return Architecture.from_ops(self.space, [0] * self.space.n_layers)

    def state_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.name,
            "n_tokens": self.space.n_tokens,
            "rng": self.rng.bit_generator.state,
            "pending": list(self._pending),
            "min_reward": self._min_reward,
            "best_tokens": None if self._best is None else list(self._best[0]),
            "best_reward": None if self._best is None else self._best[1],
            "steps": self._steps,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._check_state(state)
        self.rng.bit_generator.state = state["rng"]
        self._pending = [float(r) for r in state["pending"]]
        self._min_reward = state["min_reward"]
        tokens = state["best_tokens"]
        self._best = None if tokens is None else ([int(t) for t in tokens], state["best_reward"])
        self._steps = int(state["steps"])
