"""GWAS summary statistics -> .sumstats.gz: column checks and allele alignment to the panel."""

from __future__ import annotations

import numpy as np
import pytest

from genas.analysis.heritability.plink import Bim
from genas.analysis.heritability.sumstats import munge_sumstats, read_sumstats_z
from genas.errors import InputError


@pytest.fixture()
def bim() -> Bim:
    snps = ["rs1", "rs2", "rs3", "rs4", "rs5", "rs6"]
    m = len(snps)
    bp = np.arange(1, m + 1, dtype=np.int64)
    return Bim(
        np.array(["1"] * m),
        np.array(snps),
        bp / 1e6,
        bp,
        np.array(["A", "A", "A", "C", "G", "A"]),
        np.array(["G", "G", "G", "T", "C", "G"]),
    )


def test_alignment_flips_drops_and_counts(tmp_path, bim):
    gwas = tmp_path / "gwas.txt"
    gwas.write_text(
        "MarkerName Effect_Allele Other_Allele Z N\n"
        "rs1 A G 2.0 1000\n"  # same alleles
        "rs2 G A 1.5 1000\n"  # swapped: Z flipped
        "rs3 T C -1.0 1000\n"  # other strand (A/G = T/C), same order
        "rs4 A C 0.5 1000\n"  # panel C/T: mismatch on either strand
        "rs5 G C 0.7 1000\n"  # strand-ambiguous
        "rs6 A G NA 1000\n"  # missing value
        "rs9 A G 3.0 1000\n"  # not in the panel
        "rs1 A G 9.0 1000\n"  # duplicate
    )
    counts = munge_sumstats(gwas, bim, tmp_path / "g.sumstats.gz")
    assert counts.as_dict() == {
        "rows": 8,
        "kept": 3,
        "flipped": 1,
        "strand_complemented": 1,
        "missing_values": 1,
        "not_in_panel": 1,
        "strand_ambiguous": 1,
        "allele_mismatch": 1,
        "duplicated": 1,
    }
    z = read_sumstats_z(tmp_path / "g.sumstats.gz")
    assert z == {"rs1": (2.0, 1000.0), "rs2": (-1.5, 1000.0), "rs3": (-1.0, 1000.0)}
    header = (tmp_path / "g.sumstats.gz").read_bytes()
    assert header[:2] == b"\x1f\x8b"


def test_beta_and_se_and_given_n(tmp_path, bim):
    gwas = tmp_path / "gwas.tsv"
    gwas.write_text("SNP\tA1\tA2\tBETA\tSE\nrs1\tA\tG\t0.2\t0.1\nrs2\tA\tG\t-0.3\t0.1\n")
    counts = munge_sumstats(gwas, bim, tmp_path / "g.sumstats.gz", n=5000)
    assert counts.kept == 2
    z = read_sumstats_z(tmp_path / "g.sumstats.gz")
    assert z["rs1"] == pytest.approx((2.0, 5000.0)) and z["rs2"] == pytest.approx((-3.0, 5000.0))


def test_missing_columns_are_named(tmp_path, bim):
    gwas = tmp_path / "gwas.tsv"
    gwas.write_text("SNP\tA1\tA2\tZ\nrs1\tA\tG\t1\n")
    with pytest.raises(InputError, match=r"gwas.tsv:1: missing column N \(or one of n,"):
        munge_sumstats(gwas, bim, tmp_path / "o.sumstats.gz")
    gwas.write_text("SNP\tA1\tA2\tBETA\tN\nrs1\tA\tG\t1\t10\n")
    with pytest.raises(InputError, match=r"missing column Z \(or BETA and SE\)"):
        munge_sumstats(gwas, bim, tmp_path / "o.sumstats.gz")
    gwas.write_text("rsid\tA2\tZ\tN\nrs1\tG\t1\t10\n")
    with pytest.raises(InputError, match=r"missing column A1"):
        munge_sumstats(gwas, bim, tmp_path / "o.sumstats.gz")
    assert not (tmp_path / "o.sumstats.gz").exists()


def test_non_numeric_values_name_the_column(tmp_path, bim):
    gwas = tmp_path / "gwas.tsv"
    gwas.write_text("SNP\tA1\tA2\tZ\tN\nrs1\tA\tG\t1.2\t100\nrs2\tA\tG\tlarge\t100\n")
    with pytest.raises(InputError, match=r"gwas.tsv:3: column Z: not a number: 'large'"):
        munge_sumstats(gwas, bim, tmp_path / "o.sumstats.gz")
    gwas.write_text("SNP\tA1\tA2\tZ\tN\nrs1\tA\tG\t1.2\tmany\n")
    with pytest.raises(InputError, match=r"gwas.tsv:2: column N: not a number"):
        munge_sumstats(gwas, bim, tmp_path / "o.sumstats.gz")
    gwas.write_text("SNP\tA1\tA2\tZ\tN\nrs1\tA\tG\t1.2\n")
    with pytest.raises(InputError, match=r"gwas.tsv:2: 4 fields, the header has 5"):
        munge_sumstats(gwas, bim, tmp_path / "o.sumstats.gz")


def test_nothing_left_is_an_error(tmp_path, bim):
    gwas = tmp_path / "gwas.tsv"
    gwas.write_text("SNP\tA1\tA2\tZ\tN\nrs77\tA\tG\t1.2\t100\n")
    with pytest.raises(InputError, match="no SNP left after aligning to the panel"):
        munge_sumstats(gwas, bim, tmp_path / "o.sumstats.gz")
