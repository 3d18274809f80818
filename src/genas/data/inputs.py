"""Sequences to predict on: a FASTA file, a sequence table, or a BED file of intervals on a
genome."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TypeVar

import numpy as np

from genas.data.encoding import encode_records
from genas.data.source_table import iter_table
from genas.errors import InputError, missing_file
from genas.seq.alphabet import reverse_complement_str
from genas.seq.bed import Interval, iter_bed, resize
from genas.seq.fasta import open_text, read_fasta
from genas.seq.genome import Genome

T = TypeVar("T")

_FASTA_SUFFIXES = {".fa", ".fasta", ".fna", ".fas"}
_BED_SUFFIXES = {".bed", ".narrowpeak", ".broadpeak"}
_TABLE_SUFFIXES = {".csv", ".tsv", ".tab"}


def _is_table(path: Path) -> bool:
    """A sequence table, by extension (.gz ignored): .csv, .tsv or .tab."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    return bool(suffixes) and suffixes[-1] in _TABLE_SUFFIXES


def _is_fasta(path: Path) -> bool:
    """By extension (.gz ignored), else by the first non-blank character being ``>``."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    if suffixes and suffixes[-1] in _FASTA_SUFFIXES:
        return True
    if suffixes and suffixes[-1] in _BED_SUFFIXES:
        return False
    with open_text(path) as fh:
        for line in fh:
            if line.strip():
                return line.lstrip().startswith(">")
    return True  # empty: let the FASTA reader report it


def load_prediction_input(
    path: str | Path,
    length: int,
    genome: Genome | str | Path | None = None,
    fit_length: str = "crop_or_pad",
    invalid_bases: str = "error",
) -> tuple[dict[str, list], np.ndarray]:
    """Read all the sequences to score at once; see :func:`iter_prediction_input`.

    Returns:
        the row columns (each N long), x uint8 (N, 4, L).
    """
    rows: dict[str, list] = {}
    arrays: list[np.ndarray] = []
    for batch_rows, x in iter_prediction_input(
        path, length, genome=genome, fit_length=fit_length, invalid_bases=invalid_bases
    ):
        for key, values in batch_rows.items():
            rows.setdefault(key, []).extend(values)
        arrays.append(x)
    return rows, np.concatenate(arrays)


def iter_prediction_input(
    path: str | Path,
    length: int,
    *,
    batch_size: int = 1024,
    genome: Genome | str | Path | None = None,
    fit_length: str = "crop_or_pad",
    invalid_bases: str = "error",
    sequence_column: str = "sequence",
    id_column: str | None = None,
) -> Iterator[tuple[dict[str, list], np.ndarray]]:
    """Read sequences to score, ``batch_size`` at a time, so memory does not grow with the
    file.

    A FASTA file gives its records, fitted to ``length`` with ``fit_length`` and named by
    their header (row column ``name``). A table (``.csv``, ``.tsv``, ``.tab``, gzip or not)
    gives the sequences of its ``sequence_column``, fitted the same way and named by its
    ``id_column`` or else by ``file:line``. A BED file needs ``genome``: each interval is
    resized to ``length`` around its centre and fetched (N beyond chromosome ends); an
    interval on the ``-`` strand is read as the reverse complement of its window (as
    Selene does). Its rows are the BED line's own ``chrom``, ``start``, ``end`` (0-based,
    end exclusive), ``name`` (column 4; empty where the line has none) and ``strand``, so
    an output's first three columns are the input's intervals.

    Args:
        path: FASTA, a table, or BED (plain or gzip).
        length: the model's input length L.
        batch_size: sequences per batch.
        genome: a :class:`Genome` or the path of the reference FASTA (BED input only).
        fit_length: error, crop, pad or crop_or_pad (FASTA and table input).
        invalid_bases: error or N.
        sequence_column, id_column: the columns of a table's sequences and names.

    Yields:
        the row columns, each a list of B, and x uint8 (B, 4, L), in file order.

    Raises:
        InputError: a malformed file, BED input without a genome, a chromosome missing from
            the genome, an invalid letter, a wrong length with fit_length "error".
    """
    path = Path(path)
    if not path.is_file():
        raise missing_file(path)
    if _is_table(path):
        ids = [id_column] if id_column else []
        for rows in _chunks(iter_table(path, sequence_column, ids), batch_size):
            lines = [line for line, _, _ in rows]
            names = [cells[0] if ids else f"{path.name}:{line}" for line, _, cells in rows]
            x = encode_records(
                names, [sequence for _, sequence, _ in rows], length, fit_length,
                invalid_bases, path, "the model's input length", lines=lines,
            )  # fmt: skip
            yield {"name": names}, x
        return
    if _is_fasta(path):
        for records in _chunks(read_fasta(path), batch_size):
            names = [r.name for r in records]
            sequences = [r.sequence for r in records]
            source = "the model's input length"
            lines = [r.line for r in records]
            x = encode_records(
                names, sequences, length, fit_length, invalid_bases, path, source, lines=lines
            )
            yield {"name": names}, x
        return
    if genome is None:
        suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
        if suffixes and suffixes[-1] in _BED_SUFFIXES:
            raise InputError(path, "BED input needs a reference genome (give the genome FASTA)")
        raise InputError(
            path,
            "not FASTA (its first line does not start with '>'); sequences to score are "
            "FASTA, a .csv/.tsv table, or BED intervals with a reference genome"
            + ("; variants are scored by `genas vep`" if ".vcf" in suffixes else ""),
        )
    ref = genome if isinstance(genome, Genome) else Genome(genome)
    try:
        n_intervals = 0
        for named in _chunks(_bed_sequences(path, ref, length), batch_size):
            intervals, sequences, lines, windows = (list(c) for c in zip(*named, strict=True))
            n_intervals += len(intervals)
            labels = [i.label + ("(-)" if i.strand == "-" else "") for i in intervals]
            x = encode_records(
                labels, sequences, length, "error", invalid_bases, path, lines=lines,
                locate=lambda i, p, windows=windows: _genome_position(windows[i], p),
            )
            yield _bed_rows(intervals), x
    finally:
        if ref is not genome:
            ref.close()
    if not n_intervals:
        raise InputError(path, "no intervals")


def _bed_sequences(
    path: Path, ref: Genome, length: int
) -> Iterator[tuple[Interval, str, int, Interval]]:
    """(interval, window sequence, BED line, window) of each BED interval, the sequence
    reverse complemented on ``-``."""
    for lineno, interval in iter_bed(path):
        if interval.chrom not in ref:
            raise InputError(
                path,
                f"chromosome {interval.chrom!r} is not in the genome {ref.path.name}",
                lineno,
            )
        r = resize(interval, length)
        sequence = ref.fetch(r.chrom, r.start, r.end)
        if interval.strand == "-":
            sequence = reverse_complement_str(sequence)
        yield interval, sequence, lineno, r


def _bed_rows(intervals: list[Interval]) -> dict[str, list]:
    """The BED columns of ``intervals``: chrom, start, end, name ("" for none), strand."""
    return {
        "chrom": [i.chrom for i in intervals],
        "start": [i.start for i in intervals],
        "end": [i.end for i in intervals],
        "name": [i.name or "" for i in intervals],
        "strand": [i.strand for i in intervals],
    }


def _genome_position(window: Interval, offset: int) -> str:
    """``chrom:position`` (1-based) of letter ``offset`` of ``window`` as read on its strand
    (from its end on ``-``)."""
    position = window.end - offset if window.strand == "-" else window.start + offset + 1
    return f"{window.chrom}:{position}"


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of up to ``size`` consecutive items (``itertools.batched`` from Python 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
