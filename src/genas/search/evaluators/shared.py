"""The ENAS evaluator: one weight-sharing supernet, trained on sampled paths, scores paths.

Training (:meth:`SharedEvaluator.train`): each minibatch of a persistent shuffled stream
over the training set (:class:`~genas.search.evaluators.stream.TrainStream`) trains the path
of a freshly sampled architecture; only that path's parameters get gradients and updates.
Scoring (:meth:`SharedEvaluator.score`): the path's predictions on the in-memory scoring set
(:class:`~genas.search.evaluators.scoring.ScoringSet`) with the shared weights, with
per-batch BatchNorm statistics by default (see that module for why).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from genas.config import RunConfig
from genas.data.dataset import DataSplits
from genas.nn.network import SuperNet
from genas.search.evaluators.base import ArchLike, Evaluator, Score, failure_message
from genas.search.evaluators.reward import reward_from_metrics
from genas.search.evaluators.scoring import (
    SCORING_BATCH,
    BatchNormMode,
    batch_statistics,
    scoring_indices,
)
from genas.search.evaluators.seeding import derive_seed, isolated_torch_rng
from genas.search.evaluators.stream import TrainStream
from genas.seq.alphabet import to_float
from genas.space.architecture import Architecture
from genas.space.model_space import ModelSpace
from genas.train.compiling import compile_blocks
from genas.train.device import autocast
from genas.train.optimizer import build_optimizer
from genas.train.step import train_step

STATE_VERSION = 1

#: Training sequences each path's BatchNorm statistics are measured on (``bn="recalibrate"``).
RECALIBRATION_SEQUENCES = 1024


def as_architecture(space: ModelSpace, arch: ArchLike) -> Architecture:
    """``arch`` as an :class:`Architecture` of ``space``; ``ValueError`` if it is not one."""
    if isinstance(arch, Architecture):
        arch.validate(space)
        return arch
    return Architecture.from_tokens(space, arch)


def cpu_copy(value: Any) -> Any:
    """A deep copy of nested dicts/lists/tuples with every tensor detached onto the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: cpu_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(cpu_copy(v) for v in value)
    return value


class PathNetwork(nn.Module):
    """One path of a supernet as a network of its own: ``forward(x)`` runs ``arch``'s path,
    x (N, 4, L) → logits (N, T); ``stem``, ``layers`` and ``space`` are the supernet's, so
    :func:`~genas.analysis.motifs.filter_pfms` reads the path's units from the shared
    weights. With ``batch_stats``, BatchNorm normalises with each batch's statistics (as
    the shared evaluator scores by default) and no running statistic changes."""

    def __init__(self, net: SuperNet, arch: Architecture, batch_stats: bool):
        super().__init__()
        self.net = net
        self.arch = arch
        self.batch_stats = batch_stats
        self.train(net.training)  # the mode filter_pfms puts back afterwards

    @property
    def stem(self) -> nn.Module:
        return self.net.stem

    @property
    def layers(self) -> nn.ModuleList:
        return self.net.layers

    @property
    def space(self) -> ModelSpace:
        return self.net.space

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = batch_statistics(self.net) if self.batch_stats else contextlib.nullcontext()
        with norm:
            return self.net(x, self.arch)


