"""Torch datasets of one-hot sequences and labels, in memory or read from disk in chunks.

Every dataset here serves ``(x, y)`` pairs: x uint8 (4, L) one-hot (A, C, G, T; N =
[1, 1, 1, 1], padding = 0), y float32 (T,). Besides ``__getitem__`` they offer
``get_batch(indices)`` (numpy arrays for a whole batch, what the loaders use),
``subset(indices)`` and ``label_range()``.
"""

from __future__ import annotations

import copy
import os
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from genas.data.encoding import fit_onehot
from genas.data.origins import SequenceOrigins


class ArrayDataset(Dataset):
    """Sequences and labels held in memory.

    Args:
        x: uint8 (N, 4, L) one-hot.
        y: (N, T) labels (stored as float32).
        origins: each row's record name and coordinates, if the source has them.
    """

    chunk_size: int | None = None

    def __init__(self, x: np.ndarray, y: np.ndarray, origins: SequenceOrigins | None = None):
        x = np.asarray(x)
        y = np.asarray(y)
        if x.ndim != 3 or x.shape[1] != 4:
            raise ValueError(f"x must be (N, 4, L), got shape {x.shape}")
        if x.dtype != np.uint8:
            raise ValueError(f"x must be uint8, got {x.dtype}")
        if y.ndim != 2 or y.shape[0] != x.shape[0]:
            raise ValueError(f"y must be (N, T) with N = {x.shape[0]}, got shape {y.shape}")
        if origins is not None and len(origins) != x.shape[0]:
            raise ValueError(f"{len(origins)} origins for {x.shape[0]} sequences")
        self.x = np.ascontiguousarray(x)
        self.y = np.ascontiguousarray(y, dtype=np.float32)
        self.origins = origins

    def __len__(self) -> int:
        return self.x.shape[0]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(uint8 (4, L), float32 (T,))."""
        return torch.from_numpy(self.x[index]), torch.from_numpy(self.y[index])

    @property
    def input_length(self) -> int:
        return self.x.shape[2]

    @property
    def n_tasks(self) -> int:
        return self.y.shape[1]

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """uint8 (B, 4, L) and float32 (B, T) for the given row indices, in their order."""
        indices = np.asarray(indices, dtype=np.int64)
        return self.x[indices], self.y[indices]

    def subset(self, indices: np.ndarray) -> ArrayDataset:
        """A new dataset of the given rows (copied)."""
        indices = np.asarray(indices, dtype=np.int64)
        origins = None if self.origins is None else self.origins.take(indices)
        return ArrayDataset(self.x[indices], self.y[indices], origins)

    def origins_of(self, indices: np.ndarray) -> SequenceOrigins | None:
        """Record names and coordinates of the given rows; None if the source has none."""
        return None if self.origins is None else self.origins.take(np.asarray(indices))

    def iter_labels(self) -> Iterator[np.ndarray]:
        """The labels, float32 (n, T) blocks in row order (here one block)."""
        yield self.y

    def iter_chunks(self, size: int = 65536) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(x, y) numpy blocks of up to ``size`` consecutive rows."""
        for lo in range(0, len(self), size):
            yield self.x[lo : lo + size], self.y[lo : lo + size]

    def label_range(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-task minimum and maximum of the known labels (NaN marks an unknown one),
        float32 (T,) each; NaN for a task with none known."""
        if len(self) == 0:
            empty = np.full(self.n_tasks, np.nan, dtype=np.float32)
            return empty, empty.copy()
        return np.fmin.reduce(self.y, axis=0), np.fmax.reduce(self.y, axis=0)


class ChunkedDataset(Dataset):
    """Base of datasets read from a file ``chunk_size`` rows at a time.

    Subclasses open the file (:meth:`_open`) and read a span of file rows
    (:meth:`_read_span`); this class maps dataset indices to file rows (a dataset can be a
    sorted subset of the file's rows), keeps the two most recently read chunks in memory,
    and reopens the file in each worker process. Memory use is bounded by a few chunks.

    Args:
        path: the file.
        n_rows: rows in the file.
        stored_length: sequence length in the file.
        n_tasks: T.
        chunk_size: rows read at a time.
        rows: sorted file rows this dataset serves (None: all).
        length: serve sequences centre-cropped/padded to this length (None: as stored).

    Attributes:
        target_transform: ``"log1p"``: labels are served as log(1 + y); None: as stored.
    """

    target_transform: str | None = None

    def __init__(
        self,
        path: str | Path,
        n_rows: int,
        stored_length: int,
        n_tasks: int,
        chunk_size: int = 4096,
        rows: np.ndarray | None = None,
        length: int | None = None,
    ):
        if chunk_size <= 0:
            raise ValueError(f"chunk_size must be positive, got {chunk_size}")
        self.path = Path(path)
        self.chunk_size = int(chunk_size)
        self.n_file_rows = int(n_rows)
        self.stored_length = int(stored_length)
        self.n_tasks = int(n_tasks)
        self.input_length = int(length) if length is not None else self.stored_length
        self.rows = (
            np.arange(n_rows, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
        )
        self._handle = None
        self._pid: int | None = None
        self._cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()

    # -- to implement ------------------------------------------------------------------
    def _open(self):
        """Open the file; the result is passed to :meth:`_read_span`."""
        raise NotImplementedError

    def _read_span(
        self, handle, lo: int, hi: int, with_x: bool = True
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """File rows [lo, hi): x uint8 (n, 4, stored_length) (None if not with_x), y (n, T)."""
        raise NotImplementedError

    # -- file handle ---------------------------------------------------------------------
    @property
    def handle(self):
        """The open file, (re)opened in this process when needed."""
        self._ensure_open()
        return self._handle

    def _ensure_open(self) -> None:
        if self._handle is None or self._pid != os.getpid():
            self._handle = self._open()
            self._pid = os.getpid()
            self._cache.clear()

    def close(self) -> None:
        """Close the file (it is reopened on the next read)."""
        if self._handle is not None and self._pid == os.getpid():
            self._handle.close()
        self._handle = None
        self._cache.clear()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_handle"], state["_pid"], state["_cache"] = None, None, OrderedDict()
        return state

    # -- reading -------------------------------------------------------------------------
    def _read_rows(
        self, file_rows: np.ndarray, with_x: bool = True
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """Sorted file rows -> x (n, 4, L), y float32 (n, T); spans of <= chunk_size rows."""
        xs, ys = [], []
        i = 0
        while i < len(file_rows):
            lo = int(file_rows[i])
            hi = min(lo + self.chunk_size, int(file_rows[-1]) + 1)
            j = int(np.searchsorted(file_rows, hi, side="left"))
            x, y = self._read_span(self.handle, lo, hi, with_x)
            take = file_rows[i:j] - lo
            if with_x:
                xs.append(fit_onehot(x[take], self.input_length))
            y = np.asarray(y[take], dtype=np.float32)
            ys.append(np.log1p(y) if self.target_transform == "log1p" else y)
            i = j
        if not ys:
            x = np.zeros((0, 4, self.input_length), np.uint8) if with_x else None
            return x, np.zeros((0, self.n_tasks), np.float32)
        return (np.concatenate(xs) if with_x else None), np.concatenate(ys)

    @property
    def n_chunks(self) -> int:
        return -(-len(self) // self.chunk_size)

    def read_chunk(self, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows [chunk × chunk_size, (chunk + 1) × chunk_size) of this dataset (cached)."""
        self._ensure_open()  # in a new process: reopen, and drop the parent's cache
        if chunk in self._cache:
            self._cache.move_to_end(chunk)
            return self._cache[chunk]
        lo = chunk * self.chunk_size
        x, y = self._read_rows(self.rows[lo : lo + self.chunk_size])
        self._cache[chunk] = (x, y)
        while len(self._cache) > 2:
            self._cache.popitem(last=False)
        return x, y

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(uint8 (4, L), float32 (T,))."""
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} sequences")
        x, y = self.read_chunk(index // self.chunk_size)
        j = index % self.chunk_size
        return torch.from_numpy(x[j].copy()), torch.from_numpy(y[j].copy())

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """uint8 (B, 4, L) and float32 (B, T) for the given indices, in their order.

        Reads whole chunks; a batch drawn from one or two chunks costs one or two reads.
        """
        indices = np.asarray(indices, dtype=np.int64)
        x = np.empty((len(indices), 4, self.input_length), dtype=np.uint8)
        y = np.empty((len(indices), self.n_tasks), dtype=np.float32)
        chunks = indices // self.chunk_size
        for chunk in np.unique(chunks):
            where = np.flatnonzero(chunks == chunk)
            cx, cy = self.read_chunk(int(chunk))
            local = indices[where] - chunk * self.chunk_size
            x[where], y[where] = cx[local], cy[local]
        return x, y

    def subset(self, indices: np.ndarray) -> ChunkedDataset:
        """A dataset of the given rows (sorted), reading the same file."""
        new = copy.copy(self)
        new.rows = self.rows[np.sort(np.asarray(indices, dtype=np.int64))]
        new._handle, new._pid, new._cache = None, None, OrderedDict()
        return new

    def iter_chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(x, y) numpy blocks of ``chunk_size`` consecutive rows, in order."""
        for chunk in range(self.n_chunks):
            lo = chunk * self.chunk_size
            yield self._read_rows(self.rows[lo : lo + self.chunk_size])

    def iter_labels(self) -> Iterator[np.ndarray]:
        """The labels, float32 (n, T) blocks of ``chunk_size`` rows in order (no sequences
        are read)."""
        for chunk in range(self.n_chunks):
            start = chunk * self.chunk_size
            yield self._read_rows(self.rows[start : start + self.chunk_size], with_x=False)[1]

    def origins_of(self, indices: np.ndarray) -> SequenceOrigins | None:
        """Record names and coordinates of the given rows; None (no names in the file)."""
        return None

    def label_range(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-task minimum and maximum of the known labels, float32 (T,) each; NaN for a
        task with none known (reads only labels)."""
        lo = np.full(self.n_tasks, np.nan, dtype=np.float32)
        hi = np.full(self.n_tasks, np.nan, dtype=np.float32)
        for y in self.iter_labels():  # fmin / fmax: NaN (unknown) only where both are
            np.fmin(lo, np.fmin.reduce(y, axis=0), out=lo)
            np.fmax(hi, np.fmax.reduce(y, axis=0), out=hi)
        return lo, hi


class HDF5Dataset(ChunkedDataset):
    """A genas HDF5 file (see :mod:`genas.data.hdf5`), read ``chunk_size`` sequences at a time.

    Args:
        path: the file; its layout is validated on construction.
        chunk_size: sequences read at a time.
        rows: sorted rows of the file to serve (None: all).
        length: serve sequences centre-cropped/padded to this length (None: as stored).

    Attributes:
        task_names: list of T names; task_groups: group of each task, or None;
        names: list of N sequence names, or None.
    """

    def __init__(
        self,
        path: str | Path,
        chunk_size: int = 4096,
        rows: np.ndarray | None = None,
        length: int | None = None,
    ):
        from genas.data.hdf5 import read_hdf5_info

        info = read_hdf5_info(path)
        self.task_names: list[str] = info.task_names
        self.task_groups: list[str] | None = info.task_groups
        self.names: list[str] | None = info.names
        super().__init__(path, info.n, info.length, len(info.task_names), chunk_size, rows, length)

    def _open(self):
        import h5py

        return h5py.File(self.path, "r")

    def _read_span(self, handle, lo, hi, with_x=True):
        x = handle["x"][lo:hi] if with_x else None
        return x, handle["y"][lo:hi]

    def origins_of(self, indices: np.ndarray) -> SequenceOrigins | None:
        """The file's sequence names of the given rows (positions 1-based in the stored
        sequence); None if the file has no ``names``."""
        if self.names is None:
            return None
        rows = self.rows[np.asarray(indices, dtype=np.int64)]
        names = [self.names[r] for r in rows]
        lengths = [self.stored_length] * len(rows)
        return SequenceOrigins.of_records(names, lengths, self.input_length)


@dataclass
class DataSplits:
    """The datasets of a run and what describes their labels.

    Attributes:
        train, valid, test: datasets serving (uint8 (4, L), float32 (T,)); valid/test may be None.
        task_names: the T task names, in label column order.
        task_groups: group name -> task names (for per-group metrics), or None.
        input_length: L.
        task_type: binary (labels 0/1), regression (numbers) or multiclass (one column of
            class indices 0..K-1); NaN = unknown in each (docs/tasks.md).
        class_names: multiclass: the K class names, in output order; else None.
        target_transform: ``"log1p"`` when the datasets serve log(1 + y) of the stored
            targets; else None.
    """

    train: Dataset
    valid: Dataset | None
    test: Dataset | None
    task_names: list[str]
    task_groups: dict[str, list[str]] | None
    input_length: int
    task_type: str = "binary"
    class_names: list[str] | None = None
    target_transform: str | None = None

    @property
    def n_tasks(self) -> int:
        return len(self.task_names)
