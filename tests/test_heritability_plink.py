"""PLINK .bed/.bim/.fam reading and writing; per-chromosome panels; .frq files."""

from __future__ import annotations

import numpy as np
import pytest

from genas.analysis.heritability.panel import resolve_panel, write_frq
from genas.analysis.heritability.plink import (
    Bim,
    read_bed,
    read_bim,
    read_panel,
    standardise,
    write_bed,
    write_panel,
)
from genas.errors import InputError


def _bim(chroms: list[str]) -> Bim:
    m = len(chroms)
    bp = np.arange(1, m + 1, dtype=np.int64) * 1000
    return Bim(
        np.array(chroms),
        np.array([f"rs{i}" for i in range(m)]),
        bp / 1e6,
        bp,
        np.array(["A"] * m),
        np.array(["G"] * m),
    )


def test_bed_bytes_follow_the_plink_spec(tmp_path):
    # One SNP, 5 individuals with A1 counts 2, missing, 1, 0, 2: codes 00 01 10 11 | 00,
    # packed lowest bits first: 0b11100100 then 0b00000000.
    write_bed(tmp_path / "x.bed", np.array([[2], [-1], [1], [0], [2]]))
    assert (tmp_path / "x.bed").read_bytes() == bytes([0x6C, 0x1B, 0x01, 0b11100100, 0])


def test_bed_round_trip_with_missing_and_odd_sizes(tmp_path):
    rng = np.random.default_rng(0)
    genotypes = rng.integers(-1, 3, size=(7, 13)).astype(np.int8)
    write_bed(tmp_path / "g.bed", genotypes)
    np.testing.assert_array_equal(read_bed(tmp_path / "g.bed", 7, 13), genotypes)


def test_panel_round_trip(tmp_path):
    genotypes = np.array([[0, 1, 2], [2, 1, 0], [1, 1, 1], [0, 0, 2]], dtype=np.int8)
    write_panel(tmp_path / "p", genotypes, _bim(["1", "1", "2"]), ["a", "b", "c", "d"])
    panel = read_panel(tmp_path / "p")
    assert panel.individuals == ["a", "b", "c", "d"]
    assert panel.bim.snp.tolist() == ["rs0", "rs1", "rs2"]
    np.testing.assert_array_equal(panel.genotypes(), genotypes)


def test_bad_bed_files(tmp_path):
    (tmp_path / "bad.bed").write_bytes(b"\x00\x00\x00\x00")
    with pytest.raises(InputError, match="magic"):
        read_bed(tmp_path / "bad.bed", 4, 1)
    write_bed(tmp_path / "g.bed", np.zeros((4, 2), dtype=np.int8))
    with pytest.raises(InputError, match="does not match 4 individuals x 3 SNPs"):
        read_bed(tmp_path / "g.bed", 4, 3)


def test_bim_errors_name_the_line(tmp_path):
    (tmp_path / "x.bim").write_text("1\trs1\t0\t100\tA\tG\n1\trs2\t0\tabc\tA\tG\n")
    with pytest.raises(InputError, match=r"x.bim:2: cM and bp must be numbers"):
        read_bim(tmp_path / "x.bim")
    (tmp_path / "y.bim").write_text("1\trs1\t0\t100\tA\n")
    with pytest.raises(InputError, match=r"y.bim:1: expected 6 columns"):
        read_bim(tmp_path / "y.bim")


def test_panel_size_mismatch_names_the_bed(tmp_path):
    write_panel(
        tmp_path / "p", np.zeros((4, 2), dtype=np.int8), _bim(["1", "1"]), ["a", "b", "c", "d"]
    )
    (tmp_path / "p.fam").write_text("".join(f"i{k} i{k} 0 0 0 -9\n" for k in range(9)))
    with pytest.raises(InputError, match=r"p.bed: size .* 9 individuals x 2 SNPs"):
        read_panel(tmp_path / "p")


def test_single_panel_is_split_per_autosome(tmp_path):
    rng = np.random.default_rng(1)
    genotypes = rng.integers(0, 3, size=(6, 5)).astype(np.int8)
    write_panel(
        tmp_path / "all",
        genotypes,
        _bim(["chr1", "chr1", "chr2", "chrX", "chr2"]),
        [f"i{k}" for k in range(6)],
    )
    panels = resolve_panel(tmp_path / "all", tmp_path / "split")
    assert panels.chromosomes == ["1", "2"]
    assert panels.left_out == {"X": 1}
    np.testing.assert_array_equal(
        read_panel(panels.prefixes["2"]).genotypes(), genotypes[:, [2, 4]]
    )
    assert panels.bim("2").chrom.tolist() == ["2", "2"]
    again = resolve_panel(panels.stem)  # the split layout is a per-chromosome panel
    assert again.chromosomes == ["1", "2"]


def test_resolve_panel_without_files(tmp_path):
    with pytest.raises(InputError, match="no PLINK panel here"):
        resolve_panel(tmp_path / "nothing", tmp_path)


def test_frq_and_standardise(tmp_path):
    genotypes = np.array([[2, 0], [2, 1], [0, -1], [2, 1]], dtype=np.int8)
    write_panel(tmp_path / "p", genotypes, _bim(["1", "1"]), ["a", "b", "c", "d"])
    maf = write_frq(tmp_path / "p.frq", tmp_path / "p")
    np.testing.assert_allclose(maf, [0.25, 2 / 6])  # A1 freq 6/8 -> MAF 0.25; 2 of 6 observed
    lines = (tmp_path / "p.frq").read_text().splitlines()
    assert lines[0].split("\t") == ["CHR", "SNP", "A1", "A2", "MAF", "NCHROBS"]
    assert lines[2].split("\t")[-1] == "6"
    x = standardise(genotypes)
    np.testing.assert_allclose(x.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(x.std(axis=0), 1)
