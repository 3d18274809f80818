"""The window convention: SNVs (odd and even L), indels re-centred, chromosome ends, strands."""

from __future__ import annotations

import os

import numpy as np
import pytest
from variants_support import genome_sequences, hand_windows, write_genome

from genas.analysis.variants.windows import WindowMaker, allele_start, window_bounds
from genas.errors import InputError
from genas.seq.alphabet import decode, encode, reverse_complement
from genas.seq.fasta import FastaRecord, write_fasta
from genas.seq.genome import Genome

CHR_T = "AACCGGTTACGTAGCTAGCA"  # 20 bp; 1-based POS 5 and 6 are G, G


@pytest.fixture()
def toy(tmp_path):
    path = tmp_path / "toy.fa"
    write_fasta(path, [FastaRecord("chrT", CHR_T)])
    with Genome(path) as genome:
        yield genome


def windows(genome, length, variants):
    chroms = [v[0] for v in variants]
    pos = np.array([v[1] for v in variants])
    x, genome_ref = WindowMaker(genome, length).make(
        chroms, pos, [v[2] for v in variants], [v[3] for v in variants]
    )
    n = len(variants)
    return decode(x[:n]), decode(x[n:]), genome_ref


@pytest.mark.parametrize(
    ("length", "variant", "ref_window", "alt_window"),
    [
        (5, (5, "G", "T"), "CCGGT", "CCTGT"),  # odd L: 2 bases each side
        (4, (5, "G", "T"), "CCGG", "CCTG"),  # even L: 2 left, 1 right
        (5, (1, "A", "C"), "NNAAC", "NNCAC"),  # chromosome start: N
        (5, (20, "A", "G"), "GCANN", "GCGNN"),  # chromosome end: N
        (5, (5, "GG", "G"), "CGGTT", "CCGTT"),  # deletion: each allele centred
        (5, (5, "G", "GAT"), "CCGGT", "CGATG"),  # insertion
        (5, (5, "GG", "TA"), "CGGTT", "CTATT"),  # MNV: only the allele changes
        (6, (5, "GG", "G"), "CCGGTT", "ACCGTT"),  # deletion, even L
    ],
)
def test_windows_by_hand(toy, length, variant, ref_window, alt_window):
    pos, ref, alt = variant
    got_ref, got_alt, genome_ref = windows(toy, length, [("chrT", pos, ref, alt)])
    assert (got_ref[0], got_alt[0]) == (ref_window, alt_window)
    assert genome_ref == [ref]
    assert hand_windows(CHR_T, pos, ref, alt, length) == (ref_window, alt_window)


@pytest.mark.parametrize("length", [4, 5, 10, 11])
def test_snv_at_index_half_length_and_its_reverse_complement(toy, length):
    ref_w, alt_w, _ = windows(toy, length, [("chrT", 10, "C", "T")])
    assert ref_w[0][length // 2] == "C" and alt_w[0][length // 2] == "T"
    assert sum(a != b for a, b in zip(ref_w[0], alt_w[0], strict=True)) == 1
    start, end = window_bounds(10, 1, length)
    assert (start, end - start) == (10 - 1 - length // 2, length)
    # Reverse strand: the complement of the variant base sits at L - 1 - L//2.
    rc = decode(reverse_complement(encode(alt_w)))[0]
    assert rc[length - 1 - length // 2] == "A"


def test_allele_start_keeps_long_alleles_inside():
    for length in (4, 5, 10, 11):
        for k in range(1, length + 1):
            start = allele_start(length, k)
            assert start >= 0 and start + k <= length
            assert start + k // 2 == length // 2


def test_lower_case_genome_and_ref_check(tmp_path):
    seqs = genome_sequences()
    with Genome(write_genome(tmp_path)) as genome:
        ref_w, _, genome_ref = windows(genome, 11, [("chr1", 105, seqs["chr1"][104], "A")])
    assert ref_w[0] == seqs["chr1"][99:110].upper()
    assert genome_ref == [seqs["chr1"][104].upper()]


def test_segments_and_order_do_not_change_windows(tmp_path):
    seqs = genome_sequences()
    rng = np.random.default_rng(1)
    variants = []
    for _ in range(40):
        chrom = "chr1" if rng.random() < 0.7 else "chr2"
        pos = int(rng.integers(1, len(seqs[chrom]) + 1))
        ref_len = int(rng.integers(1, 4))
        ref = seqs[chrom][pos - 1 : pos - 1 + ref_len].upper() or "A"
        alt = "".join(rng.choice(list("ACGT"), size=int(rng.integers(1, 4))))
        variants.append((chrom, pos, ref, alt))
    with Genome(write_genome(tmp_path)) as genome:
        args = (
            [v[0] for v in variants],
            np.array([v[1] for v in variants]),
            [v[2] for v in variants],
            [v[3] for v in variants],
        )
        one, ref_one = WindowMaker(genome, 11).make(*args)
        many, ref_many = WindowMaker(genome, 11, max_span=15).make(*args)
    np.testing.assert_array_equal(one, many)
    assert ref_one == ref_many
    n = len(variants)
    for i, (chrom, pos, ref, alt) in enumerate(variants):
        expected = hand_windows(seqs[chrom].upper(), pos, ref, alt, 11)
        assert (decode(one[i]), decode(one[n + i])) == expected


def test_stale_fai_is_one_error_naming_the_index(tmp_path):
    path = tmp_path / "g.fa"
    write_fasta(path, [FastaRecord("chr1", CHR_T * 25), FastaRecord("chr2", CHR_T * 25)], width=60)
    Genome(path).close()  # writes g.fa.fai
    write_fasta(path, [FastaRecord("chr1", CHR_T * 5), FastaRecord("chr2", CHR_T)], width=50)
    index = tmp_path / "g.fa.fai"
    stamp = index.stat().st_mtime_ns
    os.utime(path, ns=(stamp - 10**9, stamp - 10**9))  # the FASTA looks older: index kept
    with Genome(path) as genome, pytest.raises(InputError) as info:
        WindowMaker(genome, 101).make(["chr1", "chr2"], np.array([300, 200]), "AA", "CC")
    assert str(info.value).startswith(f"{index}: index does not match {path}")
