"""A never-ending, resumable stream of shuffled training batches.

The supernet is trained a few minibatches at a time between controller steps, so its data
iterator must persist across calls and survive a resume. The stream's whole state is two
integers, ``(epoch, position)``:

- epoch ``e`` visits the dataset in the order drawn by ``default_rng([seed, e])`` (chunk by
  chunk for on-disk datasets: the chunk order and the order inside each chunk are shuffled,
  as in :mod:`genas.data.loader`), in full batches of ``batch_size``;
- batch ``b`` of epoch ``e`` is augmented (reverse complement, shift) with
  ``default_rng([seed, e, b])``,

so restoring ``(epoch, position)`` continues exactly where the stream stopped, without
reading the skipped batches.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from genas.data.augment import random_reverse_complement, random_shift


class TrainStream:
    """Batches ``(x uint8 (B, 4, L), y float32 (B, T))`` (CPU tensors), epoch after epoch.

    Args:
        dataset: serves ``get_batch(indices)`` (numpy uint8 (B, 4, L), float32 (B, T)).
        batch_size: B. An incomplete last batch is dropped (unless the dataset is smaller
            than one batch: then each epoch is one batch of everything).
        seed: base seed of the orders and augmentations.
        rc_augment: reverse-complement each sequence with probability 1/2.
        max_shift: shift each sequence by a random -s..s bp.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        seed: int,
        rc_augment: bool = False,
        max_shift: int = 0,
    ):
        if len(dataset) == 0:
            raise ValueError("the training set is empty")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.dataset = dataset
        self.batch_size = min(int(batch_size), len(dataset))
        self.seed = int(seed)
        self.rc_augment = bool(rc_augment)
        self.max_shift = int(max_shift)
        self.epoch = 0
        self.position = 0
        self._order: np.ndarray | None = None  # the order of self.epoch, drawn lazily

    @property
    def batches_per_epoch(self) -> int:
        return len(self.dataset) // self.batch_size

    def _draw_order(self, epoch: int) -> np.ndarray:
        """int64 (N,): the visiting order of ``epoch``."""
        rng = np.random.default_rng([self.seed, epoch])
        n = len(self.dataset)
        chunk = getattr(self.dataset, "chunk_size", None)
        if not chunk:
            return rng.permutation(n).astype(np.int64)
        starts = rng.permutation(-(-n // chunk)) * chunk
        return np.concatenate([s + rng.permutation(min(chunk, n - s)) for s in starts]).astype(
            np.int64
        )

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The next batch: x uint8 (B, 4, L), y float32 (B, T); advances the stream."""
        if self.position >= self.batches_per_epoch:
            self.epoch, self.position, self._order = self.epoch + 1, 0, None
        if self._order is None:
            self._order = self._draw_order(self.epoch)
        lo = self.position * self.batch_size
        x, y = self.dataset.get_batch(self._order[lo : lo + self.batch_size])
        if self.rc_augment or self.max_shift:
            rng = np.random.default_rng([self.seed, self.epoch, self.position])
            if self.rc_augment:
                x = random_reverse_complement(np.asarray(x), rng)
            if self.max_shift:
                x = random_shift(np.asarray(x), self.max_shift, rng)
        self.position += 1
        return (
            torch.from_numpy(np.ascontiguousarray(x, dtype=np.uint8)),
            torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)),
        )

    def state_dict(self) -> dict[str, int]:
        """``{"epoch", "position"}``: the next batch is batch ``position`` of ``epoch``."""
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch, self.position, self._order = int(state["epoch"]), int(state["position"]), None
