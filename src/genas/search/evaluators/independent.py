"""AMBER's non-sharing mode: each architecture is built and trained from scratch, then scored.

Slow, but the honest check of the shared-weight estimate. Every child is seeded from the
run seed and its architecture's hash (weights, data order, augmentation, dropout), so
scoring the same architecture twice gives the same reward, whatever was scored in between
and whichever process trained it.

The children of one :meth:`~IndependentEvaluator.score_many` are independent trials of a
:mod:`genas.parallel` executor: one after another in this process by default, at once on
Ray workers with the Ray executor (each worker rebuilds the evaluator once from a
:class:`ChildContext`). A child whose training raises, or whose worker dies, is retried
once, then scored as failed with the error.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch

from genas.config import RunConfig, TrainConfig
from genas.data.dataset import DataSplits
from genas.nn.network import ChildNet
from genas.parallel import Executor, InProcessExecutor
from genas.search.evaluators.base import ArchLike, Evaluator, Score, failure_message
from genas.search.evaluators.reward import reward_from_metrics
from genas.search.evaluators.seeding import derive_seed, isolated_torch_rng
from genas.search.evaluators.shared import as_architecture
from genas.search.evaluators.step import build_optimizer, train_step
from genas.search.evaluators.stream import TrainStream
from genas.space.architecture import Architecture
from genas.space.model_space import ModelSpace


class IndependentEvaluator(Evaluator):
    """Trains a standalone :class:`~genas.nn.ChildNet` per architecture; its validation
    score is the reward.

    Budget and optimiser: ``search.independent`` (epochs, max_steps: a cap on the
    minibatches per child, batch_size, lr) with ``train.optimizer``, ``train.weight_decay``
    and ``train.grad_clip``; constant learning rate, no early stopping. The child has the
    search width (``search.width``) and is scored in eval mode (its own BatchNorm running
    statistics) on the same in-memory scoring set as the shared evaluator.

    Args:
        space: the model space (or its preset name / YAML path).
        splits: ``train`` trains each child, ``valid`` is scored (required).
        config: the run config (``search`` None: defaults).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ...
        seed: run seed (``None``: ``config.seed``).
    """

    kind = "independent"

    def __init__(
        self,
        space: ModelSpace | str,
        splits: DataSplits,
        config: RunConfig,
        device: str | torch.device = "auto",
        seed: int | None = None,
        executor: Executor | None = None,
    ):
        super().__init__(space, splits, config, device, seed)
        self.config = config
        self.train_config: TrainConfig = config.train
        self.rc_augment = bool(config.data.rc_augment)
        self.max_shift = int(config.data.max_shift)
        self.executor = executor
        self._context_key = uuid.uuid4().hex
        self._shared: tuple[Executor, Any] | None = None  # (executor, its handle of the context)

    def _train_child(self, arch: Architecture, seed: int) -> tuple[ChildNet, float, int]:
        """(trained child, mean training loss, steps) — in the caller's torch RNG context."""
        ind = self.search.independent
        net = ChildNet(
            self.space, arch, self.splits.input_length, self.splits.n_tasks, self.search.width
        ).to(self.device)
        optimizer = build_optimizer(
            net.parameters(), self.train_config.optimizer, ind.lr, self.train_config.weight_decay
        )
        stream = TrainStream(
            self.splits.train, ind.batch_size, seed, self.rc_augment, self.max_shift
        )
        n_steps = ind.epochs * stream.batches_per_epoch
        if ind.max_steps is not None:
            n_steps = min(n_steps, ind.max_steps)
        forward = torch.compile(net) if self.train_config.compile else net
        loss_sum = torch.zeros((), device=self.device)
        count = torch.zeros((), device=self.device)
        net.train()
        for _ in range(n_steps):
            x, y = stream.next_batch()
            total, known = train_step(
                net,
                forward,
                optimizer,
                x,
                y,
                self.device,
                self.n_value,
                self.train_config.grad_clip,
            )
            loss_sum += total
            count += known
        return net, float(loss_sum / count.clamp(min=1.0)), n_steps

    def score(self, arch: ArchLike) -> Score:
        """Train ``arch`` from scratch and score it; never raises for ``arch``."""
        started = time.perf_counter()
        try:
            return self.score_or_raise(arch)
        except Exception as error:  # a candidate must never stop the search
            return Score.failed(failure_message(error), time.perf_counter() - started)

    def score_or_raise(self, arch: ArchLike) -> Score:
        """:meth:`score`, but an error while building, training or scoring is raised."""
        started = time.perf_counter()
        scoring = self.scoring_set
        try:
            arch = as_architecture(self.space, arch)
            seed = derive_seed(self.seed, "child", arch.hash)
            with isolated_torch_rng(seed, self.device):
                net, train_loss, n_steps = self._train_child(arch, seed)
                metrics: dict[str, Any] = scoring.evaluate(net, net, bn="running")
        except torch.OutOfMemoryError:
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            raise
        metrics["train_loss"] = train_loss
        metrics["train_steps"] = n_steps
        reward, why = reward_from_metrics(self.search.reward, metrics)
        return Score(reward, metrics, time.perf_counter() - started, why is None, why)

    def score_many(self, archs: Iterable[ArchLike]) -> list[Score]:
        """Each architecture trained and scored as a trial of :attr:`executor` (in order).

        A trial that raises or whose worker dies is retried (``executor.retries``, once by
        default), then gets ``Score.failed`` with the error.
        """
        executor = self.executor or InProcessExecutor()
        items = [list(a.to_tokens()) if isinstance(a, Architecture) else list(a) for a in archs]
        if executor.in_process:
            context = self
        else:  # the data goes to the workers once per search, not once per step
            if self._shared is None or self._shared[0] is not executor:
                self._shared = (executor, executor.share(self.remote_context()))
            context = self._shared[1]
        results = executor.map(score_trial, items, context)
        return [
            r.value if r.ok else Score.failed(failure_message(r.error), r.seconds) for r in results
        ]

    def remote_context(self) -> ChildContext:
        """What a worker process needs to rebuild this evaluator (sent to it once)."""
        wants_cpu = self.train_config.device.strip().lower() == "cpu"
        return ChildContext(
            key=self._context_key,
            space=self.space,
            splits=self.splits,
            config=self.config,
            device="cpu" if wants_cpu else "auto",
            seed=self.seed,
        )


@dataclass(frozen=True)
class ChildContext:
    """An :class:`IndependentEvaluator` in a form that travels to worker processes.

    ``device`` is resolved on the worker: ``auto`` takes the GPU Ray assigned to the trial,
    if any. ``key`` identifies the evaluator, so a worker builds it (and reads the scoring
    set onto its device) once, however many children it trains.
    """

    key: str
    space: ModelSpace
    splits: DataSplits
    config: RunConfig
    device: str
    seed: int


_worker_evaluators: dict[str, IndependentEvaluator] = {}


def score_trial(
    tokens: list[int], context: IndependentEvaluator | ChildContext, attempt: int
) -> Score:
    """One child as an executor trial: trained and scored, or an exception."""
    if isinstance(context, IndependentEvaluator):
        return context.score_or_raise(tokens)
    evaluator = _worker_evaluators.get(context.key)
    if evaluator is None:
        _worker_evaluators.clear()  # one search's evaluator per worker at a time
        evaluator = IndependentEvaluator(
            context.space, context.splits, context.config, context.device, context.seed
        )
        _worker_evaluators[context.key] = evaluator
    return evaluator.score_or_raise(tokens)
