"""Intervals on a reference genome, labelled by overlap with one peak BED per task."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genas.config import BedData
from genas.data.dataset import ArrayDataset, DataSplits
from genas.data.encoding import encode_records
from genas.data.origins import SequenceOrigins
from genas.errors import InputError
from genas.seq.bed import Interval, iter_bed, read_bed, resize
from genas.seq.genome import Genome


@dataclass
class GenomeWindows:
    """A BED file's intervals as fixed-length windows of a reference genome.

    Attributes:
        lines: (N,) BED line number of each interval (for error messages).
        intervals: the N intervals as written in the BED.
        windows: the N windows of ``length`` bp around their centres; a window may run past
            a chromosome end, where its sequence is N.
        x: uint8 (N, 4, length) one-hot of the windows.
        length: L.
        chrom_sizes: chromosome -> length (bp) in the genome.
    """

    lines: list[int]
    intervals: list[Interval]
    windows: list[Interval]
    x: np.ndarray
    length: int
    chrom_sizes: dict[str, int]

    def origins(self) -> SequenceOrigins:
        """Each window's coordinates and its interval's name (the BED's 4th column). The
        windows are read from the plus strand, whatever the BED's strand column says."""
        return SequenceOrigins.of_intervals(
            [w.chrom for w in self.windows],
            [w.start for w in self.windows],
            ["+"] * len(self.windows),
            [i.name for i in self.intervals],
        )


def covered_bins(
    chroms: np.ndarray,
    bin_starts: np.ndarray,
    bin_ends: np.ndarray,
    peaks: Sequence[Interval],
    need: int,
) -> np.ndarray:
    """Which bins share at least ``need`` bp with a single peak.

    Sort + binary search per chromosome, O((N + P) log P). A bin [b0, b1) with
    ``need <= b1 - b0`` is covered iff some peak [s, e) has ``s <= b0`` and ``e >= b0 + need``
    (found with a prefix maximum of peak ends), or ``b0 < s <= b1 - need`` and
    ``e - s >= need`` (a count of long peaks' starts in that range).

    Args:
        chroms: (N,) chromosome of each bin.
        bin_starts, bin_ends: (N,) int bin coordinates.
        peaks: the peaks.
        need: bp of overlap required (1 .. bin width).

    Returns:
        bool (N,).
    """
    covered = np.zeros(len(chroms), dtype=bool)
    by_chrom: dict[str, list[tuple[int, int]]] = {}
    for p in peaks:
        by_chrom.setdefault(p.chrom, []).append((p.start, p.end))
    for chrom, spans in by_chrom.items():
        where = np.flatnonzero(chroms == chrom)
        if len(where) == 0:
            continue
        arr = np.asarray(spans, dtype=np.int64)
        arr = arr[np.argsort(arr[:, 0], kind="stable")]
        starts, ends = arr[:, 0], arr[:, 1]
        b0, b1 = bin_starts[where], bin_ends[where]
        # (a) a peak starting at or before the bin start reaching b0 + need.
        prefix_max_end = np.maximum.accumulate(ends)
        k = np.searchsorted(starts, b0, side="right")
        reach = np.where(k > 0, prefix_max_end[np.maximum(k - 1, 0)], np.iinfo(np.int64).min)
        hit = reach >= b0 + need
        # (b) a peak at least `need` long starting inside (b0, b1 - need].
        long_starts = starts[(ends - starts) >= need]
        inside = np.searchsorted(long_starts, b1 - need, side="right") - np.searchsorted(
            long_starts, b0, side="right"
        )
        covered[where] = hit | (inside > 0)
    return covered


def read_windows(
    intervals_path: Path, genome_path: Path, length: int | None, invalid_bases: str
) -> GenomeWindows:
    """Read a BED file's intervals, resize each to ``length`` around its centre and fetch it.

    Args:
        intervals_path: the BED file.
        genome_path: the reference FASTA.
        length: the window length L; None: the intervals' own (all must share it).
        invalid_bases: error or N.

    Raises:
        InputError: a bad BED line, no intervals, an interval on a chromosome missing from
            the genome, or (``length`` None) intervals of different lengths.
    """
    lines, intervals = [], []
    for lineno, interval in iter_bed(intervals_path):
        lines.append(lineno)
        intervals.append(interval)
    if not intervals:
        raise InputError(intervals_path, "no intervals")
    genome = Genome(genome_path)
    try:
        size = length if length is not None else intervals[0].length
        windows = []
        for lineno, interval in zip(lines, intervals, strict=True):
            if interval.chrom not in genome:
                raise InputError(
                    intervals_path,
                    f"chromosome {interval.chrom!r} is not in the genome {genome.path.name}",
                    lineno,
                )
            if length is None and interval.length != size:
                raise InputError(
                    intervals_path,
                    f"interval is {interval.length} bp, the first is {size}; set data.length "
                    "to resize all intervals around their centres",
                    lineno,
                )
            windows.append(resize(interval, size))
        sequences = [genome.fetch(w.chrom, w.start, w.end) for w in windows]
        chrom_sizes = dict(genome.chrom_sizes)
    finally:
        genome.close()
    names = [interval.label for interval in intervals]
    x = encode_records(
        names, sequences, size, "error", invalid_bases, intervals_path, lines=lines,
        locate=lambda i, p: f"{windows[i].chrom}:{windows[i].start + p + 1} of the genome "
        f"{genome_path.name}",
    )
    return GenomeWindows(lines, intervals, windows, x, size, chrom_sizes)


def split_by_chromosome(
    x: np.ndarray,
    y: np.ndarray,
    chroms: np.ndarray,
    valid_chroms: Sequence[str],
    test_chroms: Sequence[str],
    path: Path,
    origins: SequenceOrigins | None = None,
) -> tuple[ArrayDataset, ArrayDataset | None, ArrayDataset | None]:
    """Train, valid and test datasets by chromosome: valid_chroms, test_chroms, the rest.

    A chromosome in both lists goes to valid. A split whose chromosomes hold no row is None
    (:func:`load_splits` then holds out a random fraction of train).

    Args:
        x: uint8 (N, 4, L); y: float32 (N, T); chroms: (N,) chromosome of each row.
        path: the intervals file (for the error message).
        origins: each row's coordinates (:meth:`GenomeWindows.origins`), kept per split.

    Raises:
        InputError: no row left for training.
    """
    absent = [c for c in (*valid_chroms, *test_chroms) if not np.isin(c, chroms)]
    if absent:  # a typo (chr99, 7 for chr7) would leave a split silently random
        warnings.warn(
            f"{path}: no interval on {', '.join(map(repr, absent))} of valid_chroms / "
            "test_chroms; a split left without intervals is a random fraction of train",
            stacklevel=2,
        )
    valid_mask = np.isin(chroms, list(valid_chroms))
    test_mask = np.isin(chroms, list(test_chroms)) & ~valid_mask
    train_mask = ~(valid_mask | test_mask)
    if not train_mask.any():
        raise InputError(
            path,
            "no intervals left for training after taking out valid_chroms "
            f"{list(valid_chroms)} and test_chroms {list(test_chroms)}",
        )

    def part(mask: np.ndarray) -> ArrayDataset | None:
        if not mask.any():
            return None
        return ArrayDataset(x[mask], y[mask], None if origins is None else origins.take(mask))

    return part(train_mask), part(valid_mask), part(test_mask)


def load_bed_source(cfg: BedData, seed: int) -> DataSplits:
    """Fetch and label the intervals, split by chromosome (valid_chroms, test_chroms, rest train).

    A split whose chromosomes hold no interval is None (:func:`load_splits` then holds out a
    random fraction of train).

    Raises:
        InputError: a bad BED line, an interval on a chromosome missing from the genome, or
            (``length`` None) intervals of different lengths.
    """
    del seed  # nothing random here
    found = read_windows(cfg.intervals, cfg.genome, cfg.length, cfg.invalid_bases)
    length = found.length
    chroms = np.array([w.chrom for w in found.windows], dtype=object)
    starts = np.array([w.start for w in found.windows], dtype=np.int64)
    bin_width = min(cfg.target_bin, length)
    bin_starts = starts + (length - bin_width) // 2
    need = max(1, min(bin_width, math.ceil(cfg.min_overlap * bin_width - 1e-9)))
    task_names = list(cfg.peaks)
    y = np.zeros((len(found.windows), len(task_names)), dtype=np.float32)
    for t, task in enumerate(task_names):
        peaks = read_bed(cfg.peaks[task])
        if not peaks:
            raise InputError(cfg.peaks[task], f"no peaks (the peak BED of task {task!r})")
        y[:, t] = covered_bins(chroms, bin_starts, bin_starts + bin_width, peaks, need)
    train, valid, test = split_by_chromosome(
        found.x, y, chroms, cfg.valid_chroms, cfg.test_chroms, cfg.intervals, found.origins()
    )
    return DataSplits(
        train=train,
        valid=valid,
        test=test,
        task_names=task_names,
        task_groups=None,
        input_length=length,
    )
