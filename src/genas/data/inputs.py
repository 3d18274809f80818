"""Sequences to predict on: a FASTA file, or a BED file of intervals on a genome."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genas.data.encoding import encode_records
from genas.errors import InputError
from genas.seq.bed import iter_bed, resize
from genas.seq.fasta import open_text, read_fasta
from genas.seq.genome import Genome

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
    """Read sequences to score.

    A FASTA file gives its records (named by header), fitted to ``length`` with
    ``fit_length``. A BED file needs ``genome``: each interval is resized to ``length``
    around its centre and fetched (N beyond chromosome ends), named ``chrom:start-end`` of
    the original interval.

    Args:
        path: FASTA or BED (plain or gzip).
        length: the model's input length L.
        genome: a :class:`Genome` or the path of the reference FASTA (BED input only).
        fit_length: error, crop, pad or crop_or_pad (FASTA input).
        invalid_bases: error or N.

    Returns:
        names (N,), x uint8 (N, 4, L).

    Raises:
        InputError: a malformed file, BED input without a genome, a chromosome missing from
            the genome, an invalid letter, a wrong length with fit_length "error".
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    if _is_fasta(path):
        records = list(read_fasta(path))
        names = [r.name for r in records]
        x = encode_records(
            names,
            [r.sequence for r in records],
            length,
            fit_length,
            invalid_bases,
            path,
            "the model's input length",
        )
        return names, x
    if genome is None:
        raise InputError(path, "BED input needs a reference genome (give the genome FASTA)")
    ref = genome if isinstance(genome, Genome) else Genome(genome)
    names, seqs = [], []
    try:
        for lineno, interval in iter_bed(path):
            if interval.chrom not in ref:
                raise InputError(
                    path,
                    f"chromosome {interval.chrom!r} is not in the genome {ref.path.name}",
                    lineno,
                )
            r = resize(interval, length)
            names.append(interval.label)
            seqs.append(ref.fetch(r.chrom, r.start, r.end))
    finally:
        if ref is not genome:
            ref.close()
    if not names:
        raise InputError(path, "no intervals")
    return names, encode_records(names, seqs, length, "error", invalid_bases, path)
