"""Search strategies with an ask/tell interface (DESIGN.md §1–2).

- ``rl``: :class:`ReinforceStrategy`, AMBER's LSTM controller trained with REINFORCE.
- ``random``: :class:`RandomStrategy`, uniform ops and random skips.

>>> from genas.config import SearchConfig
>>> from genas.space import get_space
>>> strategy = make_strategy(get_space("small"), SearchConfig(strategy="random"), seed=0)
>>> len(strategy.ask().to_tokens())
21
"""

from genas.search.strategies.base import Strategy, make_strategy
from genas.search.strategies.controller import Controller, Rollout
from genas.search.strategies.random import RandomStrategy
from genas.search.strategies.rl import ReinforceStrategy

__all__ = [
    "Controller",
    "RandomStrategy",
    "ReinforceStrategy",
    "Rollout",
    "Strategy",
    "make_strategy",
]
