"""``make_evaluator``: the evaluator a run's config asks for."""

from __future__ import annotations

import torch

from genas.config import RunConfig, SearchConfig
from genas.data.dataset import DataSplits
from genas.parallel import Executor
from genas.search.evaluators.base import Evaluator
from genas.search.evaluators.independent import IndependentEvaluator
from genas.search.evaluators.shared import SharedEvaluator
from genas.space.model_space import ModelSpace


def make_evaluator(
    space: ModelSpace | str,
    splits: DataSplits,
    config: RunConfig,
    device: str | torch.device = "auto",
    seed: int | None = None,
    executor: Executor | None = None,
) -> Evaluator:
    """``config.search.evaluator``: ``"shared"`` → :class:`SharedEvaluator` (ENAS),
    ``"independent"`` → :class:`IndependentEvaluator` (train each child from scratch).

    ``config.search`` None means the default search settings; ``seed`` None means
    ``config.seed``. ``executor`` runs the independent evaluator's children (None: one
    after another in this process); the shared evaluator trains one supernet in this
    process and takes none.
    """
    search = config.search or SearchConfig()
    if search.evaluator == "shared":
        return SharedEvaluator(space, splits, config, device, seed, search.supernet.scoring_bn)
    if search.evaluator == "independent":
        return IndependentEvaluator(space, splits, config, device, seed, executor)
    raise ValueError(f"unknown evaluator {search.evaluator!r} (shared, independent)")
