"""The scoring set: validation sequences held in memory (on the device), and scoring on it.

Scoring thousands of architectures must not re-read the validation data for each one: the
sequences (or a fixed seeded subset of ``reward_sequences`` of them) are read once, kept as
uint8 (N, 4, L) on the device with their labels, and converted to float one batch at a time.

BatchNorm when scoring a path of the supernet (:func:`batch_statistics`): a shared op's
running statistics are an average over every path that was trained through it, and the
input of a BatchNorm (above all the one after a skip merge) has different statistics on
each path. Scoring with them measures a blend of paths. So shared-weight scoring normalises
with the statistics of each scoring batch instead (ENAS-style "train-mode" BatchNorm), under
``inference_mode``, without touching the running statistics; dropout is off. The batches
are fixed (the same sequences, the same order, equal sizes), so a score is deterministic
and does not depend on which architectures were scored before. Their order is a seeded
shuffle, not the file's: validation data read from one FASTA per class is sorted by label,
and a batch of one class normalised by its own statistics loses the very signal it is
scored on. A standalone child (the independent evaluator) has statistics of its own path
and is scored in plain eval mode.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from genas.search.evaluators.reward import summarize
from genas.seq.alphabet import to_float
from genas.train.device import autocast
from genas.train.task import TaskSpec

#: How BatchNorm normalises while scoring: batch statistics, or the running ones.
BatchNormMode = Literal["batch", "running"]

#: Sequences per scoring batch (bounded below so batch statistics are stable).
SCORING_BATCH = 256

# Rows read from a dataset at a time while loading the scoring set.
_LOAD_ROWS = 8192


@contextlib.contextmanager
def batch_statistics(model: nn.Module) -> Iterator[None]:
    """Every BatchNorm of ``model`` normalises with batch statistics and updates nothing.

    Inside the block each BatchNorm runs as in training mode but with
    ``track_running_stats`` off, so ``running_mean``, ``running_var`` and
    ``num_batches_tracked`` are left as they were; the rest of the model keeps its mode.
    """
    saved = [
        (m, m.training, m.track_running_stats)
        for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
    ]
    try:
        for m, _, _ in saved:
            m.training, m.track_running_stats = True, False
        yield
    finally:
        for m, training, track in saved:
            m.training, m.track_running_stats = training, track


def scoring_indices(n: int, max_sequences: int | None, seed: int) -> np.ndarray:
    """Sorted int64 rows of the scoring set: all ``n``, or a seeded subset of ``max_sequences``."""
    if max_sequences is None or max_sequences >= n:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng([seed, 0x5C0E])
    return np.sort(rng.choice(n, size=max_sequences, replace=False)).astype(np.int64)


class ScoringSet:
    """Validation sequences and labels in memory on ``device``, scored batch by batch.

    Args:
        dataset: serves ``get_batch(indices)`` (uint8 (B, 4, L), float32 (B, T)).
        task_names: the T task names.
        device: where the sequences live and networks run.
        n_value: channel value of an unknown base N.
        max_sequences: keep a fixed seeded subset of this many sequences (None: all).
        seed: seed of that subset.
        batch_size: sequences per scoring batch; the set is split into equal batches.
        task: the task type: loss, predictions and metrics (default: binary tasks
            ``task_names``).
    """

    def __init__(
        self,
        dataset: Dataset,
        task_names: Sequence[str],
        device: torch.device,
        n_value: float = 0.25,
        max_sequences: int | None = None,
        seed: int = 0,
        batch_size: int = SCORING_BATCH,
        task: TaskSpec | None = None,
    ):
        if len(dataset) == 0:
            raise ValueError("the validation set is empty")
        rows = scoring_indices(len(dataset), max_sequences, seed)
        xs, ys = [], []
        for lo in range(0, len(rows), _LOAD_ROWS):
            x, y = dataset.get_batch(rows[lo : lo + _LOAD_ROWS])
            xs.append(np.asarray(x, dtype=np.uint8))
            ys.append(np.asarray(y, dtype=np.float32))
        # rows are read in file order (on-disk datasets want sorted reads), then mixed
        mixed = np.random.default_rng([seed, 0x5C0F]).permutation(len(rows))
        self.task_names = [str(t) for t in task_names]
        self.task = task or TaskSpec.binary(self.task_names)
        self.device = device
        self.n_value = float(n_value)
        self.y_host = np.concatenate(ys)[mixed]  # float32 (N, T), for the metrics
        self.x = torch.from_numpy(np.concatenate(xs)[mixed]).to(device)  # uint8 (N, 4, L)
        self.y = torch.from_numpy(self.y_host).to(device)  # float32 (N, T)
        n_batches = max(1, -(-len(rows) // batch_size))
        parts = np.array_split(np.arange(len(rows)), n_batches)
        self.bounds = [(int(p[0]), int(p[-1]) + 1) for p in parts]  # equal-size batches

    def __len__(self) -> int:
        return self.x.shape[0]

    def predict(self, forward: Callable[[Tensor], Tensor]) -> tuple[np.ndarray, float]:
        """Predictions float32 (N, O) of ``forward`` (float (B, 4, L) → outputs (B, O)) and
        the masked loss of the task. Runs under ``inference_mode`` (and bf16 autocast on
        CUDA); the caller sets the network's mode."""
        probs = []
        loss_sum = torch.zeros((), device=self.device)
        count = torch.zeros((), device=self.device)
        with torch.inference_mode():
            for lo, hi in self.bounds:
                xf = to_float(self.x[lo:hi], self.n_value)
                with autocast(self.device):
                    logits = forward(xf).float()
                s, c = self.task.loss_sum(logits, self.y[lo:hi])
                loss_sum += s
                count += c
                probs.append(self.task.predictions(logits))
        total = float(count)
        loss = float(loss_sum) / total if total > 0 else float("nan")
        return torch.cat(probs).cpu().numpy(), loss

    def evaluate(
        self,
        model: nn.Module,
        forward: Callable[[Tensor], Tensor],
        bn: BatchNormMode,
    ) -> dict[str, float]:
        """:func:`~genas.search.evaluators.reward.summarize` of ``forward``'s predictions.

        ``model`` (the module ``forward`` runs) is put in eval mode — with batch-statistics
        BatchNorm when ``bn == "batch"`` — and given its previous mode back afterwards.
        """
        was_training = model.training
        model.eval()
        norm = batch_statistics(model) if bn == "batch" else contextlib.nullcontext()
        try:
            with norm:
                probs, loss = self.predict(forward)
        finally:
            model.train(was_training)
        return summarize(self.y_host, probs, self.task_names, loss, self.task)
