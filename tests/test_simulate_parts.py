"""Building blocks of the generator: backgrounds, placement, task design, rule labels."""

import h5py
import numpy as np
import pytest

from genas.data.simulate import (
    MarkovBackground,
    Sites,
    TaskRule,
    design_tasks,
    fit_markov_fasta,
    iid_background,
    rule_labels,
    simulate,
)
from genas.data.simulate.planting import place_blocks

LETTERS = np.array(list("ACGT"))


def _dinucleotide_freq(codes: np.ndarray) -> np.ndarray:
    """(N, L) codes -> (16,) frequencies of adjacent pairs."""
    pairs = (codes[:, :-1].astype(np.int64) * 4 + codes[:, 1:]).ravel()
    return np.bincount(pairs, minlength=16) / len(pairs)


def _skewed_sequences(n: int, length: int, seed: int) -> np.ndarray:
    """Order-1 chain with strong CpG depletion and A->A runs, as codes (n, length)."""
    trans = np.array(
        [
            [0.6, 0.1, 0.1, 0.2],
            [0.3, 0.3, 0.02, 0.38],
            [0.25, 0.3, 0.3, 0.15],
            [0.2, 0.2, 0.3, 0.3],
        ]
    )
    chain = MarkovBackground(1, np.full(4, 0.25), trans)
    return chain.sample(n, length, np.random.default_rng(seed))


def test_iid_background_gc_and_dtype():
    codes = iid_background(200, 1000, 0.6, np.random.default_rng(0))
    assert codes.shape == (200, 1000) and codes.dtype == np.uint8 and codes.max() <= 3
    assert np.isin(codes, [1, 2]).mean() == pytest.approx(0.6, abs=0.005)
    freq = np.bincount(codes.ravel(), minlength=4) / codes.size
    np.testing.assert_allclose(freq, [0.2, 0.3, 0.3, 0.2], atol=0.005)


def test_markov_fit_reproduces_dinucleotides(tmp_path):
    source = _skewed_sequences(100, 600, seed=1)
    fasta = tmp_path / "bg.fa"
    fasta.write_text("".join(f">s{i}\n{''.join(LETTERS[r])}\n" for i, r in enumerate(source)))
    chain = fit_markov_fasta(fasta, order=2)
    assert chain.transition.shape == (16, 4)
    np.testing.assert_allclose(chain.transition.sum(axis=1), 1.0)
    sampled = chain.sample(400, 500, np.random.default_rng(2))
    np.testing.assert_allclose(_dinucleotide_freq(sampled), _dinucleotide_freq(source), atol=0.006)
    assert _dinucleotide_freq(sampled)[1 * 4 + 2] < 0.01  # CpG stays rare


def test_simulate_with_markov_background_keeps_dinucleotides(tmp_path):
    source = _skewed_sequences(100, 600, seed=3)
    fasta = tmp_path / "bg.fa"
    fasta.write_text("".join(f">s{i}\n{''.join(LETTERS[r])}\n" for i, r in enumerate(source)))
    m = simulate(
        tmp_path / "out",
        n_tasks=2,
        length=300,
        n_train=300,
        n_valid=10,
        n_test=10,
        background_fasta=fasta,
        positive_rate=0.05,
        write_mat=False,
    )
    assert m["parameters"]["background"] == "markov"
    with h5py.File(tmp_path / "out" / "train.h5", "r") as f:
        codes = f["x"][:].argmax(axis=1)
    # planted motifs (~5% of the sequences, ~10 bp) barely move the composition
    np.testing.assert_allclose(_dinucleotide_freq(codes), _dinucleotide_freq(source), atol=0.01)


def test_markov_fit_skips_non_acgt_windows():
    chain = MarkovBackground.fit(["ACNGT", "acgt"], order=1, pseudocount=0.0)
    # transitions seen: A->C (twice), C->G (once, lower case), G->T (twice)
    assert chain.transition[0, 1] == 1.0 and chain.transition[2, 3] == 1.0
    with pytest.raises(ValueError, match="ACGT"):
        MarkovBackground.fit(["NNNN"], order=2)


