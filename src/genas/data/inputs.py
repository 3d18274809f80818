"""Sequences to predict on: a FASTA file, or a BED file of intervals on a genome."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TypeVar

import numpy as np

from genas.data.encoding import encode_records
from genas.errors import InputError, missing_file
from genas.seq.alphabet import reverse_complement_str
from genas.seq.bed import Interval, iter_bed, resize
from genas.seq.fasta import open_text, read_fasta
from genas.seq.genome import Genome

T = TypeVar("T")

_FASTA_SUFFIXES = {".fa", ".fasta", ".fna", ".fas"}
_BED_SUFFIXES = {".bed", ".narrowpeak", ".broadpeak"}


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
) -> tuple[list[str], np.ndarray]:
    """Read all the sequences to score at once; see :func:`iter_prediction_input`.

    Returns:
        names (N,), x uint8 (N, 4, L).
    """
    names: list[str] = []
    arrays: list[np.ndarray] = []
    for batch_names, x in iter_prediction_input(
        path, length, genome=genome, fit_length=fit_length, invalid_bases=invalid_bases
    ):
        names += batch_names
        arrays.append(x)
    return names, np.concatenate(arrays)


def iter_prediction_input(
    path: str | Path,
    length: int,
    *,
    batch_size: int = 1024,
    genome: Genome | str | Path | None = None,
    fit_length: str = "crop_or_pad",
    invalid_bases: str = "error",
) -> Iterator[tuple[list[str], np.ndarray]]:
    """Read sequences to score, ``batch_size`` at a time, so memory does not grow with the
    file.

    A FASTA file gives its records (named by header), fitted to ``length`` with
    ``fit_length``. A BED file needs ``genome``: each interval is resized to ``length``
    around its centre and fetched (N beyond chromosome ends), named ``chrom:start-end`` of
    the original interval; an interval on the ``-`` strand is read as the reverse
    complement of its window (as Selene does) and named ``chrom:start-end(-)`` (as
    ``bedtools getfasta -s`` does).

    Args:
        path: FASTA or BED (plain or gzip).
        length: the model's input length L.
        batch_size: sequences per batch.
        genome: a :class:`Genome` or the path of the reference FASTA (BED input only).
        fit_length: error, crop, pad or crop_or_pad (FASTA input).
        invalid_bases: error or N.

    Yields:
        names (B,), x uint8 (B, 4, L), in file order.

    Raises:
        InputError: a malformed file, BED input without a genome, a chromosome missing from
            the genome, an invalid letter, a wrong length with fit_length "error".
    """
    path = Path(path)
    if not path.is_file():
        raise missing_file(path)
    if _is_fasta(path):
        for records in _chunks(read_fasta(path), batch_size):
            names = [r.name for r in records]
            sequences = [r.sequence for r in records]
            source = "the model's input length"
            lines = [r.line for r in records]
            x = encode_records(
                names, sequences, length, fit_length, invalid_bases, path, source, lines=lines
            )
            yield names, x
        return
    if genome is None:
        suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
        if suffixes and suffixes[-1] in _BED_SUFFIXES:
            raise InputError(path, "BED input needs a reference genome (give the genome FASTA)")
        raise InputError(
            path,
            "not FASTA (its first line does not start with '>'); sequences to score are "
            "FASTA, or BED intervals with a reference genome"
            + ("; variants are scored by `genas vep`" if ".vcf" in suffixes else ""),
        )
    ref = genome if isinstance(genome, Genome) else Genome(genome)
    try:
        n_intervals = 0
        for named in _chunks(_bed_sequences(path, ref, length), batch_size):
            names, sequences, lines, windows = (list(c) for c in zip(*named, strict=True))
            n_intervals += len(names)
            yield names, encode_records(
                names, sequences, length, "error", invalid_bases, path, lines=lines,
                locate=lambda i, p, windows=windows: _genome_position(windows[i], p),
            )
    finally:
        if ref is not genome:
            ref.close()
    if not n_intervals:
        raise InputError(path, "no intervals")


def _bed_sequences(
    path: Path, ref: Genome, length: int
) -> Iterator[tuple[str, str, int, Interval]]:
    """(name, window sequence, BED line, window) of each BED interval, the sequence reverse
    complemented on ``-``."""
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
            yield f"{interval.label}(-)", reverse_complement_str(sequence), lineno, r
        else:
            yield interval.label, sequence, lineno, r


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
