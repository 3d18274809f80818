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


def test_an_empty_sequence_is_refused_with_its_line(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("sequence\ta\nACGT\t1\n\t0\n")
    with pytest.raises(InputError, match=r"t.tsv:3: empty sequence in column 'sequence'"):
        load_splits(cfg(path, fit_length="pad", length=4), seed=0)


def test_a_task_named_twice_is_refused(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("sequence\ta\ta\nACGT\t1\t0\nAAAA\t0\t1\n")
    with pytest.raises(InputError, match=r"t.tsv: task name\(s\) 'a' given twice"):
        load_splits(cfg(path, valid_fraction=0, test_fraction=0), seed=0)
    path.write_text("sequence\ta\tb\nACGT\t1\t0\nAAAA\t0\t1\n")
    with pytest.raises(InputError, match="'a' given twice"):
        load_splits(cfg(path, label_columns=["a", "a"], valid_fraction=0, test_fraction=0), 0)


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
    with pytest.raises(InputError, match=r"t\.csv:3: record 't\.csv:3' is 3 bp, expected 4"):
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


# ------------------------------------------------------------------ task types


def _table(tmp_path, name: str, rows: list[str], header: str = "sequence\tscore") -> str:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.mark.parametrize(
    ("value", "hint"),
    [("0.5", "regression for numbers"), ("2", "multiclass for class labels"),
     ("high", "multiclass for class names")],
)
def test_binary_labels_say_which_task_type_fits(tmp_path, value, hint):
    path = _table(tmp_path, "t.tsv", ["ACGT\t1", f"ACGT\t{value}"])
    with pytest.raises(InputError) as info:
        load_splits(cfg(path), seed=0)
    message = str(info.value)
    assert message.startswith(f"{path}:3: label column 'score'") and hint in message
    assert "\n" not in message


def test_regression_table_reads_numbers_and_unknowns(tmp_path):
    rows = ["ACGT\t1.5\t-2", "AAAA\tNA\t0.25", "CCCC\t3e2\t", "GGGG\t0\t7"]
    path = _table(tmp_path, "t.tsv", rows, header="sequence\ta\tb")
    splits = load_splits(cfg(path, task_type="regression", valid_fraction=0, test_fraction=0), 0)
    assert splits.task_type == "regression" and splits.class_names is None
    np.testing.assert_array_equal(
        splits.train.y, [[1.5, -2], [np.nan, 0.25], [300, np.nan], [0, 7]]
    )


@pytest.mark.parametrize("value", ["high", "inf", "1,5"])
def test_regression_refuses_non_numbers_naming_file_line_and_column(tmp_path, value):
    path = _table(tmp_path, "t.tsv", ["ACGT\t1.5", "AAAA\t2", f"CCCC\t{value}"])
    with pytest.raises(InputError) as info:
        load_splits(cfg(path, task_type="regression"), seed=0)
    assert str(info.value).startswith(f"{path}:4: label column 'score': ")
    assert "not a finite number" in str(info.value)


def test_log1p_transform_and_its_bad_input(tmp_path):
    path = _table(tmp_path, "t.tsv", ["ACGT\t0", "AAAA\t9", "CCCC\t99"])
    config = cfg(path, task_type="regression", target_transform="log1p", valid_fraction=0,
                 test_fraction=0)  # fmt: skip
    splits = load_splits(config, seed=0)
    np.testing.assert_allclose(splits.train.y[:, 0], np.log1p([0, 9, 99]), rtol=1e-6)
    assert splits.target_transform == "log1p"
    path.write_text("sequence\tscore\nACGT\t0\nAAAA\t-1\n")
    with pytest.raises(InputError, match="log1p needs targets > -1; task 'score' holds -1"):
        load_splits(config, seed=0)


def test_multiclass_names_sorted_and_unseen_class_refused(tmp_path):
    rows = ["ACGT\tOct4", "AAAA\tMafK", "CCCC\tbackground", "GGGG\tOct4", "TTTT\t"]
    train = _table(tmp_path, "tr.tsv", rows, header="sequence\tfactor")
    test = _table(tmp_path, "te.tsv", ["ACGT\tMafK", "ACGT\tCTCF"], header="sequence\tfactor")
    config = cfg(train, task_type="multiclass", valid_fraction=0, test=str(test))
    with pytest.raises(InputError) as info:
        load_splits(config, seed=0)
    assert str(info.value).startswith(f"{test}:3: label column 'factor': class 'CTCF' was not")
    test.write_text("sequence\tfactor\nACGT\tMafK\n")
    splits = load_splits(config, seed=0)
    assert splits.class_names == ["MafK", "Oct4", "background"]
    np.testing.assert_array_equal(splits.train.y[:, 0], [1, 0, 2, 1, np.nan])
    np.testing.assert_array_equal(splits.test.y, [[0]])


def test_multiclass_integers_config_classes_and_bad_tables(tmp_path):
    path = _table(tmp_path, "t.tsv", ["ACGT\t0", "AAAA\t2", "CCCC\t1"])
    splits = load_splits(cfg(path, task_type="multiclass", valid_fraction=0, test_fraction=0), 0)
    assert splits.class_names == ["0", "1", "2"]
    np.testing.assert_array_equal(splits.train.y[:, 0], [0, 2, 1])
    path.write_text("sequence\tscore\nACGT\t0\nAAAA\tOct4\n")
    with pytest.raises(InputError, match=r":3: label column 'score': mixed label kinds"):
        load_splits(cfg(path, task_type="multiclass"), seed=0)
    path.write_text("sequence\tscore\nACGT\tb\nAAAA\tz\n")
    with pytest.raises(InputError, match=r":3: .*class 'z' is not in data.class_names"):
        load_splits(cfg(path, task_type="multiclass", class_names=["a", "b"]), seed=0)
    path.write_text("sequence\ta\tb\nACGT\tx\ty\n")
    with pytest.raises(InputError, match="multiclass takes one label column, found 2"):
        load_splits(cfg(path, task_type="multiclass"), seed=0)
