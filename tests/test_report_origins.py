"""The report names a sequence by its record and numbers its bases in the record's own
coordinates: the data sources keep each row's origin (name, chromosome, first position)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from genas.config import BedData, FastaData, Hdf5Data, TableData
from genas.data import load_splits, write_hdf5
from genas.data.origins import SequenceOrigins
from genas.seq import decode
from genas.seq.fasta import FastaRecord, write_fasta
from genas.workflows.report_run import _sequence_names


def random_dna(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list("ACGT"), n))


def test_fasta_rows_keep_their_record_and_position(tmp_path: Path):
    rng = np.random.default_rng(0)
    lengths = [30, 41, 17, 30] * 5  # centre-cropped, padded and as they are
    records = [FastaRecord(f"peak_{i}", random_dna(rng, n)) for i, n in enumerate(lengths)]
    write_fasta(tmp_path / "pos.fa", records)
    negatives = [FastaRecord(f"bg_{i}", random_dna(rng, 30)) for i in range(20)]
    write_fasta(tmp_path / "neg.fa", negatives)
    cfg = FastaData.model_validate({
        "format": "fasta", "task": "t", "length": 30, "fit_length": "crop_or_pad",
        "train": {"positives": [tmp_path / "pos.fa"], "negatives": [tmp_path / "neg.fa"],
                  "shuffled_negatives": 1},
        "valid_fraction": 0.25, "test_fraction": 0.25,
    })  # fmt: skip
    splits = load_splits(cfg, seed=1)
    by_name = {r.name: r.sequence for r in records}
    seen = 0
    for dataset in (splits.train, splits.valid, splits.test):  # held-out rows keep theirs too
        rows = np.arange(len(dataset))
        origins = dataset.origins_of(rows)
        x = dataset.get_batch(rows)[0]
        for k in rows:
            name, start = origins.names[k], int(origins.starts[k])
            if name not in by_name:  # a negative or a shuffled positive (`peak_3|shuffle0`)
                assert name.startswith(("bg_", "peak_"))
                continue
            seen += 1
            record = by_name[name]
            # column j holds record base start + j (1-based); columns outside it are padding
            for j in range(30):
                base = start - 1 + j
                column = x[k][:, j]
                if 0 <= base < len(record):
                    assert "ACGT"[int(column.argmax())] == record[base] and column.sum() == 1
                else:
                    assert column.sum() == 0, name
            assert origins.label(k, 30) == name
    assert seen == len(records)
    assert {int(s) for s in splits.train.origins.starts} >= {1, 6, -5}  # 41 bp: 1 + 5; 17: 1 - 6


def test_bed_rows_keep_their_genomic_interval(tmp_path: Path):
    rng = np.random.default_rng(1)
    chroms = {"chr1": random_dna(rng, 3000), "chr2": random_dna(rng, 3000)}
    (tmp_path / "g.fa").write_text("".join(f">{c}\n{s}\n" for c, s in chroms.items()))
    bed = [("chr1", 1000 + 100 * i, 1020 + 100 * i, f"peak_{i}") for i in range(10)]
    bed += [("chr2", 500, 520, "peak_x")]
    (tmp_path / "i.bed").write_text("".join("\t".join(map(str, b)) + "\n" for b in bed))
    (tmp_path / "p.bed").write_text("chr1\t1000\t1500\n")
    cfg = BedData.model_validate({
        "format": "bed", "intervals": tmp_path / "i.bed", "genome": tmp_path / "g.fa",
        "peaks": {"p": tmp_path / "p.bed"}, "length": 40, "valid_chroms": [],
        "test_chroms": ["chr2"], "valid_fraction": 0.2,
    })  # fmt: skip
    splits = load_splits(cfg, seed=0)
    origins = splits.test.origins_of(np.arange(1))
    # chr2:500-520 resized to 40 bp around its centre: BED 490-530, 491-530 in a browser
    assert origins.label(0, 40) == "chr2:491-530 (+) peak_x"
    columns = {key: list(values) for key, values in origins.columns(40).items()}
    assert columns == {  # as BED: what `genas evaluate --predictions` writes
        "chrom": ["chr2"], "start": [490], "end": [530], "name": ["peak_x"], "strand": ["+"]
    }  # fmt: skip
    assert decode(splits.test.get_batch(np.arange(1))[0][0]) == chroms["chr2"][490:530]
    labels, starts, xlabel = _sequence_names(splits.train, np.arange(3), "test", 40)
    assert all(label.startswith("chr1:") and " (+) peak_" in label for label in labels)
    for label, start in zip(labels, starts, strict=True):
        assert label.startswith(f"chr1:{start:,}-{start + 39:,} (+)")
    assert xlabel.startswith("genomic position")


def test_table_and_hdf5_rows_keep_their_names(tmp_path: Path):
    rng = np.random.default_rng(2)
    rows = [(f"id{i}", random_dna(rng, 12), i % 2) for i in range(20)]
    (tmp_path / "t.tsv").write_text(
        "id\tsequence\ty\n" + "".join(f"{a}\t{s}\t{y}\n" for a, s, y in rows)
    )
    cfg = TableData.model_validate({"format": "table", "train": tmp_path / "t.tsv",
                                    "id_column": "id", "test_fraction": 0.3})  # fmt: skip
    splits = load_splits(cfg, seed=0)
    test_names = list(splits.test.origins_of(np.arange(len(splits.test))).names)
    assert len(test_names) == 6 and set(test_names) <= {r[0] for r in rows}

    x = splits.train.get_batch(np.arange(len(splits.train)))[0]
    y = np.arange(len(x))[:, None] % 2
    names = [f"seq{i}" for i in range(len(x))]
    write_hdf5(tmp_path / "d.h5", x, y.astype(np.float32), ["y"], names=names)
    write_hdf5(tmp_path / "n.h5", x, y.astype(np.float32), ["y"])  # no names
    h5 = load_splits(Hdf5Data.model_validate({"format": "hdf5", "train": tmp_path / "d.h5",
                                              "test_fraction": 0.3}), seed=0)  # fmt: skip
    test = h5.test
    got = test.origins_of(np.array([0, 2]))
    assert list(got.names) == [names[r] for r in test.rows[[0, 2]]]
    assert list(got.starts) == [1, 1]
    bare = load_splits(Hdf5Data.model_validate({"format": "hdf5", "train": tmp_path / "n.h5",
                                                "test_fraction": 0.3}), seed=0)  # fmt: skip
    labels, starts, xlabel = _sequence_names(bare.test, np.array([4, 1]), "test", 12)
    assert labels == ["test sequence 4", "test sequence 1"]  # no names: the row of the split
    assert list(starts) == [1, 1] and xlabel == "position in the sequence (1-based)"


def test_origins_take_and_concatenate():
    named = SequenceOrigins.of_records(["a", "b"], [10, 14], 10)
    genomic = SequenceOrigins.of_intervals(["chr1"], [1_234_566], ["+"], [None])
    both = SequenceOrigins.concatenate([named, genomic])
    assert list(both.names) == ["a", "b", None] and list(both.starts) == [1, 3, 1_234_567]
    assert list(both.chroms) == [None, None, "chr1"]
    picked = both.take(np.array([2, 0]))
    assert picked.label(0, 101) == "chr1:1,234,567-1,234,667 (+)"
    assert picked.label(1, 10) == "a"
    assert {k: list(v) for k, v in named.columns(10).items()} == {"name": ["a", "b"]}
    columns = {k: list(v) for k, v in genomic.columns(101).items()}
    assert columns == {
        "chrom": ["chr1"], "start": [1_234_566], "end": [1_234_667], "name": [""],
        "strand": ["+"],
    }  # fmt: skip
    with pytest.raises(ValueError, match="origins"):
        from genas.data import ArrayDataset

        ArrayDataset(np.zeros((3, 4, 10), np.uint8), np.zeros((3, 1)), named)
