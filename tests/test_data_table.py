import gzip

import numpy as np
import pytest

from genas.config import TableData
from genas.data import load_splits
from genas.errors import InputError
from genas.seq import decode


def cfg(path, **kw):
    return TableData.model_validate({"format": "table", "train": path, **kw})


def test_tsv_gz_with_id_column(tmp_path):
    path = tmp_path / "t.tsv.gz"
    rows = ["id\tsequence\ta\tb"] + [
        f"s{i}\t{'ACGT'[i % 4] * 6}\t{i % 2}\t{float(i > 6)}" for i in range(10)
    ]
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(rows) + "\n")
    splits = load_splits(cfg(path, id_column="id", valid_fraction=0.2, test_fraction=0), seed=0)
    assert splits.task_names == ["a", "b"] and splits.input_length == 6
    assert len(splits.train) == 8 and len(splits.valid) == 2 and splits.test is None
    y = np.concatenate([splits.train.y, splits.valid.y])
    assert sorted(y[:, 1].tolist()) == [0.0] * 7 + [1.0] * 3
    assert y.dtype == np.float32


def test_csv_label_columns_and_split_files(tmp_path):
    (tmp_path / "tr.csv").write_text("sequence,x,y,z\nACGT,1,0,9\nAAAA,0,1,9\nCCCC,1,1,9\n")
    (tmp_path / "te.csv").write_text("z,y,x,sequence\n9,1,0,GGGGGG\n")
    splits = load_splits(
        cfg(
            tmp_path / "tr.csv",
            test=tmp_path / "te.csv",
            label_columns=["x", "y"],
            valid_fraction=0,
            length=4,
            fit_length="crop_or_pad",
        ),
        seed=0,
    )
    assert splits.task_names == ["x", "y"]
    np.testing.assert_array_equal(splits.train.y, [[1, 0], [0, 1], [1, 1]])
    np.testing.assert_array_equal(splits.test.y, [[0, 1]])
    assert decode(splits.test.x[0]) == "GGGG"


def test_errors(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("sequence,label\nACGT,1\nACGT,yes\n")
    with pytest.raises(InputError) as info:
        load_splits(cfg(path), seed=0)
    assert str(info.value).startswith(f"{path}:3: label column 'label': 'yes'")
    path.write_text("seq,label\nACGT,1\n")
    with pytest.raises(InputError, match=r"no column 'sequence'; available: 'seq', 'label'"):
        load_splits(cfg(path), seed=0)
    path.write_text("sequence,label\nACGT,1\nACG,0\n")
    with pytest.raises(InputError, match=r"t\.csv: record 't\.csv:3' is 3 bp, expected 4"):
        load_splits(cfg(path), seed=0)
    path.write_text("sequence,label\n")
    with pytest.raises(InputError, match="no rows"):
        load_splits(cfg(path), seed=0)
    bad = tmp_path / "t.xlsx"
    bad.write_text("")
    with pytest.raises(InputError, match="unknown table extension"):
        load_splits(cfg(bad), seed=0)


@pytest.mark.parametrize("value", ["0.5", "2", "-1", "nan", "inf"])
def test_labels_other_than_0_or_1_are_refused_before_training(tmp_path, value):
    path = tmp_path / "t.tsv"
    path.write_text(f"sequence\tkeep\tscore\nACGT\t1\t0\nACGT\t0\t{value}\n")
    with pytest.raises(InputError) as info:
        load_splits(cfg(path), seed=0)
    assert str(info.value).startswith(f"{path}:3: label column 'score': '{value}' is not 0 or 1")