def test_place_blocks_never_overlaps_and_fills_capacity():
    rng = np.random.default_rng(0)
    seq = rng.integers(0, 50, 2000)
    width = rng.integers(5, 40, 2000)
    start, keep = place_blocks(seq, width, 50, 300, rng)
    s, w = seq[keep], width[keep]
    assert ((start >= 0) & (start + w <= 300)).all()
    order = np.lexsort((start, s))
    s, st, w = s[order], start[order], w[order]
    same = s[1:] == s[:-1]
    assert (st[1:][same] >= (st[:-1] + w[:-1])[same]).all()
    # ~40 blocks of ~22 bp per 300-bp sequence: some must be dropped, none needlessly
    used = np.bincount(seq[keep], weights=width[keep], minlength=50)
    assert (used <= 300).all() and (~keep).any()
    assert (used > 300 - width.max()).all()


def test_design_tasks_distinct_and_shared():
    widths = np.full(6, 10)
    rules = design_tasks(12, widths, 500, np.random.default_rng(0))
    assert len(rules) == len(set(rules)) == 12
    kinds = [r.kind for r in rules]
    assert kinds.count("presence") == 6 and kinds.count("pair") == 3 and kinds.count("count") == 3
    presence_motifs = {r.motifs[0] for r in rules if r.kind == "presence"}
    assert all(r.motifs[0] in presence_motifs for r in rules if r.kind == "pair")
    with pytest.raises(ValueError, match="motifs"):
        design_tasks(10, np.full(1, 10), 500, np.random.default_rng(0))


def test_rule_labels_pair_gap_and_count():
    widths = np.array([5, 4])
    sites = Sites(
        seq=np.array([0, 0, 1, 1, 2, 2, 2]),
        motif=np.array([0, 1, 0, 1, 0, 0, 0]),
        start=np.array([0, 15, 30, 10, 0, 10, 20]),
        strand=np.ones(7, np.int8),
        task=np.zeros(7, np.int64),
        decoy=np.zeros(7, bool),
    )
    # seq 0: A ends at 5, B starts at 15 -> gap 10; seq 1: B ends at 14, A at 30 -> gap 16
    pair = TaskRule("pair", (0, 1), 0, 10)
    np.testing.assert_array_equal(rule_labels(pair, sites, widths, 4), [1, 0, 0, 0])
    wide = TaskRule("pair", (0, 1), 0, 16)
    np.testing.assert_array_equal(rule_labels(wide, sites, widths, 4), [1, 1, 0, 0])
    count = TaskRule("count", (0,), count=3)
    np.testing.assert_array_equal(rule_labels(count, sites, widths, 4), [0, 0, 1, 0])
    presence = TaskRule("presence", (1,))
    np.testing.assert_array_equal(rule_labels(presence, sites, widths, 4), [1, 1, 0, 0])


def test_count_tasks_use_presence_motifs():
    widths = np.full(16, 10)
    for seed in range(5):
        rules = design_tasks(16, widths, 500, np.random.default_rng(seed))
        presence_motifs = {r.motifs[0] for r in rules if r.kind == "presence"}
        counts = [r for r in rules if r.kind == "count"]
        assert len(counts) == 4
        assert all(r.motifs[0] in presence_motifs for r in counts)
        assert len(set(rules)) == 16


def test_auto_motif_filters():
    from genas.data.simulate.generate import consensus_kmers, is_low_complexity

    for repeat in ("GGAAGGAAGGAAGGAAGG", "AAAAAAAAAA", "CACACACACACA", "ATATATATAT"):
        assert is_low_complexity(repeat), repeat
    for motif in ("TGACCTCATTGAGGTCA", "ATTGCGCAAT", "TTCTAGAACGTTC"):
        assert not is_low_complexity(motif), motif
    # CRE-like motifs of different families share ACGTCA (one on the reverse strand)
    assert consensus_kmers("TGCCACGTCATCA") & consensus_kmers("ATGACGTCAT")
    assert consensus_kmers("ATGACG") == {"ATGACG", "CGTCAT"}
    assert not consensus_kmers("ATTGCGCAAT") & consensus_kmers("TGACCTCATTGAGGTCA")