class SharedEvaluator(Evaluator):
    """Scores architectures as paths of one weight-sharing :class:`~genas.nn.SuperNet`.

    Args:
        space: the model space (or its preset name / YAML path).
        splits: ``train`` feeds the supernet, ``valid`` is scored (required).
        config: the run config; reads ``search`` (reward, reward_sequences, width,
            supernet: optimizer, lr, weight_decay, batch_size, grad_clip; defaults when
            ``search`` is None) and ``data`` (n_value, rc_augment, max_shift).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ... (bf16 autocast on CUDA).
        seed: seeds the weights, the data order, augmentation, dropout and the scoring
            subset; ``None``: ``config.seed``.
        bn: BatchNorm while scoring: ``"batch"`` (per-batch statistics, the default),
            ``"running"`` (the shared running statistics), or ``"recalibrate"``: statistics
            of the scored path itself, measured on :data:`RECALIBRATION_SEQUENCES` fixed
            training sequences before it is scored (Guo et al., "Single path one-shot NAS",
            ECCV 2020), then put back.

    Raises:
        GenasError: ``splits.valid`` is missing, or the space cannot be built.
    """

    kind = "shared"

    def __init__(
        self,
        space: ModelSpace | str,
        splits: DataSplits,
        config: RunConfig,
        device: str | torch.device = "auto",
        seed: int | None = None,
        bn: BatchNormMode = "batch",
    ):
        if bn not in ("batch", "running", "recalibrate"):
            raise ValueError(f"bn must be 'batch', 'running' or 'recalibrate', got {bn!r}")
        super().__init__(space, splits, config, device, seed)
        self.bn: BatchNormMode | Literal["recalibrate"] = bn
        self._recalibration: torch.Tensor | None = None  # uint8 (R, 4, L) on the device
        sn = self.search.supernet
        with isolated_torch_rng(derive_seed(self.seed, "supernet-init"), self.device):
            self.net = SuperNet(
                self.space, splits.input_length, self.task.n_outputs, self.search.width
            ).to(self.device)
        if config.train.compile:
            compile_blocks(self.net)
        self.optimizer = build_optimizer(
            self.net.parameters(), sn.optimizer, sn.lr, sn.weight_decay
        )
        self.stream = TrainStream(
            splits.train,
            sn.batch_size,
            derive_seed(self.seed, "supernet-data"),
            rc_augment=config.data.rc_augment,
            max_shift=config.data.max_shift,
        )
        self.steps = 0

    # ------------------------------------------------------------------ training

    def train(self, sample: Callable[[], ArchLike], n_steps: int) -> dict[str, Any]:
        """Train for ``n_steps`` minibatches, each on the path of a fresh ``sample()``.

        Returns:
            ``{"loss": mean masked training loss, "steps", "sequences", "seconds",
            "seqs_per_s"}``.

        Raises:
            ValueError: ``sample()`` returned something that is not an architecture of the
                space (a strategy bug, not a bad candidate).
        """
        started = time.perf_counter()
        sn = self.search.supernet
        loss_sum = torch.zeros((), device=self.device)
        count = torch.zeros((), device=self.device)
        n_seqs = 0
        self.net.train()
        with isolated_torch_rng(derive_seed(self.seed, "supernet-train", self.steps), self.device):
            for _ in range(int(n_steps)):
                arch = as_architecture(self.space, sample())
                x, y = self.stream.next_batch()
                total, known = train_step(
                    self.net,
                    lambda xf, a=arch: self.net(xf, a),
                    self.optimizer,
                    x,
                    y,
                    self.device,
                    self.n_value,
                    sn.grad_clip,
                    self.task.loss,
                )
                loss_sum += total
                count += known
                n_seqs += int(x.shape[0])
                self.steps += 1
        loss = float(loss_sum / count.clamp(min=1.0)) if n_seqs else float("nan")
        seconds = time.perf_counter() - started
        return {
            "loss": loss,
            "steps": int(n_steps),
            "sequences": n_seqs,
            "seconds": seconds,
            "seqs_per_s": n_seqs / seconds if seconds > 0 else float("nan"),
        }

    def warmup(self, sample: Callable[[], ArchLike], epochs: int) -> dict[str, Any]:
        """:meth:`train` for ``epochs`` passes over the training set (``{}`` for 0)."""
        n_steps = int(epochs) * self.stream.batches_per_epoch
        return self.train(sample, n_steps) if n_steps > 0 else {}

    # ------------------------------------------------------------------ scoring

    def score(self, arch: ArchLike) -> Score:
        """The reward of ``arch``'s path with the shared weights; never raises for ``arch``."""
        started = time.perf_counter()
        scoring = self.scoring_set
        try:
            arch = as_architecture(self.space, arch)
            if self.bn == "recalibrate":
                with self._recalibrated(arch):
                    metrics = scoring.evaluate(self.net, lambda xf: self.net(xf, arch), "running")
                    score = self._scored(arch, metrics, "running")
            else:
                metrics = scoring.evaluate(self.net, lambda xf: self.net(xf, arch), self.bn)
                score = self._scored(arch, metrics, self.bn)
        except Exception as error:  # a candidate must never stop the search
            if isinstance(error, torch.OutOfMemoryError) and self.device.type == "cuda":
                torch.cuda.empty_cache()
            return Score.failed(failure_message(error), time.perf_counter() - started)
        score.seconds = time.perf_counter() - started
        return score

    def _scored(self, arch: Architecture, metrics: dict, bn: BatchNormMode) -> Score:
        """The score of ``arch``'s path from its ``metrics``; with ``search.knowledge``, its
        units are read from the shared weights (:class:`PathNetwork`) with the BatchNorm
        statistics it was scored with (batch statistics: the sample in one batch)."""
        reward, why = reward_from_metrics(self.search.reward, metrics)
        score = Score(reward, metrics, 0.0, why is None, why)
        path = lambda: PathNetwork(self.net, arch, bn == "batch")  # noqa: E731
        n_batch = self.search.knowledge.sequences if self.search.knowledge else None
        return self.with_knowledge(score, path, n_batch if bn == "batch" else None)

    @contextlib.contextmanager
    def _recalibrated(self, arch: Architecture) -> Iterator[None]:
        """Inside the block, every BatchNorm holds the statistics of ``arch``'s path on the
        recalibration sequences (a cumulative average, dropout off); afterwards the shared
        running statistics are as they were."""
        if self._recalibration is None:
            rows = scoring_indices(
                len(self.splits.train), RECALIBRATION_SEQUENCES,
                derive_seed(self.seed, "recalibration"),
            )
            x, _ = self.splits.train.get_batch(rows)
            self._recalibration = torch.from_numpy(np.asarray(x, dtype=np.uint8)).to(self.device)
        norms = [m for m in self.net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        saved = [(m.momentum, {k: v.clone() for k, v in m.named_buffers()}) for m in norms]
        was_training = self.net.training
        try:
            self.net.eval()
            for m in norms:
                m.reset_running_stats()
                m.momentum = None  # a cumulative average over the recalibration batches
                m.train()
            with torch.inference_mode():
                for lo in range(0, len(self._recalibration), SCORING_BATCH):
                    xf = to_float(self._recalibration[lo : lo + SCORING_BATCH], self.n_value)
                    with autocast(self.device):
                        self.net(xf, arch)
            for m in norms:
                m.eval()
            yield
        finally:
            with torch.no_grad():
                for m, (momentum, buffers) in zip(norms, saved, strict=True):
                    m.momentum = momentum
                    for name, value in buffers.items():
                        getattr(m, name).copy_(value)
            self.net.train(was_training)

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """Supernet weights, optimizer state, data stream position, step count and the
        settings they belong to — CPU copies, ``weights_only``-loadable."""
        return {
            "kind": self.kind,
            "version": STATE_VERSION,
            "space": self.space.name,
            "width": float(self.search.width),
            "optimizer_name": self.search.supernet.optimizer,
            "seed": self.seed,
            "steps": self.steps,
            "stream": self.stream.state_dict(),
            "model": cpu_copy(self.net.state_dict()),
            "optimizer": cpu_copy(self.optimizer.state_dict()),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output (``ValueError`` if it belongs elsewhere)."""
        super().load_state_dict(state)
        expected: Sequence[tuple[str, Any]] = (
            ("version", STATE_VERSION),
            ("space", self.space.name),
            ("width", float(self.search.width)),
            ("optimizer_name", self.search.supernet.optimizer),
        )
        for key, value in expected:
            if state.get(key) != value:
                raise ValueError(
                    f"supernet state has {key}={state.get(key)!r}, this evaluator {value!r}"
                )
        self.net.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.stream.load_state_dict(state["stream"])
        self.steps = int(state["steps"])
        if int(state["seed"]) != self.seed:  # the stream and scoring subset follow the seed
            self.seed = int(state["seed"])
            self.stream.seed = derive_seed(self.seed, "supernet-data")
            self._scoring = None
