"""What gets scored: batches of (reference, alternative) windows from variants or sequence pairs.

Each batch carries its key columns (which variant or pair each row is) and the windows,
uint8 (2n, 4, L). The sources count what they read and skip in a :class:`VepSummary`.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genas.analysis.variants.windows import WindowMaker
from genas.data.encoding import encode_records
from genas.errors import InputError
from genas.seq.fasta import FastaRecord, read_fasta
from genas.seq.genome import Genome
from genas.seq.vcf import Variant

#: Why a variant is not scored.
SKIP_REASONS = {
    "chrom_missing": "chromosome not in the genome",
    "off_chromosome": "REF not within the chromosome (POS 0, or past its end: another assembly?)",
    "ref_mismatch": "REF differs from the genome",
    "long_allele": "allele longer than the limit",
    "symbolic": "symbolic or missing ALT",
    "invalid_allele": "letters outside ACGTN",
}
MISMATCH_MODES = ("score", "skip", "error")
VARIANT_KEYS = ("chrom", "pos", "id", "ref", "alt", "ref_match")
PAIR_KEYS = ("pair", "ref_name", "alt_name")
_ACGTN = frozenset("ACGTNacgtn")


@dataclass
class VepSummary:
    """Counts of a scoring run.

    Attributes:
        read: VCF records (or sequence pairs) read.
        alleles: variants after splitting multi-allelic records.
        scored: variants (or pairs) scored.
        ref_mismatch_scored: scored although REF differs from the genome.
        skipped: reason (a key of :data:`SKIP_REASONS`) -> count.
    """

    read: int = 0
    alleles: int = 0
    scored: int = 0
    ref_mismatch_scored: int = 0
    skipped: Counter = field(default_factory=Counter)

    def line(self, unit: str = "variants") -> str:
        """One line, e.g. ``read 10 records (12 alleles): 9 scored, 3 skipped (...)``."""
        if unit == "pairs":
            head = f"read {self.read} pairs: {self.scored} scored"
        else:
            head = f"read {self.read} records ({self.alleles} alleles): {self.scored} scored"
        if self.ref_mismatch_scored:
            head += f" ({self.ref_mismatch_scored} with REF not matching the genome)"
        total = sum(self.skipped.values())
        if total:
            parts = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items()) if v)
            head += f", {total} skipped ({parts})"
        else:
            head += ", 0 skipped"
        return head

    def to_dict(self) -> dict:
        return {
            "read": self.read,
            "alleles": self.alleles,
            "scored": self.scored,
            "ref_mismatch_scored": self.ref_mismatch_scored,
            "skipped": dict(self.skipped),
        }


@dataclass
class Batch:
    """n rows to score: key columns (each of n values) and windows x uint8 (2n, 4, L)."""

    keys: dict[str, list | np.ndarray]
    x: np.ndarray

    def __len__(self) -> int:
        return self.x.shape[0] // 2


def skip_reason(variant: Variant, max_allele_length: int, chrom_size: int) -> str | None:
    """Why ``variant`` cannot be scored (a key of :data:`SKIP_REASONS`), or None.

    ``chrom_size`` is the length of its chromosome: a REF that does not lie within it (VCF's
    POS 0 of a telomere, or a position from another assembly) would be scored against the
    ``N`` padding of the window, a meaningless effect.
    """
    alt = variant.alt
    if alt in (".", "*") or alt.startswith("<") or "[" in alt or "]" in alt:
        return "symbolic"
    if not variant.ref or not _ACGTN.issuperset(variant.ref) or not _ACGTN.issuperset(alt):
        return "invalid_allele"
    if max(len(variant.ref), len(alt)) > max_allele_length:
        return "long_allele"
    if variant.pos < 1 or variant.pos + len(variant.ref) - 1 > chrom_size:
        return "off_chromosome"
    return None


def variant_batches(
    variants: Iterable[Variant],
    genome: Genome,
    length: int,
    summary: VepSummary,
    *,
    batch_size: int = 64,
    on_mismatch: str = "score",
    max_allele_length: int = 50,
    path: str | Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> Iterator[Batch]:
    """Batches of up to ``batch_size`` scorable variants, in input order.

    Args:
        variants: e.g. a :class:`~genas.seq.vcf.VcfReader`.
        genome: the reference the VCF positions refer to.
        length: the model's input length L.
        summary: updated as variants are read (``alleles``, ``scored``, ``skipped``).
        on_mismatch: a REF that differs from the genome is scored with the genome's bases
            (``ref_match`` False), skipped, or an error.
        max_allele_length: longer REF or ALT alleles are skipped (capped at L).
        path: the variants' file, for messages.
        warn: called once per chromosome missing from the genome (default: a warning).

    Raises:
        InputError: with ``on_mismatch="error"``, naming the variant's line.
    """
    if on_mismatch not in MISMATCH_MODES:
        raise ValueError(f"on_mismatch must be one of {MISMATCH_MODES}, got {on_mismatch!r}")
    warn = warn or (lambda message: warnings.warn(message, stacklevel=3))
    limit = min(int(max_allele_length), int(length))
    maker = WindowMaker(genome, length)
    missing: set[str] = set()
    pending: list[Variant] = []
    for variant in variants:
        summary.alleles += 1
        if variant.chrom not in genome:
            summary.skipped["chrom_missing"] += 1
            if variant.chrom not in missing:
                missing.add(variant.chrom)
                warn(
                    f"{path or 'variants'}: chromosome {variant.chrom!r} is not in the genome "
                    f"{genome.path.name}; its variants are skipped"
                )
            continue
        reason = skip_reason(variant, limit, genome.chrom_sizes[variant.chrom])
        if reason:
            summary.skipped[reason] += 1
            continue
        pending.append(variant)
        if len(pending) >= batch_size:
            batch = _variant_batch(pending, maker, summary, on_mismatch, path)
            pending = []
            if len(batch):
                yield batch
    if pending:
        batch = _variant_batch(pending, maker, summary, on_mismatch, path)
        if len(batch):
            yield batch


def _variant_batch(
    variants: list[Variant], maker: WindowMaker, summary: VepSummary, on_mismatch: str, path
) -> Batch:
    chroms = [v.chrom for v in variants]
    pos = np.fromiter((v.pos for v in variants), dtype=np.int64, count=len(variants))
    refs = [v.ref for v in variants]
    alts = [v.alt for v in variants]
    x, genome_ref = maker.make(chroms, pos, refs, alts)
    match = np.array([g == r.upper() for g, r in zip(genome_ref, refs, strict=True)], bool)
    n_bad = int((~match).sum())
    if n_bad and on_mismatch == "error":
        i = int(np.flatnonzero(~match)[0])
        v = variants[i]
        raise InputError(
            path,
            f"REF {v.ref} of {v.chrom}:{v.pos} does not match the genome ({genome_ref[i]}); "
            "use --on-mismatch score or skip",
            v.line,
        )
    if n_bad and on_mismatch == "skip":
        summary.skipped["ref_mismatch"] += n_bad
        keep = np.flatnonzero(match)
        n = len(variants)
        x = x[np.concatenate([keep, n + keep])]
        variants = [variants[i] for i in keep]
        match = match[keep]
    elif n_bad:
        summary.ref_mismatch_scored += n_bad
    summary.scored += len(variants)
    keys = {
        "chrom": [v.chrom for v in variants],
        "pos": np.fromiter((v.pos for v in variants), dtype=np.int64, count=len(variants)),
        "id": [v.id for v in variants],
        "ref": [v.ref for v in variants],
        "alt": [v.alt for v in variants],
        "ref_match": match,
    }
    return Batch(keys, x)


def pair_batches(
    ref_fasta: str | Path | Sequence[str],
    alt_fasta: str | Path | Sequence[str],
    length: int,
    summary: VepSummary,
    *,
    batch_size: int = 64,
    invalid_bases: str = "error",
) -> Iterator[Batch]:
    """Batches of sequence pairs: record i of ``ref_fasta`` against record i of ``alt_fasta``.

    Either argument may also be a list of sequences (named by their 0-based index).

    Each sequence is centred in the window: a longer one is cropped to its middle L bases,
    a shorter one padded with N (unknown bases, as beyond a chromosome end), ``(L - n) // 2``
    on the left and the rest on the right. So a base at index i of an n-bp sequence is at
    window index ``i + (L - n) // 2`` when n <= L, ``i - (n - L) // 2`` when n > L.

    Raises:
        InputError: the files have different numbers of records, a malformed FASTA, a
            letter outside ACGTN (unless ``invalid_bases="N"``).
    """
    refs, alts = _records(ref_fasta), _records(alt_fasta)
    ref_label = ref_fasta if isinstance(ref_fasta, str | Path) else "reference sequences"
    alt_label = alt_fasta if isinstance(alt_fasta, str | Path) else "alternative sequences"
    index = 0
    while True:
        ref_chunk, alt_chunk = [], []
        for ref_record in refs:
            alt_record = next(alts, None)
            if alt_record is None:
                n_ref = index + len(ref_chunk) + 1 + sum(1 for _ in refs)
                raise _count_error(ref_label, n_ref, alt_label, index + len(alt_chunk))
            ref_chunk.append(ref_record)
            alt_chunk.append(alt_record)
            if len(ref_chunk) >= batch_size:
                break
        if not ref_chunk:
            extra = sum(1 for _ in alts)
            if extra:
                raise _count_error(ref_label, index, alt_label, index + extra)
            return
        n = len(ref_chunk)
        x = np.empty((2 * n, 4, length), dtype=np.uint8)
        for offset, chunk, path in ((0, ref_chunk, ref_label), (n, alt_chunk, alt_label)):
            names = [r.name for r in chunk]
            fitted = [_pad_with_n(r.sequence, length) for r in chunk]
            added = [(len(f) - len(r.sequence)) // 2 for f, r in zip(fitted, chunk, strict=True)]
            x[offset : offset + n] = encode_records(
                names, fitted, length, "crop", invalid_bases, path,
                locate=lambda i, p, added=added: f"position {p + 1 - added[i]}",
                lines=[r.line for r in chunk],
            )
        summary.read += n
        summary.alleles += n
        summary.scored += n
        keys = {
            "pair": np.arange(index, index + n, dtype=np.int64),
            "ref_name": [r.name for r in ref_chunk],
            "alt_name": [r.name for r in alt_chunk],
        }
        index += n
        yield Batch(keys, x)


def _pad_with_n(sequence: str, length: int) -> str:
    """``sequence`` centred in N when shorter than ``length`` (unchanged otherwise)."""
    short = length - len(sequence)
    if short <= 0:
        return sequence
    return "N" * (short // 2) + sequence + "N" * (short - short // 2)


def _records(source: str | Path | Sequence[str]) -> Iterator[FastaRecord]:
    if isinstance(source, str | Path):
        return iter(read_fasta(source))
    return (FastaRecord(str(i), seq) for i, seq in enumerate(source))


def _count_error(ref_path, n_ref: int, alt_path, n_alt: int) -> InputError:
    return InputError(
        ref_path,
        f"{n_ref} records but {alt_path} has {n_alt}: pairs are record i of one file with "
        "record i of the other, so both need the same number of records",
    )
