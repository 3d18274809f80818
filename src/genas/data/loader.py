"""Batch loaders: seeded shuffling, chunk-aware order for on-disk data, augmentation.

A loader yields ``(x, y)`` batches: x torch uint8 (B, 4, L), y torch float32 (B, T). Each
pass over it is an epoch; epoch e shuffles and augments with the generator
``np.random.default_rng([seed, e])``, so successive epochs differ and a rerun with the same
seed repeats them exactly. The epoch advances by one after each pass; :meth:`set_epoch`
sets it (e.g. when resuming).

For datasets read in chunks (``dataset.chunk_size`` set, e.g. HDF5), shuffling permutes the
order of the chunks and the order within each chunk, so memory stays bounded by a few
chunks while every epoch sees a new order.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from genas.data.augment import random_reverse_complement, random_shift


def _get_batch(dataset: Dataset, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numpy (B, 4, L) uint8 and (B, T) float32; uses ``dataset.get_batch`` when present."""
    if hasattr(dataset, "get_batch"):
        return dataset.get_batch(indices)
    items = [dataset[int(i)] for i in indices]
    x = np.stack([np.asarray(a) for a, _ in items]).astype(np.uint8, copy=False)
    y = np.stack([np.asarray(b) for _, b in items]).astype(np.float32, copy=False)
    return x, y


def _identity(batch):
    return batch


class _BatchPlan(Dataset):
    """Item i = batch i of an epoch's plan (so worker processes fetch whole batches)."""

    def __init__(self, dataset: Dataset, batches: list[np.ndarray]):
        self.dataset, self.batches = dataset, batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return _get_batch(self.dataset, self.batches[i])


class BatchLoader:
    """Iterable of batches over a dataset (see the module docstring); use :func:`make_loader`."""

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        shuffle: bool,
        seed: int,
        num_workers: int = 0,
        rc_augment: bool = False,
        max_shift: int = 0,
        drop_last: bool = False,
    ):
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if max_shift < 0:
            raise ValueError(f"max_shift must be >= 0, got {max_shift}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = int(seed)
        self.num_workers = int(num_workers)
        self.rc_augment = rc_augment
        self.max_shift = int(max_shift)
        self.drop_last = drop_last
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass epoch ``epoch``."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self, rng: np.random.Generator) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n, dtype=np.int64)
        chunk = getattr(self.dataset, "chunk_size", None)
        if not chunk:
            return rng.permutation(n).astype(np.int64)
        if n == 0:
            return np.arange(0, dtype=np.int64)
        starts = rng.permutation(-(-n // chunk)) * chunk
        return np.concatenate([s + rng.permutation(min(chunk, n - s)) for s in starts]).astype(
            np.int64
        )

    def _plan(self, rng: np.random.Generator) -> list[np.ndarray]:
        order = self._order(rng)
        return [
            order[i : i + self.batch_size]
            for i in range(0, len(self) * self.batch_size, self.batch_size)
        ]

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        self.epoch += 1
        batches = self._plan(rng)
        if self.num_workers > 0:
            source = DataLoader(
                _BatchPlan(self.dataset, batches),
                batch_size=None,
                shuffle=False,
                num_workers=self.num_workers,
                collate_fn=_identity,
            )
        else:
            source = (_get_batch(self.dataset, idx) for idx in batches)
        for x, y in source:
            x = np.asarray(x)
            if self.rc_augment:
                x = random_reverse_complement(x, rng)
            if self.max_shift:
                x = random_shift(x, self.max_shift, rng)
            yield (
                torch.from_numpy(np.ascontiguousarray(x)),
                torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)),
            )


def make_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool,
    seed: int,
    num_workers: int = 0,
    rc_augment: bool = False,
    max_shift: int = 0,
    drop_last: bool = False,
) -> BatchLoader:
    """A seeded batch loader over ``dataset``.

    Args:
        dataset: serves (uint8 (4, L), float32 (T,)); ``get_batch`` is used when present.
        batch_size: B.
        shuffle: shuffle each epoch (chunk-aware for on-disk datasets).
        seed: base seed; epoch e uses ``default_rng([seed, e])``.
        num_workers: worker processes fetching batches (0: in this process).
        rc_augment: reverse-complement each sequence with probability 1/2.
        max_shift: shift each sequence by a random -s..s bp (padding fills the gap).
        drop_last: drop a final incomplete batch.

    Returns:
        A :class:`BatchLoader`; iterating yields (x uint8 (B, 4, L), y float32 (B, T)).
    """
    return BatchLoader(
        dataset, batch_size, shuffle, seed, num_workers, rc_augment, max_shift, drop_last
    )
