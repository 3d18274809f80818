"""Evaluators: turn an architecture into a reward (DESIGN.md §2).

- :class:`SharedEvaluator`: ENAS weight sharing — one supernet trained on sampled paths;
  an architecture is scored as its path with the shared weights.
- :class:`IndependentEvaluator`: each architecture trained from scratch, then scored.

Usage::

    evaluator = make_evaluator(space, splits, config, device="auto")
    evaluator.train(strategy.sampler(50), n_steps=50)  # a no-op without shared weights
    scores = evaluator.score_many([strategy.ask() for _ in range(10)])
    torch.save(evaluator.state_dict(), "supernet.pt")  # resume: load_state_dict(torch.load(
                                                       #   "supernet.pt", weights_only=True))
"""

from genas.search.evaluators.base import ArchLike, Evaluator, Score
from genas.search.evaluators.factory import make_evaluator
from genas.search.evaluators.independent import IndependentEvaluator
from genas.search.evaluators.reward import REWARDS, reward_from_metrics, summarize
from genas.search.evaluators.scoring import ScoringSet, batch_statistics
from genas.search.evaluators.shared import SharedEvaluator
from genas.search.evaluators.stream import TrainStream

__all__ = [
    "REWARDS",
    "ArchLike",
    "Evaluator",
    "IndependentEvaluator",
    "Score",
    "ScoringSet",
    "SharedEvaluator",
    "TrainStream",
    "batch_statistics",
    "make_evaluator",
    "reward_from_metrics",
    "summarize",
]
