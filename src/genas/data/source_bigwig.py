"""Intervals on a reference genome with quantitative targets from bigWig signal tracks.

Each BED interval becomes a window of ``length`` bp around its centre (as for the peak
source, :mod:`genas.data.source_bed`); each task's target is the mean, sum or max of its
bigWig's signal over the window, or over each bin of ``target_bin`` bp of it (then T × B
targets in one flat vector, task-major, named ``task:bin_i``; the network's dense head
predicts them as it predicts T binary tasks). Bases the bigWig holds no value for count as
0 by default: bedGraph/bigWig writers (bamCoverage, bedGraphToBigWig, MACS) leave out runs
of zero coverage, so a gap is zero signal, not an unknown one. The same holds past a
chromosome end, where the window's sequence is N. With ``missing: nan`` (tracks whose gaps
are masked regions) a target over any such base is NaN instead, which training and the
metrics leave out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pyBigWig

from genas.config import BigWigData
from genas.data.dataset import DataSplits
from genas.data.source_bed import GenomeWindows, read_windows, split_by_chromosome
from genas.errors import InputError

#: The first 4 bytes of a bigWig file (UCSC bbi format), in either byte order. Checked
#: before opening, because libBigWig prints its own errors to stderr for other files.
BIGWIG_MAGIC = 0x888FFC26
#: Most bases of signal read with one call (float64: 128 MiB).
CHUNK_BASES = 1 << 24
#: Windows at most this many bases apart are read with one call (decoding 64 kb costs about
#: what one more call costs).
MAX_GAP = 1 << 16


def open_bigwig(path: Path):
    """Open a bigWig file for reading (a ``pyBigWig`` handle; close it when done).

    Raises:
        InputError: the file is missing, is not a bigWig (a bigBed, a bedGraph, ...) or
            cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "bigWig file not found")
    with path.open("rb") as handle:
        head = handle.read(4)
    if len(head) < 4 or BIGWIG_MAGIC not in (
        int.from_bytes(head, "little"),
        int.from_bytes(head, "big"),
    ):
        raise InputError(path, "not a bigWig file (it lacks the bigWig signature)")
    try:
        return pyBigWig.open(str(path))
    except RuntimeError:
        raise InputError(path, "cannot read the bigWig file (damaged?)") from None


def _check_chromosomes(
    found: GenomeWindows, intervals: Path, track: Path, bw_sizes: dict[str, int]
) -> None:
    """Every chromosome of the intervals must be in the bigWig, as long as in the genome."""
    checked: set[str] = set()
    for lineno, interval in zip(found.lines, found.intervals, strict=True):
        chrom = interval.chrom
        if chrom in checked:
            continue
        size = bw_sizes.get(chrom)
        if size is None:
            names = ", ".join(list(bw_sizes)[:5]) + (", ..." if len(bw_sizes) > 5 else "")
            raise InputError(
                track,
                f"chromosome {chrom!r} ({intervals.name} line {lineno}) is not in this bigWig "
                f"(it has {names or 'none'})",
            )
        if size != found.chrom_sizes[chrom]:
            raise InputError(
                track,
                f"chromosome {chrom!r} is {size} bp here but {found.chrom_sizes[chrom]} bp in "
                "the genome: the bigWig is of another assembly",
            )
        checked.add(chrom)


def _check_inside(found: GenomeWindows, intervals: Path) -> None:
    """An interval (not its window) past its chromosome's end means another assembly."""
    for lineno, interval in zip(found.lines, found.intervals, strict=True):
        size = found.chrom_sizes[interval.chrom]
        if interval.end > size:
            raise InputError(
                intervals,
                f"interval {interval.label} runs past the end of {interval.chrom} "
                f"({size} bp in the genome)",
                lineno,
            )


def _runs(starts: np.ndarray, length: int) -> Iterator[tuple[int, int]]:
    """Runs [a, b) of windows (sorted ``starts``, each ``length`` bp) read with one call:
    a run ends at a gap over :data:`MAX_GAP` or when it would span over
    :data:`CHUNK_BASES`."""
    a, n = 0, len(starts)
    while a < n:
        b = a + 1
        while (
            b < n
            and starts[b] - starts[b - 1] - length <= MAX_GAP
            and starts[b] + length - starts[a] <= CHUNK_BASES
        ):
            b += 1
        yield a, b
        a = b


def _reduce_bins(
    span: np.ndarray, offsets: np.ndarray, length: int, n_bins: int, aggregate: str
) -> np.ndarray:
    """Mean, sum or max of each bin of windows cut from one span of signal.

    Args:
        span: float64 (S,) signal.
        offsets: (n,) where each window starts in ``span`` (0 <= offset <= S - length).
        length: L; n_bins: B, dividing L.
        aggregate: mean, sum or max.

    Returns:
        float64 (n, B).
    """
    width = length // n_bins
    bin_starts = (offsets[:, None] + np.arange(n_bins) * width).ravel()
    # reduceat over the index pairs (start, end) reduces each bin at the even positions
    # (windows may overlap); the odd ones cover the gaps between bins and are dropped. The
    # appended 0 lets a bin end at the span's end.
    bounds = np.stack([bin_starts, bin_starts + width], axis=1).ravel()
    ufunc = np.maximum if aggregate == "max" else np.add
    binned = ufunc.reduceat(np.append(span, 0.0), bounds)[::2].reshape(-1, n_bins)
    return binned / width if aggregate == "mean" else binned


