"""The table of motif sites planted in a set of sequences."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass
class Sites:
    """Planted sites, one row per site (S rows).

    Attributes:
        seq: int64 (S,) sequence index.
        motif: int64 (S,) index into the benchmark's motif list.
        start: int64 (S,) 0-based position of the site's first base.
        strand: int8 (S,) +1 = motif as given, -1 = reverse complement.
        task: int64 (S,) task whose planting produced the site.
        decoy: bool (S,) the site belongs to a decoy (a near miss of the task's rule).
    """

    seq: np.ndarray
    motif: np.ndarray
    start: np.ndarray
    strand: np.ndarray
    task: np.ndarray
    decoy: np.ndarray

    def __len__(self) -> int:
        return len(self.seq)

    def take(self, index: np.ndarray) -> Sites:
        """Rows selected by an index or bool mask."""
        return Sites(*(getattr(self, f.name)[index] for f in fields(self)))

    def sorted(self) -> Sites:
        """Rows ordered by sequence, then start."""
        return self.take(np.lexsort((self.start, self.seq)))

    @classmethod
    def empty(cls) -> Sites:
        i = np.zeros(0, np.int64)
        return cls(i, i, i, np.zeros(0, np.int8), i, np.zeros(0, bool))
