"""Random search: the paper's "sampled architectures" baseline.

Uniform ops per layer; skips Bernoulli(``skip_prob``) each, or exactly ``n_skips`` of the
``L(L-1)/2`` possible ones (AMBER's random baseline: ``round(0.4 · L(L-1)/2)``, e.g. 26 of
66 for 12 layers). Sampling is :func:`genas.space.sample_architecture` with the strategy's
own ``numpy.random.Generator``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genas.config import RandomSearchConfig
from genas.search.strategies.base import Strategy, TellBook, uniform_skip_rows
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
        self._told = TellBook()

    def ask(self) -> Architecture:
        return sample_architecture(
            self.space, self.rng, skip_prob=self.config.skip_prob, n_skips=self.config.n_skips
        )

    def tell(self, arch: Architecture, reward: float) -> None:
        self._check_arch(arch)
        self._told.record(arch, float(reward))

    def step_end(self) -> dict[str, Any]:
        return self._told.step_end()

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
        return self._told.best_architecture(self.space)

    def state_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.name,
            "n_tokens": self.space.n_tokens,
            "rng": self.rng.bit_generator.state,
            **self._told.state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._check_state(state)
        self.rng.bit_generator.state = state["rng"]
        self._told.load(state)
