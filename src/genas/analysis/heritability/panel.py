"""A reference panel as S-LDSC wants it: one PLINK file set per autosome (`PREFIX.<chr>`).

`resolve_panel` accepts either that layout or a single file set `PREFIX.bed/.bim/.fam`, which
it splits per chromosome. Chromosome names are compared without a `chr` prefix; S-LDSC reads
per-chromosome files for autosomes 1-22 only, so other chromosomes are left out (and counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genas.analysis.heritability.plink import Bim, read_bim, read_panel, write_panel
from genas.errors import InputError
from genas.fileio import atomic_path

AUTOSOMES = tuple(str(c) for c in range(1, 23))


def normalise_chrom(name: str) -> str:
    """'chr1' / 'Chr1' / '1' -> '1'."""
    return name[3:] if name.lower().startswith("chr") else name


@dataclass
class ChromosomePanels:
    """Per-chromosome PLINK prefixes of a panel, in chromosome order."""

    stem: Path  # `stem.<chr>` is each chromosome's file set
    prefixes: dict[str, Path]
    left_out: dict[str, int] = field(default_factory=dict)  # non-autosomal chrom -> SNPs

    @property
    def chromosomes(self) -> list[str]:
        return list(self.prefixes)

    def bim(self, chrom: str) -> Bim:
        return read_bim(self.prefixes[chrom].with_name(self.prefixes[chrom].name + ".bim"))

    def bim_path(self, chrom: str) -> Path:
        return self.prefixes[chrom].with_name(self.prefixes[chrom].name + ".bim")


def resolve_panel(prefix: str | Path, split_dir: str | Path | None = None) -> ChromosomePanels:
    """Find the per-chromosome file sets of a panel (splitting a single set into `split_dir`).

    Raises:
        InputError: neither `PREFIX.<chr>.bim` files nor `PREFIX.bim` exist, or the panel has
            no autosome.
    """
    prefix = Path(prefix)
    per_chrom = {
        c: prefix.with_name(f"{prefix.name}.{c}")
        for c in AUTOSOMES
        if prefix.with_name(f"{prefix.name}.{c}.bim").is_file()
    }
    if per_chrom:
        return ChromosomePanels(prefix, per_chrom)
    single = prefix.with_name(prefix.name + ".bim")
    if not single.is_file():
        raise InputError(
            prefix,
            "no PLINK panel here: expected PREFIX.<chr>.bed/.bim/.fam or PREFIX.bed/.bim/.fam",
        )
    if split_dir is None:
        raise InputError(prefix, "a single-file panel needs a folder to split it into")
    return split_panel(prefix, split_dir)


def split_panel(prefix: str | Path, out_dir: str | Path) -> ChromosomePanels:
    """Write one file set per autosome of a single PLINK file set into `out_dir/panel.<chr>`."""
    panel = read_panel(prefix)
    genotypes = panel.genotypes()
    chroms = np.array([normalise_chrom(c) for c in panel.bim.chrom])
    prefixes, left_out = {}, {}
    for chrom in dict.fromkeys(chroms.tolist()):
        mask = chroms == chrom
        if chrom not in AUTOSOMES:
            left_out[chrom] = int(mask.sum())
            continue
        bim = panel.bim.subset(mask)
        bim.chrom = np.full(len(bim), chrom)
        out = Path(out_dir) / f"panel.{chrom}"
        write_panel(out, genotypes[:, mask], bim, panel.individuals)
        prefixes[chrom] = out
    if not prefixes:
        raise InputError(prefix, "the panel has no SNP on autosomes 1-22")
    order = sorted(prefixes, key=int)
    return ChromosomePanels(Path(out_dir) / "panel", {c: prefixes[c] for c in order}, left_out)


def write_frq(path: str | Path, prefix: Path) -> np.ndarray:
    """Write a PLINK-style `.frq` file (CHR SNP A1 A2 MAF NCHROBS) for S-LDSC's M_5_50 filter.

    Returns the (M,) minor allele frequencies.
    """
    panel = read_panel(prefix)
    genotypes = panel.genotypes()
    observed = (genotypes >= 0).sum(axis=0)
    freq = np.where(genotypes >= 0, genotypes, 0).sum(axis=0) / np.maximum(2 * observed, 1)
    maf = np.minimum(freq, 1 - freq)
    bim = panel.bim
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write("CHR\tSNP\tA1\tA2\tMAF\tNCHROBS\n")
        for c, s, a1, a2, m, n in zip(
            bim.chrom, bim.snp, bim.a1, bim.a2, maf, observed, strict=True
        ):
            fh.write(f"{c}\t{s}\t{a1}\t{a2}\t{m:.6g}\t{2 * n}\n")
    return maf
