"""PLINK 1 binary genotype files (.bed/.bim/.fam), read and written with numpy.

A `.bed` file is 3 magic bytes (0x6c 0x1b 0x01: SNP-major) followed, for each SNP, by
ceil(N/4) bytes holding 2 bits per individual, lowest bits first:
00 = homozygous A1, 01 = missing, 10 = heterozygous, 11 = homozygous A2.
Genotypes here are counts of the A1 allele (0, 1, 2), with -1 for missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genas.errors import InputError, missing_file
from genas.fileio import atomic_path
from genas.seq.fasta import open_text

BED_MAGIC = bytes([0x6C, 0x1B, 0x01])
# 2-bit code -> A1 count; and the inverse for writing (index = A1 count, -1 -> missing).
_CODE_TO_COUNT = np.array([2, -1, 1, 0], dtype=np.int8)
_COUNT_TO_CODE = {2: 0b00, 1: 0b10, 0: 0b11, -1: 0b01}


@dataclass
class Bim:
    """The SNPs of a panel, in file order: one entry per `.bim` line (arrays of length M)."""

    chrom: np.ndarray  # str
    snp: np.ndarray  # str
    cm: np.ndarray  # float64
    bp: np.ndarray  # int64
    a1: np.ndarray  # str
    a2: np.ndarray  # str

    def __len__(self) -> int:
        return len(self.snp)

    def subset(self, index: np.ndarray) -> Bim:
        """The SNPs at `index` (a boolean mask or integer positions)."""
        return Bim(*(getattr(self, f)[index] for f in ("chrom", "snp", "cm", "bp", "a1", "a2")))

    @classmethod
    def concat(cls, parts: list[Bim]) -> Bim:
        """The SNPs of `parts`, one after the other."""
        fields = ("chrom", "snp", "cm", "bp", "a1", "a2")
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in fields))

    def chromosomes(self) -> list[str]:
        """Chromosome names in order of first appearance."""
        _, first = np.unique(self.chrom, return_index=True)
        return [str(c) for c in self.chrom[np.sort(first)]]


def read_bim(path: str | Path) -> Bim:
    """Read a `.bim` file: chrom, SNP id, cM, bp, A1, A2 (whitespace separated).

    Raises:
        InputError: naming file and line, for a line without 6 columns or a non-numeric
            position; or an empty file.
    """
    rows: list[list[str]] = []
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 6:
                raise InputError(
                    path, f"expected 6 columns (chrom snp cm bp a1 a2), found {len(fields)}", lineno
                )
            try:
                float(fields[2])
                int(fields[3])
            except ValueError:
                raise InputError(
                    path, f"cM and bp must be numbers, found {fields[2]!r} {fields[3]!r}", lineno
                ) from None
            rows.append(fields)
    if not rows:
        raise InputError(path, "no SNPs")
    cols = list(zip(*rows, strict=True))
    return Bim(
        chrom=np.array(cols[0], dtype=str),
        snp=np.array(cols[1], dtype=str),
        cm=np.array(cols[2], dtype=np.float64),
        bp=np.array(cols[3], dtype=np.int64),
        a1=np.array(cols[4], dtype=str),
        a2=np.array(cols[5], dtype=str),
    )


def write_bim(path: str | Path, bim: Bim) -> None:
    """Write a `.bim` file (tab separated), atomically."""
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        for row in zip(bim.chrom, bim.snp, bim.cm, bim.bp, bim.a1, bim.a2, strict=True):
            c, s, cm, bp, a1, a2 = row
            fh.write(f"{c}\t{s}\t{cm:.6g}\t{bp}\t{a1}\t{a2}\n")


def read_fam(path: str | Path) -> list[str]:
    """The individual ids (column 2) of a `.fam` file, in order."""
    ids = []
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 6:
                raise InputError(path, f"expected 6 columns, found {len(fields)}", lineno)
            ids.append(fields[1])
    if not ids:
        raise InputError(path, "no individuals")
    return ids


def write_fam(path: str | Path, ids: list[str]) -> None:
    """Write a `.fam` file: family = individual id, no parents, sex and phenotype unknown."""
    text = "".join(f"{i}\t{i}\t0\t0\t0\t-9\n" for i in ids)
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def read_bed(path: str | Path, n_individuals: int, n_snps: int) -> np.ndarray:
    """Read a SNP-major `.bed` file into an (N, M) int8 array of A1 counts (-1 = missing).

    Raises:
        InputError: wrong magic bytes (not a PLINK 1 SNP-major file) or a size that does not
            match N individuals x M SNPs.
    """
    path = Path(path)
    if not path.is_file():
        raise missing_file(path)
    raw = np.fromfile(path, dtype=np.uint8)
    if raw[:3].tobytes() != BED_MAGIC:
        raise InputError(path, "not a SNP-major PLINK .bed file (bad magic bytes)")
    per_snp = (n_individuals + 3) // 4
    if raw.size - 3 != per_snp * n_snps:
        raise InputError(
            path,
            f"size {raw.size} bytes does not match {n_individuals} individuals x {n_snps} SNPs "
            f"(expected {3 + per_snp * n_snps})",
        )
    packed = raw[3:].reshape(n_snps, per_snp)
    shifts = np.array([0, 2, 4, 6], dtype=np.uint8)
    codes = (packed[:, :, None] >> shifts) & 0b11  # (M, per_snp, 4)
    counts = _CODE_TO_COUNT[codes.reshape(n_snps, -1)[:, :n_individuals]]
    return np.ascontiguousarray(counts.T)


def write_bed(path: str | Path, genotypes: np.ndarray) -> None:
    """Write an (N, M) array of A1 counts (0/1/2, -1 = missing) as a SNP-major `.bed` file."""
    g = np.asarray(genotypes)
    if g.ndim != 2 or not np.isin(g, (-1, 0, 1, 2)).all():
        raise ValueError("genotypes must be an (N, M) array of 0, 1, 2 or -1")
    n, m = g.shape
    lut = np.zeros(4, dtype=np.uint8)  # index: count + 1
    for count, code in _COUNT_TO_CODE.items():
        lut[count + 1] = code
    codes = lut[g.T.astype(np.int64) + 1]  # (M, N)
    per_snp = (n + 3) // 4
    padded = np.zeros((m, per_snp * 4), dtype=np.uint8)
    padded[:, :n] = codes
    quads = padded.reshape(m, per_snp, 4)
    packed = quads[:, :, 0] | (quads[:, :, 1] << 2) | (quads[:, :, 2] << 4) | (quads[:, :, 3] << 6)
    with atomic_path(path) as tmp:
        tmp.write_bytes(BED_MAGIC + packed.astype(np.uint8).tobytes())


@dataclass
class Panel:
    """A PLINK file set: its SNPs and individual ids (genotypes are read on demand)."""

    prefix: Path
    bim: Bim
    individuals: list[str]

    def genotypes(self) -> np.ndarray:
        """(N, M) int8 A1 counts, -1 = missing."""
        return read_bed(
            self.prefix.with_name(self.prefix.name + ".bed"), len(self.individuals), len(self.bim)
        )


def read_panel(prefix: str | Path) -> Panel:
    """Open `prefix.bed/.bim/.fam` (the `.bed` is checked for size, read lazily)."""
    prefix = Path(prefix)
    bim = read_bim(_with_suffix(prefix, ".bim"))
    ids = read_fam(_with_suffix(prefix, ".fam"))
    bed = _with_suffix(prefix, ".bed")
    if not bed.is_file():
        raise missing_file(bed)
    expected = 3 + (len(ids) + 3) // 4 * len(bim)
    if bed.stat().st_size != expected:
        raise InputError(
            bed,
            f"size {bed.stat().st_size} bytes does not match {len(ids)} individuals x "
            f"{len(bim)} SNPs of the .fam/.bim (expected {expected})",
        )
    return Panel(prefix, bim, ids)


def write_panel(prefix: str | Path, genotypes: np.ndarray, bim: Bim, ids: list[str]) -> None:
    """Write `prefix.bed/.bim/.fam` from (N, M) A1 counts, M SNPs and N individual ids."""
    prefix = Path(prefix)
    if genotypes.shape != (len(ids), len(bim)):
        raise ValueError(f"genotypes {genotypes.shape} != ({len(ids)}, {len(bim)})")
    write_bed(_with_suffix(prefix, ".bed"), genotypes)
    write_bim(_with_suffix(prefix, ".bim"), bim)
    write_fam(_with_suffix(prefix, ".fam"), ids)


def standardise(genotypes: np.ndarray) -> np.ndarray:
    """(N, M) A1 counts -> float64 columns of mean 0, variance 1 (missing -> the mean).

    Monomorphic columns become 0.
    """
    g = genotypes.astype(np.float64)
    missing = genotypes < 0
    g[missing] = np.nan
    mean = np.nanmean(g, axis=0)
    g = np.where(missing, mean, g) - mean
    sd = g.std(axis=0)
    return np.divide(g, sd, out=np.zeros_like(g), where=sd > 0)


def _with_suffix(prefix: Path, suffix: str) -> Path:
    return prefix.with_name(prefix.name + suffix)