def read_signal(
    bw, found: GenomeWindows, track: Path, n_bins: int, aggregate: str, missing: str = "zero"
) -> np.ndarray:
    """One track's targets: the signal of each window, aggregated per bin.

    ``values(numpy=True)`` returns every base's value (NaN where the file has none) from the
    full-resolution data in one C call. The bigWig's ``stats`` is not used: without
    ``exact=True`` it reads the zoom levels (approximate), with it it was 10 times slower
    here, and its mean and max skip the bases without a value, which here are zeros or
    make the bin unknown.
    A call costs about as much as decoding 40 kb, so nearby windows (of one chromosome,
    sorted) are read together, one span per run of windows (:func:`_runs`), and their bins
    reduced from it in one ``reduceat``.

    Args:
        bw: an open bigWig.
        found: the windows.
        track: the bigWig's path (for error messages).
        n_bins: B, bins per window (``length`` divisible by it).
        aggregate: mean, sum or max over each bin.
        missing: zero (a base without a value is 0) or nan (a bin with one is NaN).

    Returns:
        float32 (N, B), in the windows' order.
    """
    length = found.length
    out = np.empty((len(found.windows), n_bins), dtype=np.float32)
    chroms = np.array([w.chrom for w in found.windows], dtype=object)
    all_starts = np.array([w.start for w in found.windows], dtype=np.int64)
    for chrom in dict.fromkeys(chroms):
        size = found.chrom_sizes[chrom]
        rows = np.flatnonzero(chroms == chrom)
        rows = rows[np.argsort(all_starts[rows], kind="stable")]
        starts = all_starts[rows]
        for a, b in _runs(starts, length):
            lo, hi = int(starts[a]), int(starts[b - 1]) + length  # the run's span
            lo_in, hi_in = max(lo, 0), min(hi, size)  # its part on the chromosome
            # Past the chromosome ends: no value, as in a gap.
            span = np.full(hi - lo, np.nan, dtype=np.float64)
            if hi_in > lo_in:
                try:
                    span[lo_in - lo : hi_in - lo] = bw.values(chrom, lo_in, hi_in, numpy=True)
                except RuntimeError:
                    raise InputError(
                        track, f"cannot read {chrom}:{lo_in}-{hi_in} (damaged bigWig?)"
                    ) from None
            if missing == "zero":
                span[np.isnan(span)] = 0.0  # zero coverage (module doc); keeps infinities
            offsets = starts[a:b] - lo
            infinite = np.isinf(span)
            if infinite.any():  # in a window? (a NaN bin would hide it from the result)
                hits = _reduce_bins(infinite.astype(np.float64), offsets, length, n_bins, "sum")
                bad = hits.any(axis=1)
                if bad.any():
                    window = found.windows[rows[a + int(np.argmax(bad))]]
                    raise InputError(track, f"infinite signal value in {window.label}")
            # np.add and np.maximum carry a NaN (missing: nan) into its bin's result.
            out[rows[a:b]] = _reduce_bins(span, offsets, length, n_bins, aggregate)
    return out


def load_bigwig_source(cfg: BigWigData, seed: int) -> DataSplits:
    """Fetch the windows, read their targets from the bigWigs, split by chromosome
    (valid_chroms, test_chroms, the rest train) as the peak source does.

    Raises:
        InputError: a missing or non-bigWig track, a bad BED line, a chromosome missing from
            the genome or a bigWig (or of another length there), an interval past its
            chromosome's end, (``length`` None) intervals of different lengths or a
            ``target_bin`` that does not divide theirs.
    """
    del seed  # nothing random here
    with ExitStack() as stack:
        # Open every track first: a wrong path fails before the genome is read.
        handles = {}
        for task, path in cfg.tracks.items():
            handles[task] = bw = open_bigwig(path)
            stack.callback(bw.close)
        found = read_windows(cfg.intervals, cfg.genome, cfg.length, cfg.invalid_bases)
        length = found.length
        bin_width = cfg.target_bin or length
        if length % bin_width:
            raise InputError(
                cfg.intervals,
                f"data.target_bin ({bin_width}) must divide the intervals' length ({length})",
            )
        _check_inside(found, cfg.intervals)
        for task, bw in handles.items():
            _check_chromosomes(found, cfg.intervals, cfg.tracks[task], bw.chroms())
        n_bins = length // bin_width
        blocks = [
            read_signal(bw, found, cfg.tracks[task], n_bins, cfg.aggregate, cfg.missing)
            for task, bw in handles.items()
        ]
    y = np.concatenate(blocks, axis=1)  # (N, T × B), task-major
    if cfg.target_bin is None:
        task_names, task_groups = list(cfg.tracks), None
    else:
        task_groups = {task: [f"{task}:bin_{i}" for i in range(n_bins)] for task in cfg.tracks}
        task_names = [name for names in task_groups.values() for name in names]
    chroms = np.array([w.chrom for w in found.windows], dtype=object)
    train, valid, test = split_by_chromosome(
        found.x, y, chroms, cfg.valid_chroms, cfg.test_chroms, cfg.intervals, found.origins()
    )
    return DataSplits(
        train=train,
        valid=valid,
        test=test,
        task_names=task_names,
        task_groups=task_groups,
        input_length=length,
    )
