"""Scoring variants with a tiny saved model: every score column against a hand computation,
REF mismatches, multi-allelic split, skips, and chunked streaming equal to one-shot scoring."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest
from variants_support import (
    TASKS,
    genome_sequences,
    hand_windows,
    probabilities,
    save_tiny_model,
    write_genome,
    write_vcf,
)

from genas.analysis.variants import (
    SCORES,
    AllelePredictor,
    effect_scores,
    score_pairs,
    score_variants,
)
from genas.errors import InputError
from genas.nn.model_file import load_model
from genas.seq.alphabet import encode

SEQS = genome_sequences()
L = 11


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("vep")
    run = save_tiny_model(root / "run", L)
    genome = write_genome(root)
    c1 = SEQS["chr1"].upper()
    lines = [
        f"chr1\t50\trs1\t{c1[49]}\t{'A' if c1[49] != 'A' else 'C'},{'G' if c1[49] != 'G' else 'T'}"
        "\t.\t.\t.",  # multi-allelic
        f"chr1\t3\t.\t{c1[2]}\tT\t.\t.\t.",  # near the start: N padding
        f"chr1\t299\t.\t{c1[298:300]}\t{c1[298]}\t.\t.\t.",  # deletion at the end
        f"chr1\t110\tsoft\t{c1[109]}\t{c1[109]}CCA\t.\t.\t.",  # insertion in lower case
        f"chr2\t30\t.\t{SEQS['chr2'][29:31]}\tTA\t.\t.\t.",  # MNV
    ]
    vcf = write_vcf(root / "v.vcf", lines)
    return {"root": root, "run": run, "genome": genome, "vcf": vcf, "model": load_model(run)}


def expected_rows(model, variants, rc_average=False) -> pd.DataFrame:
    """The long table computed by hand: windows by string slicing, formulas in numpy."""
    rows = []
    for chrom, pos, vid, ref, alt in variants:
        ref_w, alt_w = hand_windows(SEQS[chrom].upper(), pos, ref, alt, L)
        p_ref, p_alt = probabilities(model, [ref_w, alt_w], rc_average)
        for t, task in enumerate(TASKS):
            r, a = float(p_ref[t]), float(p_alt[t])
            rows.append(
                {
                    "chrom": chrom,
                    "pos": pos,
                    "id": vid,
                    "ref": ref,
                    "alt": alt,
                    "ref_match": SEQS[chrom][pos - 1 : pos - 1 + len(ref)].upper() == ref,
                    "task": task,
                    "ref_prob": r,
                    "alt_prob": a,
                    "diff": a - r,
                    "abs_diff": abs(a - r),
                    "logit_diff": math.log(a / (1 - a)) - math.log(r / (1 - r)),
                    "log2fc": math.log2(a / r),
                }
            )
    return pd.DataFrame(rows)


def vcf_variants(vcf: Path) -> list[tuple]:
    out = []
    for line in vcf.read_text().splitlines():
        if line.startswith("#"):
            continue
        chrom, pos, vid, ref, alts = line.split("\t")[:5]
        out += [(chrom, int(pos), vid, ref, alt) for alt in alts.split(",")]
    return out


def assert_matches(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    for column in ("chrom", "id", "ref", "alt", "task"):
        assert got[column].astype(str).tolist() == expected[column].astype(str).tolist()
    assert got["pos"].tolist() == expected["pos"].tolist()
    assert got["ref_match"].tolist() == expected["ref_match"].tolist()
    for score in SCORES:
        np.testing.assert_allclose(got[score], expected[score], rtol=2e-4, atol=2e-6)


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_effect_scores_by_hand():
    s = effect_scores(np.array([[_logit(0.2), 0.0]]), np.array([[_logit(0.8), 0.0]]))
    np.testing.assert_allclose(s["ref_prob"], [[0.2, 0.5]])
    np.testing.assert_allclose(s["diff"], [[0.6, 0.0]], atol=1e-7)
    np.testing.assert_allclose(s["abs_diff"], [[0.6, 0.0]], atol=1e-7)
    np.testing.assert_allclose(s["logit_diff"], [[2 * math.log(4), 0.0]], rtol=1e-6)
    np.testing.assert_allclose(s["log2fc"], [[2.0, 0.0]], rtol=1e-6)
    saturated = effect_scores(np.array([[-800.0]]), np.array([[800.0]]))
    assert all(np.isfinite(v).all() for v in saturated.values())
    assert saturated["logit_diff"][0, 0] == 1600.0
    assert saturated["log2fc"][0, 0] == pytest.approx(800 / math.log(2))


def test_confident_alleles_do_not_tie():
    """Logits 30 and 31 (probabilities both 1.0 in float32; clipping them to 1 - 1e-6 made
    every score but the probabilities 0): the scores come from the logits, exactly."""
    s = effect_scores(np.array([[30.0, -30.0]]), np.array([[31.0, -31.0]]))
    assert s["logit_diff"].tolist() == [[1.0, -1.0]]
    expected_diff = [math.exp(-30) - math.exp(-31), -(math.exp(-30) - math.exp(-31))]
    np.testing.assert_allclose(s["diff"][0], expected_diff, rtol=1e-6)
    log2fc_up = (math.log1p(-math.exp(-31)) - math.log1p(-math.exp(-30))) / math.log(2)
    np.testing.assert_allclose(s["log2fc"][0], [log2fc_up, -1 / math.log(2)], rtol=1e-4)
    assert (s["log2fc"] != 0).all()


def test_vep_scores_a_confident_model_from_its_logits(tmp_path):
    """A model whose logits are ±30-odd for both alleles of a pair, through `score_pairs`."""
    from torch import nn

    class Confident(nn.Module):  # logit 30 + (count of A), the same for each task
        def forward(self, x):
            return (30.0 + x[:, 0].sum(dim=-1, keepdim=True)).repeat(1, len(TASKS))

    loaded = load_model(save_tiny_model(tmp_path / "run", L))
    loaded.model = Confident()
    table = score_pairs(loaded, ["CCCCCCCCCCC"], ["CCCCCACCCCC"], device="cpu", wide=True)
    assert table["taskA.logit_diff"].tolist() == [1.0]
    assert table["taskA.log2fc"].iloc[0] > 0 and table["taskA.diff"].iloc[0] > 0
    rc = score_pairs(
        loaded, ["CCCCCCCCCCC"], ["CCCCCACCCCC"], device="cpu", wide=True, rc_average=True
    )
    assert rc["taskA.logit_diff"].iloc[0] > 0  # the RC of C..A..C has no A: 30, 31 -> 30.38


@pytest.mark.parametrize("rc_average", [False, True])
def test_every_score_column_against_hand_computation(setup, rc_average):
    got = score_variants(
        setup["model"], setup["vcf"], setup["genome"], rc_average=rc_average, device="cpu"
    )
    expected = expected_rows(setup["model"].model, vcf_variants(setup["vcf"]), rc_average)
    assert_matches(got, expected)
    assert got.attrs["summary"] == {
        "read": 5,
        "alleles": 6,
        "scored": 6,
        "ref_mismatch_scored": 0,
        "skipped": {},
    }


def test_multi_allelic_record_is_split(setup):
    got = score_variants(setup["run"], setup["vcf"], setup["genome"], device="cpu", wide=True)
    first = got[got["id"] == "rs1"]
    assert len(first) == 2 and first["pos"].tolist() == [50, 50]
    assert first["alt"].tolist() == [v[4] for v in vcf_variants(setup["vcf"])[:2]]
    assert first["ref_match"].all()
    # wide: the same numbers as long
    long = score_variants(setup["run"], setup["vcf"], setup["genome"], device="cpu")
    for t, task in enumerate(TASKS):
        np.testing.assert_array_equal(got[f"{task}.diff"], long["diff"].to_numpy()[t::2])


def test_chunked_streaming_equals_one_shot(setup, tmp_path):
    rng = np.random.default_rng(5)
    c1 = SEQS["chr1"].upper()
    lines = []
    for pos in sorted(rng.choice(np.arange(1, 301), size=25, replace=False)):
        alt = "ACGT"[(("ACGT".index(c1[pos - 1])) + 1) % 4]
        lines.append(f"chr1\t{pos}\t.\t{c1[pos - 1]}\t{alt}\t.\t.\t.")
    vcf = write_vcf(tmp_path / "many.vcf", lines)
    frames = [
        score_variants(setup["model"], vcf, setup["genome"], batch_size=b, device="cpu")
        for b in (1, 4, 7, 1000)
    ]
    # batch size may change the CPU kernels' summation order (seen on a 16-core x86 machine):
    # float32 noise, far below a misaligned or missing row
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0], rtol=2e-4, atol=2e-6)
    assert_matches(frames[0], expected_rows(setup["model"].model, vcf_variants(vcf)))


def test_bgzip_vcf_and_dataframe_input_give_the_same_scores(setup, tmp_path):
    plain = score_variants(setup["model"], setup["vcf"], setup["genome"], device="cpu")
    gz = tmp_path / "v.vcf.gz"  # bgzip (unsorted records: no index)
    pysam.tabix_compress(str(setup["vcf"]), str(gz))
    pd.testing.assert_frame_equal(
        score_variants(setup["model"], gz, setup["genome"], device="cpu"), plain
    )
    table = pd.DataFrame(vcf_variants(setup["vcf"]), columns=["chrom", "pos", "id", "ref", "alt"])
    from_table = score_variants(setup["model"], table, setup["genome"], device="cpu")
    np.testing.assert_array_equal(from_table["diff"], plain["diff"])


def mismatch_vcf(tmp_path) -> Path:
    c1 = SEQS["chr1"].upper()
    wrong = "A" if c1[59] != "A" else "C"
    alt = next(b for b in "ACGT" if b not in (wrong, c1[59]))
    return write_vcf(
        tmp_path / "mismatch.vcf",
        [
            f"chr1\t40\t.\t{c1[39]}\tN\t.\t.\t.",
            f"chr1\t60\tbad\t{wrong}\t{alt}\t.\t.\t.",
        ],
    )


def test_ref_mismatch_scored_with_the_genome_base(setup, tmp_path):
    vcf = mismatch_vcf(tmp_path)
    got = score_variants(setup["model"], vcf, setup["genome"], device="cpu")
    bad = got[got["id"] == "bad"]
    assert not bad["ref_match"].any() and got[got["id"] != "bad"]["ref_match"].all()
    assert got.attrs["summary"]["ref_mismatch_scored"] == 1
    # the reference window holds the genome's base, not the VCF's REF
    c1 = SEQS["chr1"].upper()
    ref_w, _ = hand_windows(c1, 60, c1[59], "A", L)
    p_ref = probabilities(setup["model"].model, [ref_w])[0]
    np.testing.assert_allclose(bad["ref_prob"], p_ref, rtol=2e-4)


def test_ref_mismatch_skip_and_error(setup, tmp_path):
    vcf = mismatch_vcf(tmp_path)
    skipped = score_variants(setup["model"], vcf, setup["genome"], on_mismatch="skip")
    assert "bad" not in skipped["id"].tolist() and len(skipped) == len(TASKS)
    assert skipped.attrs["summary"]["skipped"] == {"ref_mismatch": 1}
    with pytest.raises(InputError) as info:
        score_variants(setup["model"], vcf, setup["genome"], on_mismatch="error")
    assert info.value.line == 6 and "does not match the genome" in str(info.value)


def test_skips_counted_and_missing_chromosome_warned_once(setup, tmp_path):
    c1 = SEQS["chr1"].upper()
    vcf = write_vcf(
        tmp_path / "skips.vcf",
        [
            "chrX\t10\t.\tA\tC\t.\t.\t.",
            "chrX\t20\t.\tA\tC\t.\t.\t.",
            f"chr1\t10\t.\t{c1[9]}\t<DEL>\t.\t.\t.",
            f"chr1\t11\t.\t{c1[10]}\t*\t.\t.\t.",
            f"chr1\t12\t.\t{c1[11:23]}\t{c1[11]}\t.\t.\t.",  # 12-bp REF > L = 11
            f"chr1\t13\t.\t{c1[12]}\tR\t.\t.\t.",
            f"chr1\t14\t.\t{c1[13]}\tA,C\t.\t.\t.",
            "chr1\t0\t.\tA\tC\t.\t.\t.",  # POS 0: before the chromosome
            f"chr1\t{len(c1)}\t.\t{c1[-1]}A\tC\t.\t.\t.",  # REF runs past its end
        ],
    )
    messages: list[str] = []
    got = score_variants(setup["model"], vcf, setup["genome"], warn=messages.append)
    assert len(messages) == 1 and "'chrX'" in messages[0]
    summary = got.attrs["summary"]
    assert summary["read"] == 9 and summary["alleles"] == 10 and summary["scored"] == 2
    assert summary["skipped"] == {
        "chrom_missing": 2,
        "off_chromosome": 2,
        "symbolic": 2,
        "long_allele": 1,
        "invalid_allele": 1,
    }
    limited = score_variants(
        setup["model"], vcf, setup["genome"], max_allele_length=1, warn=messages.append
    )
    assert limited.attrs["summary"]["skipped"]["long_allele"] == 2  # and the 2-bp REF at the end


def test_pairs_centred_and_padded_with_n(setup):
    c1 = SEQS["chr1"].upper()
    ref = [c1[0:11], c1[20:29], c1[40:55]]  # L, shorter (N-padded), longer (cropped)
    alt = [c1[0:5] + "T" + c1[6:11], c1[20:24] + "A" + c1[25:29], c1[40:55]]
    got = score_pairs(setup["model"], ref, alt, device="cpu")
    windows_ref = [ref[0], "N" + ref[1] + "N", ref[2][2:13]]
    windows_alt = [alt[0], "N" + alt[1] + "N", alt[2][2:13]]
    p_ref = probabilities(setup["model"].model, windows_ref)
    p_alt = probabilities(setup["model"].model, windows_alt)
    np.testing.assert_allclose(got["ref_prob"], p_ref.reshape(-1), rtol=2e-4)
    np.testing.assert_allclose(got["alt_prob"], p_alt.reshape(-1), rtol=2e-4)
    assert got["pair"].tolist() == [0, 0, 1, 1, 2, 2]
    np.testing.assert_allclose(got["diff"].to_numpy()[4:], 0.0, atol=1e-7)


def test_pair_files_of_different_lengths(setup, tmp_path):
    from genas.seq.fasta import FastaRecord, write_fasta

    write_fasta(tmp_path / "a.fa", [FastaRecord(f"r{i}", "ACGTACGTACG") for i in range(3)])
    write_fasta(tmp_path / "b.fa", [FastaRecord(f"r{i}", "ACGTACGTACG") for i in range(2)])
    with pytest.raises(InputError, match="3 records but .*b.fa has 2"):
        score_pairs(setup["model"], tmp_path / "a.fa", tmp_path / "b.fa")
    with pytest.raises(InputError, match="2 records but .*a.fa has 3"):
        score_pairs(setup["model"], tmp_path / "b.fa", tmp_path / "a.fa")


def test_predictor_batches_ref_alt_and_strands_in_one_pass(setup):
    model = setup["model"].model
    calls = []
    handle = model.register_forward_hook(lambda m, i, o: calls.append(tuple(i[0].shape)))
    try:
        x = encode(["ACGTACGTACG", "ACGTAAGTACG", "TTTTACGTACG", "TTTTAGGTACG"])
        z_ref, z_alt = AllelePredictor(model, rc_average=True, device="cpu")(x)
    finally:
        handle.remove()
    assert calls == [(8, 4, L)]
    expected = probabilities(model, ["ACGTACGTACG", "ACGTAAGTACG"], rc_average=True)
    np.testing.assert_allclose(1 / (1 + np.exp(-z_ref)), expected, rtol=1e-5)
    assert z_alt.shape == (2, len(TASKS))


def test_an_invalid_letter_of_a_short_pair_is_placed_in_its_record():
    """Pairs shorter than the model are padded with N first; the error still counts from
    the record's own first base."""
    from genas.analysis.variants.sources import VepSummary, pair_batches

    with pytest.raises(InputError, match=r"record '0': invalid letter '\*' at position 5 "):
        list(pair_batches(["ACGT*"], ["ACGTA"], 40, VepSummary()))


def test_real_ctcf_pairs_differ_at_the_window_centre(setup, shared_data):
    """The 396 real CTCF ASB pairs (100 bp, differing at 0-based 49) cropped to L = 11: the
    middle 11 bases start at (100 - 11) // 2 = 44, so the variant lands at index 5 = L // 2."""
    from genas.analysis.variants.sources import VepSummary, pair_batches

    folder = shared_data / "ctcf_allele_specific"
    ref, alt = folder / "CTCF_nonbinding_alleles.fa", folder / "CTCF_binding_alleles.fa"
    summary = VepSummary()
    differing = set()
    for batch in pair_batches(ref, alt, L, summary, batch_size=128):
        n = len(batch)
        changed = (batch.x[:n] != batch.x[n:]).any(axis=1)  # (n, L)
        differing |= {tuple(np.flatnonzero(row)) for row in changed}
    assert summary.scored == 396
    assert differing == {(L // 2,)}
    table = score_pairs(setup["model"], ref, alt, device="cpu", wide=True)
    assert len(table) == 396 and table["taskA.diff"].abs().max() > 0
