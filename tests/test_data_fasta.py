import numpy as np
import pytest

from genas.config import FastaData
from genas.data import load_splits
from genas.errors import InputError
from genas.seq import decode, write_fasta


def nfe2_config(root, **overrides):
    d = root / "nfe2_gm12878"
    raw = {
        "format": "fasta",
        "task": "NFE2",
        "train": {"positives": [d / "nfe2.tr.fa"], "negatives": [d / "nfe2.neg.tr.fa"]},
        "test": {"positives": [d / "nfe2.test.fa"], "negatives": [d / "nfe2.neg.test.fa"]},
        "length": 250,
        "fit_length": "pad",
    }
    raw.update(overrides)
    return FastaData.model_validate(raw)


def test_nfe2_real_data(shared_data):
    splits = load_splits(nfe2_config(shared_data), seed=3)
    assert splits.task_names == ["NFE2"] and splits.input_length == 250
    assert len(splits.train) + len(splits.valid) == 1288
    assert len(splits.valid) == round(0.1 * 1288)
    assert len(splits.test) == 138
    assert splits.test.y.sum() == 69 and splits.test.y.shape == (138, 1)
    assert splits.train.y.sum() + splits.valid.y.sum() == 644
    # The first test positive is chr1:... of nfe2.test.fa: check it is centre-padded.
    x0 = splits.test.x[0]
    filled = np.flatnonzero(x0.sum(axis=0) > 0)
    n = len(filled)
    assert filled[0] == (250 - n) // 2 and filled[-1] == filled[0] + n - 1
    first_seq = (shared_data / "nfe2_gm12878/nfe2.test.fa").read_text().splitlines()[1]
    assert decode(x0[:, filled]) == first_seq.upper()
    # Seeded: the same seed gives the same hold-out.
    again = load_splits(nfe2_config(shared_data), seed=3)
    np.testing.assert_array_equal(again.valid.x, splits.valid.x)
    other = load_splits(nfe2_config(shared_data), seed=4)
    assert not np.array_equal(other.valid.x, splits.valid.x)


def test_nfe2_length_errors(shared_data):
    with pytest.raises(InputError) as info:
        load_splits(nfe2_config(shared_data, length=240), seed=0)
    message = str(info.value)
    assert "nfe2.tr.fa" in message and "247 bp, expected 240" in message
    expected = r"nfe2\.tr\.fa:\d+: record .* bp, expected 236 \(the length of 'chr10:22605206"
    with pytest.raises(InputError, match=expected):
        load_splits(nfe2_config(shared_data, length=None, fit_length="error"), seed=0)
    splits = load_splits(nfe2_config(shared_data, length=240, fit_length="crop_or_pad"), seed=0)
    assert splits.train.x.shape[1:] == (4, 240)


def test_shuffled_negatives(tmp_path):
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(20)]
    write_fasta(tmp_path / "pos.fa", [(f"p{i}", s) for i, s in enumerate(seqs)])
    cfg = FastaData.model_validate(
        {
            "format": "fasta",
            "train": {"positives": [tmp_path / "pos.fa"], "shuffled_negatives": 2},
            "valid_fraction": 0,
            "test_fraction": 0,
        }
    )
    splits = load_splits(cfg, seed=0)
    assert len(splits.train) == 60 and splits.train.y.sum() == 20
    assert splits.valid is None and splits.test is None
    negatives = decode(splits.train.x[20:])
    for i, seq in enumerate(seqs):
        for k in range(2):
            shuffled = negatives[k * 20 + i]
            assert sorted(shuffled) == sorted(seq) and shuffled[0] == seq[0]


def test_bad_letter_and_empty_file(tmp_path):
    (tmp_path / "pos.fa").write_text(">p1\nACGT\n>p2\nACZT\n")
    (tmp_path / "neg.fa").write_text(">n1\nACGT\n")
    raw = {
        "format": "fasta",
        "train": {"positives": [tmp_path / "pos.fa"], "negatives": [tmp_path / "neg.fa"]},
    }
    with pytest.raises(InputError, match=r"pos\.fa:3: record 'p2': invalid letter 'Z'"):
        load_splits(FastaData.model_validate(raw), seed=0)
    (tmp_path / "neg.fa").write_text("")
    (tmp_path / "pos.fa").write_text(">p1\nACGT\n")
    with pytest.raises(InputError, match=r"neg\.fa: no FASTA records"):
        load_splits(FastaData.model_validate(raw), seed=0)
