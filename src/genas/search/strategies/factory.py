"""``make_strategy``: the strategy a search config asks for."""

from __future__ import annotations

from genas.config import SearchConfig
from genas.search.pareto import strategy_objectives
from genas.search.strategies.base import Strategy
from genas.search.strategies.evolution import EvolutionStrategy
from genas.search.strategies.random import RandomStrategy
from genas.search.strategies.rl import ReinforceStrategy
from genas.search.strategies.tpe import TpeStrategy
from genas.space import ModelSpace


def make_strategy(space: ModelSpace, search_config: SearchConfig, seed: int) -> Strategy:
    """The strategy ``search_config.strategy`` names, configured and seeded; for a
    multi-objective search (``search.objectives`` without a scalarization) ``evolution``
    and ``tpe`` are told every objective (``rl`` is refused by the config)."""
    name = search_config.strategy
    n_objectives = strategy_objectives(search_config)
    if name == "rl":
        return ReinforceStrategy(space, search_config.controller, seed=seed)
    if name == "random":
        return RandomStrategy(space, search_config.random, seed=seed)
    if name == "evolution":
        return EvolutionStrategy(space, search_config.evolution, seed=seed,
                                 n_objectives=n_objectives)  # fmt: skip
    if name == "tpe":
        return TpeStrategy(space, search_config.tpe, seed=seed, n_objectives=n_objectives)
    raise ValueError(f"unknown search strategy {name!r} (rl, random, evolution, tpe)")
