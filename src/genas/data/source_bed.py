"""Intervals on a reference genome, labelled by overlap with one peak BED per task."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from genas.config import BedData
from genas.data.dataset import ArrayDataset, DataSplits
from genas.data.encoding import encode_records
from genas.errors import InputError
from genas.seq.bed import Interval, iter_bed, read_bed, resize
from genas.seq.genome import Genome


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


def load_bed_source(cfg: BedData, seed: int) -> DataSplits:
    """Fetch and label the intervals, split by chromosome (valid_chroms, test_chroms, rest train).

    A split whose chromosomes hold no interval is None (:func:`load_splits` then holds out a
    random fraction of train).

    Raises:
        InputError: a bad BED line, an interval on a chromosome missing from the genome, or
            (``length`` None) intervals of different lengths.
    """
    del seed  # nothing random here
    lines, intervals = [], []
    for lineno, interval in iter_bed(cfg.intervals):
        lines.append(lineno)
        intervals.append(interval)
    if not intervals:
        raise InputError(cfg.intervals, "no intervals")
    genome = Genome(cfg.genome)
    try:
        length = cfg.length if cfg.length is not None else intervals[0].length
        resized = []
        for lineno, interval in zip(lines, intervals, strict=True):
            if interval.chrom not in genome:
                raise InputError(
                    cfg.intervals,
                    f"chromosome {interval.chrom!r} is not in the genome {genome.path.name}",
                    lineno,
                )
            if cfg.length is None and interval.length != length:
                raise InputError(
                    cfg.intervals,
                    f"interval is {interval.length} bp, the first is {length}; set data.length "
                    "to resize all intervals around their centres",
                    lineno,
                )
            resized.append(resize(interval, length))
        sequences = [genome.fetch(r.chrom, r.start, r.end) for r in resized]
    finally:
        genome.close()
    names = [r.label for r in resized]
    x = encode_records(names, sequences, length, "error", cfg.invalid_bases, cfg.genome)

    chroms = np.array([r.chrom for r in resized], dtype=object)
    starts = np.array([r.start for r in resized], dtype=np.int64)
    bin_width = min(cfg.target_bin, length)
    bin_starts = starts + (length - bin_width) // 2
    need = max(1, min(bin_width, math.ceil(cfg.min_overlap * bin_width - 1e-9)))
    task_names = list(cfg.peaks)
    y = np.zeros((len(resized), len(task_names)), dtype=np.float32)
    for t, task in enumerate(task_names):
        peaks = read_bed(cfg.peaks[task])
        y[:, t] = covered_bins(chroms, bin_starts, bin_starts + bin_width, peaks, need)

    valid_mask = np.isin(chroms, cfg.valid_chroms)
    test_mask = np.isin(chroms, cfg.test_chroms) & ~valid_mask
    train_mask = ~(valid_mask | test_mask)
    if not train_mask.any():
        raise InputError(
            cfg.intervals,
            "no intervals left for training after taking out valid_chroms "
            f"{cfg.valid_chroms} and test_chroms {cfg.test_chroms}",
        )

    def part(mask):
        return ArrayDataset(x[mask], y[mask]) if mask.any() else None

    return DataSplits(
        train=part(train_mask),
        valid=part(valid_mask),
        test=part(test_mask),
        task_names=task_names,
        task_groups=None,
        input_length=length,
    )
