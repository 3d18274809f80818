"""What an evaluator is: it turns an architecture into a :class:`Score`.

A search alternates between training (only the weight-sharing evaluator has anything to
train) and scoring sampled architectures (DESIGN.md §1). Evaluators never raise on a bad
architecture: it gets ``Score(valid=False, reward=nan, error=...)``.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from genas.config import TASK_REWARDS, RunConfig, SearchConfig
from genas.data import DataSplits
from genas.errors import ConfigError, GenasError
from genas.search.evaluators.scoring import ScoringSet
from genas.search.evaluators.seeding import derive_seed
from genas.search.knowledge import Knowledge, KnowledgeScorer
from genas.space import ModelSpace, get_space
from genas.space.architecture import Architecture
from genas.train.device import resolve_device
from genas.train.task import TaskSpec, task_spec

#: An architecture, or its token list.
ArchLike = Architecture | Sequence[int]


@dataclass
class Score:
    """The outcome of scoring one architecture.

    Attributes:
        reward: the search's reward (higher is better); NaN when it could not be computed.
        metrics: summary numbers on the scoring set (:func:`~genas.search.evaluators.
            reward.summarize`), e.g. ``mean_auroc``, ``median_auroc``, ``mean_auprc``,
            ``median_auprc``, ``loss``, ``n_tasks``, ``n_scored`` for binary tasks (empty
            when the architecture failed before it produced predictions).
        seconds: wall time spent on this architecture (for the independent evaluator,
            training included).
        valid: the reward is a finite number a strategy may learn from.
        error: why not, when ``valid`` is False.
        base_reward: with ``search.knowledge``, the validation reward before the knowledge
            term was added (``reward`` is then the total); else None.
        knowledge: with ``search.knowledge``, the knowledge score; else None.
    """

    reward: float
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    valid: bool = True
    error: str | None = None
    base_reward: float | None = None
    knowledge: Knowledge | None = None

    @classmethod
    def failed(cls, error: str, seconds: float = 0.0, metrics: dict | None = None) -> Score:
        """An invalid score: NaN reward and the reason."""
        return cls(math.nan, dict(metrics or {}), seconds, valid=False, error=error)


class Evaluator(ABC):
    """Turns architectures into rewards; may hold trainable shared state.

    Subclasses implement :meth:`score`, and, when they have shared weights, :meth:`train`,
    :meth:`warmup`, :meth:`state_dict` and :meth:`load_state_dict`.

    Attributes:
        on_scored: None, or a function called in this process with each score of
            :meth:`score_many` as soon as it is known, before the call returns (the
            independent evaluator's children in the order they finish): a progress hook,
            through which the search loop logs children that take minutes each.
    """

    #: ``"shared"`` or ``"independent"``.
    kind: str = ""

    def __init__(
        self,
        space: ModelSpace | str,
        splits: DataSplits,
        config: RunConfig,
        device: str | torch.device = "auto",
        seed: int | None = None,
    ):
        if splits.valid is None or len(splits.valid) == 0:
            raise GenasError(f"the {self.kind} evaluator needs a validation split to score on")
        self.space = get_space(space)
        self.splits = splits
        self.task: TaskSpec = task_spec(config, splits)
        self.search: SearchConfig = _with_reward(config.search or SearchConfig(), self.task)
        self.n_value = float(config.data.n_value)
        self.device = resolve_device(device)
        self.seed = int(config.seed if seed is None else seed)
        self._scoring: ScoringSet | None = None
        self._knowledge: KnowledgeScorer | None = None
        self.on_scored: Callable[[Score], None] | None = None

    def train(self, sample: Callable[[], Architecture], n_steps: int) -> dict[str, Any]:
        """Train shared weights for ``n_steps`` minibatches, each on a fresh ``sample()``.

        Returns statistics (``loss``, ``steps``, ``sequences``, ``seconds``, ``seqs_per_s``);
        ``{}`` for an evaluator without shared weights.
        """
        return {}

    def warmup(self, sample: Callable[[], Architecture], epochs: int) -> dict[str, Any]:
        """Train shared weights for ``epochs`` passes over the training set (see :meth:`train`)."""
        return {}

    @abstractmethod
    def score(self, arch: ArchLike) -> Score:
        """The reward of one architecture on the validation data. Never raises for ``arch``."""

    @property
    def scoring_set(self) -> ScoringSet:
        """The validation sequences on the device, read on first use and kept."""
        if self._scoring is None:
            self._scoring = ScoringSet(
                self.splits.valid,
                self.splits.task_names,
                self.device,
                self.n_value,
                self.search.reward_sequences,
                derive_seed(self.seed, "scoring-set"),
                task=self.task,
            )
        return self._scoring

    def with_knowledge(
        self, score: Score, model: Callable[[], nn.Module], batch_size: int | None = None
    ) -> Score:
        """``score`` with ``search.knowledge``'s term added to a valid reward: ``reward``
        becomes the total, ``base_reward`` and ``knowledge`` hold the parts and ``seconds``
        counts the time. ``model()`` gives the network whose units are read (built only when
        needed); ``batch_size``: see :meth:`KnowledgeScorer.score`. Unchanged without
        ``search.knowledge`` or for an invalid score."""
        config = self.search.knowledge
        if config is None or not score.valid:
            return score
        if self._knowledge is None:  # read on first use (JASPAR, the sequences) and kept
            self._knowledge = KnowledgeScorer(
                config, self.splits.valid, self.task.task_type,
                derive_seed(self.seed, "knowledge"), self.n_value,
            )  # fmt: skip
        knowledge = self._knowledge.score(model(), batch_size)
        return replace(
            score,
            reward=self._knowledge.total(score.reward, knowledge),
            seconds=score.seconds + knowledge.seconds,
            base_reward=score.reward,
            knowledge=knowledge,
        )

    def score_many(
        self, archs: Iterable[ArchLike], deadline: float | None = None
    ) -> list[Score | None]:
        """:meth:`score` of each architecture, in order; None for those left unscored
        because ``deadline`` (a ``time.perf_counter()`` value) had passed. The first
        architecture is always scored, so a search with a budget scores at least one."""
        scores: list[Score | None] = []
        for arch in archs:
            late = deadline is not None and scores and time.perf_counter() > deadline
            scores.append(None if late else self.score(arch))
        return scores

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume bit-identically (CPU); tensors and plain containers
        only, so ``torch.save`` writes it and ``torch.load(weights_only=True)`` reads it."""
        return {"kind": self.kind}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned.

        Raises:
            ValueError: the state belongs to another kind of evaluator.
        """
        if state.get("kind") != self.kind:
            raise ValueError(
                f"evaluator state of kind {state.get('kind')!r} given to a {self.kind!r} evaluator"
            )


def _with_reward(search: SearchConfig, task: TaskSpec) -> SearchConfig:
    """``search`` with its reward set (the task type's default when unset) and checked."""
    allowed = TASK_REWARDS[task.task_type]
    if search.reward is None:
        return search.model_copy(update={"reward": allowed[0]})
    if search.reward not in allowed:
        raise ConfigError(
            f"search.reward: {search.reward} does not fit data.task_type {task.task_type} "
            f"(use {', '.join(allowed)})"
        )
    return search


def failure_message(error: BaseException) -> str:
    """One line naming the exception: ``RuntimeError: ...`` (first line, at most 300 chars)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:300] if text else ''}".rstrip(": ")
