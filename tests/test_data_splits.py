import numpy as np
import pytest

from genas.config import TableData
from genas.data import ArrayDataset, DataSplits, hold_out, load_splits
from genas.errors import ConfigError, InputError
from genas.seq import encode


def test_hold_out_fractions_are_disjoint_and_seeded():
    x = encode(["ACGT"] * 100)
    y = np.arange(100, dtype=np.float32)[:, None]
    splits = DataSplits(ArrayDataset(x, y), None, None, ["t"], None, 4)
    a = hold_out(splits, 0.2, 0.1, seed=0)
    assert (len(a.train), len(a.valid), len(a.test)) == (70, 20, 10)
    ids = np.concatenate([a.train.y[:, 0], a.valid.y[:, 0], a.test.y[:, 0]])
    assert sorted(ids.tolist()) == list(range(100))
    b = hold_out(splits, 0.2, 0.1, seed=0)
    np.testing.assert_array_equal(a.valid.y, b.valid.y)
    c = hold_out(splits, 0.2, 0.0, seed=0)
    assert c.test is None and len(c.train) == 80


def test_task_groups_config(tmp_path):
    (tmp_path / "t.csv").write_text(
        "sequence,a,b\n" + "".join(f"ACGT,{i % 2},{(i // 2) % 2}\n" for i in range(20))
    )
    base = {"format": "table", "train": tmp_path / "t.csv"}
    cfg = TableData.model_validate({**base, "task_groups": {"G": ["a", "b"]}})
    assert load_splits(cfg, seed=0).task_groups == {"G": ["a", "b"]}
    cfg = TableData.model_validate({**base, "task_groups": {"G": ["a", "zz"]}})
    with pytest.raises(ConfigError, match=r"data.task_groups.G: unknown task\(s\) 'zz'"):
        load_splits(cfg, seed=0)


def test_constant_task_is_an_error(tmp_path):
    (tmp_path / "t.csv").write_text("sequence,a\n" + "ACGT,1\n" * 10)
    with pytest.raises(InputError, match=r"task 'a' has the single label value 1 "):
        load_splits(
            TableData.model_validate({"format": "table", "train": tmp_path / "t.csv"}), seed=0
        )


def test_a_constant_regression_target_warns_and_loads(tmp_path):
    rows = "".join(f"ACGT,{i / 10},0.0\n" for i in range(10))
    (tmp_path / "t.csv").write_text("sequence,a,flat\n" + rows)
    cfg = TableData.model_validate(
        {"format": "table", "train": tmp_path / "t.csv", "task_type": "regression"}
    )
    with pytest.warns(UserWarning,
                      match=r"1 task\(s\) with a constant or no known target .*: flat;"):
        splits = load_splits(cfg, seed=0)
    assert splits.task_names == ["a", "flat"]
