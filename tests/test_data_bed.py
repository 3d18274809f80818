import numpy as np
import pytest

from genas.config import BedData
from genas.data import load_splits
from genas.data.source_bed import covered_bins
from genas.errors import InputError
from genas.seq import Interval, decode


@pytest.fixture
def genome(tmp_path):
    rng = np.random.default_rng(0)
    seqs = {c: "".join(rng.choice(list("ACGT"), 400)) for c in ("chr1", "chr2", "chr7", "chr8")}
    path = tmp_path / "g.fa"
    path.write_text("".join(f">{c}\n{s}\n" for c, s in seqs.items()))
    return path, seqs


def write(path, lines):
    path.write_text("".join("\t".join(map(str, line)) + "\n" for line in lines))
    return path


def test_bed_source_labels_and_chrom_split(tmp_path, genome):
    genome_path, seqs = genome
    # Intervals of 20 bp; resized to 40 bp; target bin = central 20 bp.
    intervals = write(
        tmp_path / "i.bed",
        [
            ("chr1", 100, 120),
            ("chr1", 200, 220),
            ("chr2", 50, 70),
            ("chr2", 300, 320),
            ("chr7", 10, 30),
            ("chr8", 385, 405),
            ("chr2", 150, 170),
            ("chr1", 0, 20),
        ],
    )
    # Task a: covers chr1:100-120 fully, chr2:300-320 by 10 bp (= 0.5 × 20), chr7 by 9 bp.
    peaks_a = write(
        tmp_path / "a.bed",
        [
            ("chr1", 90, 130),
            ("chr2", 310, 400),
            ("chr7", 21, 60),
            ("chr1", 0, 10),
        ],
    )
    peaks_b = write(tmp_path / "b.bed", [("chr2", 150, 170), ("chr8", 380, 399)])
    cfg = BedData.model_validate(
        {
            "format": "bed",
            "intervals": intervals,
            "genome": genome_path,
            "peaks": {"a": peaks_a, "b": peaks_b},
            "length": 40,
            "target_bin": 20,
            "min_overlap": 0.5,
            "valid_chroms": ["chr7"],
            "test_chroms": ["chr8"],
        }
    )
    splits = load_splits(cfg, seed=0)
    assert splits.task_names == ["a", "b"] and splits.input_length == 40
    assert len(splits.train) == 6 and len(splits.valid) == 1 and len(splits.test) == 1
    # train order: chr1:100, chr1:200, chr2:50, chr2:300, chr2:150, chr1:0
    np.testing.assert_array_equal(splits.train.y[:, 0], [1, 0, 0, 1, 0, 1])
    np.testing.assert_array_equal(splits.train.y[:, 1], [0, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(splits.valid.y, [[0, 0]])
    np.testing.assert_array_equal(splits.test.y, [[0, 1]])
    assert decode(splits.train.x[0]) == seqs["chr1"][90:130]
    # chr1:0-20 resized to -10..30: 10 N columns first.
    np.testing.assert_array_equal(splits.train.x[5][:, :10], 1)
    # chr8:385-405 resized to 375..415 runs 15 bp past the end (400 bp).
    assert decode(splits.test.x[0]) == seqs["chr8"][375:] + "N" * 15


def test_covered_bins_matches_brute_force():
    rng = np.random.default_rng(1)
    starts = rng.integers(0, 1000, 300)
    peaks = [
        Interval(c, int(s), int(s + rng.integers(1, 120)))
        for c, s in zip(rng.choice(["a", "b"], 300), starts, strict=True)
    ]
    chroms = rng.choice(["a", "b", "c"], 500).astype(object)
    b0 = rng.integers(0, 1000, 500)
    for need in (1, 10, 25):
        got = covered_bins(chroms, b0, b0 + 25, peaks, need)
        want = [
            any(p.chrom == c and min(p.end, s + 25) - max(p.start, s) >= need for p in peaks)
            for c, s in zip(chroms, b0, strict=True)
        ]
        np.testing.assert_array_equal(got, want)


def test_bed_source_errors(tmp_path, genome):
    genome_path, seqs = genome
    peaks = write(tmp_path / "p.bed", [("chr1", 0, 10)])
    intervals = write(tmp_path / "i.bed", [("chr1", 0, 10), ("chrUn", 5, 15)])
    raw = {
        "format": "bed",
        "intervals": intervals,
        "genome": genome_path,
        "peaks": {"p": peaks},
        "length": 20,
    }
    with pytest.raises(InputError) as info:
        load_splits(BedData.model_validate(raw), seed=0)
    assert str(info.value).startswith(f"{intervals}:2: chromosome 'chrUn' is not in the genome")
    intervals.write_text("chr1\t0\t10\nchr1\t50\t40\n")
    with pytest.raises(InputError, match=r"i\.bed:2: start 50 > end 40"):
        load_splits(BedData.model_validate(raw), seed=0)
    intervals.write_text("chr1\t100\t110\nchr2\t100\t110\n")
    with pytest.raises(InputError, match="task 'p' has no positives in the train split"):
        load_splits(BedData.model_validate({**raw, "valid_chroms": [], "test_chroms": []}), 0)
    peaks.write_text("")
    with pytest.raises(InputError, match=r"p\.bed: no peaks \(the peak BED of task 'p'\)"):
        load_splits(BedData.model_validate(raw), seed=0)
    peaks.write_text("chr1\t0\t10\n")
    intervals.write_text("chr1\t0\t10\nchr1\t100\t110\nchr2\t100\t110\n")
    with pytest.warns(UserWarning, match="no interval on 'chr99' of valid_chroms"):
        load_splits(BedData.model_validate({**raw, "valid_chroms": ["chr99"],
                                            "test_chroms": ["chr2"]}), 0)
    chr2 = seqs["chr2"][:104] + "R" + seqs["chr2"][105:]  # IUPAC R at chr2:105 (1-based)
    seqs = {**seqs, "chr2": chr2}
    genome_path.write_text("".join(f">{c}\n{s}\n" for c, s in seqs.items()))
    with pytest.raises(InputError, match=r"i\.bed:3: record 'chr2:100-110': invalid letter 'R' at "
                       r"chr2:105 of the genome g\.fa \(data\.invalid_bases: N"):
        load_splits(BedData.model_validate(raw), seed=0)
