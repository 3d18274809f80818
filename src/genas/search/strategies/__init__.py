"""Search strategies with an ask/tell interface (DESIGN.md §1–2).

- ``rl``: :class:`ReinforceStrategy`, AMBER's LSTM controller trained with REINFORCE.
- ``random``: :class:`RandomStrategy`, uniform ops and random skips.
- ``evolution``: :class:`EvolutionStrategy`, regularized (aging) evolution.
- ``tpe``: :class:`TpeStrategy`, Optuna's tree-structured Parzen estimator.

>>> from genas.config import SearchConfig
>>> from genas.space import get_space
>>> strategy = make_strategy(get_space("small"), SearchConfig(strategy="random"), seed=0)
>>> len(strategy.ask().to_tokens())
21
"""

from genas.search.strategies.base import Strategy
from genas.search.strategies.controller import Controller, Rollout
from genas.search.strategies.evolution import EvolutionStrategy
from genas.search.strategies.factory import make_strategy
from genas.search.strategies.random import RandomStrategy
from genas.search.strategies.rl import ReinforceStrategy
from genas.search.strategies.tpe import TpeStrategy

__all__ = [
    "Controller",
    "EvolutionStrategy",
    "RandomStrategy",
    "ReinforceStrategy",
    "Rollout",
    "Strategy",
    "TpeStrategy",
    "make_strategy",
]
