"""AMBER's non-sharing mode: each architecture is built and trained from scratch, then scored.

Slow, but the honest check of the shared-weight estimate. Every child is seeded from the
run seed and its architecture's hash (weights, data order, augmentation, dropout), so
scoring the same architecture twice gives the same reward, whatever was scored in between.
"""

from __future__ import annotations

import time
from typing import Any

import torch

from genas.config import RunConfig, TrainConfig
from genas.data.dataset import DataSplits
from genas.nn.network import ChildNet
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
    ):
        super().__init__(space, splits, config, device, seed)
        self.train_config: TrainConfig = config.train
        self.rc_augment = bool(config.data.rc_augment)
        self.max_shift = int(config.data.max_shift)

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
        loss_sum = torch.zeros((), device=self.device)
        count = torch.zeros((), device=self.device)
        net.train()
        for _ in range(n_steps):
            x, y = stream.next_batch()
            total, known = train_step(
                net, net, optimizer, x, y, self.device, self.n_value, self.train_config.grad_clip
            )
            loss_sum += total
            count += known
        return net, float(loss_sum / count.clamp(min=1.0)), n_steps

    def score(self, arch: ArchLike) -> Score:
        """Train ``arch`` from scratch and score it; never raises for ``arch``."""
        started = time.perf_counter()
        scoring = self.scoring_set
        try:
            arch = as_architecture(self.space, arch)
            seed = derive_seed(self.seed, "child", arch.hash)
            with isolated_torch_rng(seed, self.device):
                net, train_loss, n_steps = self._train_child(arch, seed)
                metrics: dict[str, Any] = scoring.evaluate(net, net, bn="running")
            metrics["train_loss"] = train_loss
            metrics["train_steps"] = n_steps
        except Exception as error:  # a candidate must never stop the search
            if isinstance(error, torch.OutOfMemoryError) and self.device.type == "cuda":
                torch.cuda.empty_cache()
            return Score.failed(failure_message(error), time.perf_counter() - started)
        reward, why = reward_from_metrics(self.search.reward, metrics)
        return Score(reward, metrics, time.perf_counter() - started, why is None, why)
