"""GWAS summary statistics -> LDSC's `.sumstats.gz` (SNP A1 A2 Z N), aligned to the panel.

The input is a whitespace-separated table with a header. Columns are found by name (case
insensitive): SNP (snp, rsid, id, marker, variant_id), A1 (a1, effect_allele, alt), A2 (a2,
other_allele, non_effect_allele, ref), N (n, n_total, samplesize; or the `n` argument), and
either Z (z, zscore) or BETA (beta, b) with SE (se, stderr). Missing values (NA, ., empty)
drop the row; anything else that is not a number is an error naming the column.

Alleles are aligned to the panel's `.bim` (A1, A2): SNPs whose alleles are swapped are
flipped (Z negated), strand-complemented alleles are matched, strand-ambiguous SNPs (A/T,
C/G), SNPs with other alleles and SNPs absent from the panel are dropped; each is counted.

This is the part of LDSC's `munge_sumstats.py` genas needs, written here because munge's
P-value round trip loses precision for large |Z| and its median-Z sanity check rejects small
simulated genomes; `tests/test_heritability_ldsc.py` checks both give the same Z and N.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from genas.analysis.heritability.plink import Bim
from genas.errors import InputError
from genas.fileio import atomic_path
from genas.seq.fasta import open_text

ALIASES = {
    "SNP": ("snp", "rsid", "id", "marker", "variant_id", "markername"),
    "A1": ("a1", "effect_allele", "alt", "allele1"),
    "A2": ("a2", "other_allele", "non_effect_allele", "ref", "allele2"),
    "N": ("n", "n_total", "samplesize", "neff"),
    "Z": ("z", "zscore", "z_score"),
    "BETA": ("beta", "b"),
    "SE": ("se", "stderr", "standard_error"),
}
_MISSING = {"", "na", "nan", ".", "none"}
_COMPLEMENT = str.maketrans("ACGT", "TGCA")


@dataclass
class AlignmentCounts:
    """What happened to the summary statistics' SNPs on the way to `.sumstats.gz`."""

    rows: int = 0
    kept: int = 0
    flipped: int = 0
    strand_complemented: int = 0
    missing_values: int = 0
    not_in_panel: int = 0
    strand_ambiguous: int = 0
    allele_mismatch: int = 0
    duplicated: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _find_columns(path: str | Path, header: list[str], n_given: bool) -> dict[str, int]:
    lower = {name.lower(): i for i, name in enumerate(header)}
    found = {}
    for key, names in ALIASES.items():
        for name in names:
            if name in lower:
                found[key] = lower[name]
                break
    needed = ["SNP", "A1", "A2"] + ([] if n_given else ["N"])
    for key in needed:
        if key not in found:
            raise InputError(
                path,
                f"missing column {key} (or one of {', '.join(ALIASES[key])}); "
                f"columns: {', '.join(header)}",
                1,
            )
    if "Z" not in found and not ("BETA" in found and "SE" in found):
        raise InputError(
            path, f"missing column Z (or BETA and SE); columns: {', '.join(header)}", 1
        )
    return found


def _value(
    path: str | Path, fields: list[str], header: list[str], index: int, lineno: int
) -> float | None:
    text = fields[index]
    if text.strip().lower() in _MISSING:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(path, f"column {header[index]}: not a number: {text!r}", lineno) from None
    return None if math.isnan(value) else value


def munge_sumstats(
    path: str | Path, bim: Bim, out: str | Path, *, n: float | None = None
) -> AlignmentCounts:
    """Validate, align to the panel and write `out` (`.sumstats.gz`: SNP A1 A2 Z N).

    `bim` is the whole panel (all chromosomes). Returns the counts of kept, flipped and
    dropped SNPs.

    Raises:
        InputError: a required column is missing or a value is not numeric (naming the
            column), a row has the wrong number of fields, or no SNP is left.
    """
    panel = {snp: i for i, snp in enumerate(bim.snp)}
    counts = AlignmentCounts()
    seen: set[str] = set()
    rows: list[tuple[str, str, str, float, float]] = []
    with open_text(path) as fh:
        header = fh.readline().split()
        cols = _find_columns(path, header, n is not None)
        for lineno, line in enumerate(fh, start=2):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != len(header):
                raise InputError(
                    path, f"{len(fields)} fields, the header has {len(header)}", lineno
                )
            counts.rows += 1
            if "Z" in cols:
                z = _value(path, fields, header, cols["Z"], lineno)
            else:
                beta = _value(path, fields, header, cols["BETA"], lineno)
                se = _value(path, fields, header, cols["SE"], lineno)
                z = None if beta is None or se is None or se <= 0 else beta / se
            size = n if n is not None else _value(path, fields, header, cols["N"], lineno)
            if z is None or size is None:
                counts.missing_values += 1
                continue
            snp = fields[cols["SNP"]]
            if snp in seen:
                counts.duplicated += 1
                continue
            seen.add(snp)
            i = panel.get(snp)
            if i is None:
                counts.not_in_panel += 1
                continue
            a1, a2 = fields[cols["A1"]].upper(), fields[cols["A2"]].upper()
            sign = _align(a1, a2, bim.a1[i].upper(), bim.a2[i].upper(), counts)
            if sign == 0:
                continue
            counts.kept += 1
            rows.append((snp, bim.a1[i], bim.a2[i], sign * z, size))
    if not rows:
        raise InputError(path, f"no SNP left after aligning to the panel ({counts.as_dict()})")
    with atomic_path(out) as tmp, gzip.open(tmp, "wt") as fh:
        fh.write("SNP\tA1\tA2\tZ\tN\n")
        for snp, a1, a2, z, size in rows:
            fh.write(f"{snp}\t{a1}\t{a2}\t{z:.6g}\t{size:.6g}\n")
    return counts


def _align(a1: str, a2: str, p1: str, p2: str, counts: AlignmentCounts) -> int:
    """+1 (same alleles), -1 (swapped: flip Z) or 0 (dropped), counting what happened."""
    if {a1, a2} in ({"A", "T"}, {"C", "G"}):
        counts.strand_ambiguous += 1
        return 0
    for strand, (x1, x2) in enumerate(
        ((a1, a2), (a1.translate(_COMPLEMENT), a2.translate(_COMPLEMENT)))
    ):
        if (x1, x2) == (p1, p2) or (x1, x2) == (p2, p1):
            if strand:
                counts.strand_complemented += 1
            if (x1, x2) == (p1, p2):
                return 1
            counts.flipped += 1
            return -1
    counts.allele_mismatch += 1
    return 0


def read_sumstats_z(path: str | Path) -> dict[str, tuple[float, float]]:
    """SNP -> (Z, N) of an LDSC `.sumstats(.gz)` file (for comparisons and tests)."""
    out = {}
    with open_text(path) as fh:
        header = fh.readline().split()
        s, z, n = header.index("SNP"), header.index("Z"), header.index("N")
        for line in fh:
            fields = line.split()
            if len(fields) == len(header) and fields[z].lower() not in _MISSING:
                out[fields[s]] = (float(fields[z]), float(fields[n]))
    return out
