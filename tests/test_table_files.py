"""Table files by extension: the format names, and chunks appended to every format."""

import gzip

import h5py
import numpy as np
import pandas as pd
import pytest

from genas.errors import InputError
from genas.table_files import TableWriter, open_table, output_format


def test_output_format_by_extension(tmp_path):
    assert output_format("x.TSV") == "tsv" and output_format("x.hdf5") == "hdf5"
    assert output_format("a/x.tsv.gz") == "tsv.gz" and output_format("x.pq") == "parquet"
    for name in ("x.csv", "x.parquet.gz", "noext"):
        with pytest.raises(InputError, match="unknown output format"):
            output_format(tmp_path / name)


@pytest.mark.parametrize("name", ["t.tsv", "t.tsv.gz", "t.parquet"])
def test_frames_are_appended_under_one_header(tmp_path, name):
    writer = TableWriter(tmp_path / name, output_format(name))
    writer.write_frame(pd.DataFrame({"name": ["a", "b"], "x": [0.1234567, 2.0]}))
    writer.write_frame(pd.DataFrame({"name": ["c"], "x": [3.5]}))
    writer.close()
    writer.close()  # a second close does nothing
    if name.endswith(".parquet"):
        frame = pd.read_parquet(tmp_path / name)
    else:
        frame = pd.read_csv(tmp_path / name, sep="\t")
    assert frame["name"].tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(frame["x"], [0.1234567, 2.0, 3.5], rtol=1e-5)
    if name.endswith(".gz"):
        with gzip.open(tmp_path / name, "rt") as handle:
            lines = handle.read().splitlines()
        assert lines == ["name\tx", "a\t0.123457", "b\t2", "c\t3.5"]


def test_hdf5_datasets_grow_by_rows(tmp_path):
    writer = TableWriter(tmp_path / "t.h5", "hdf5")
    writer.append("name", np.array(["a", "b"], dtype=object))
    writer.append("values", np.ones((2, 3)), np.float32)
    writer.append("name", np.array(["c"], dtype=object))
    writer.append("values", np.full((1, 3), 2.0), np.float32)
    writer.put_text("task_names", ["x", "y", "z"], note="kept")
    writer.put_text("task_names", ["other"], note="changed")  # written once
    writer.close()
    with h5py.File(tmp_path / "t.h5") as h5:
        assert [v.decode() for v in h5["name"][:]] == ["a", "b", "c"]
        assert h5["values"].dtype == np.float32 and h5["values"].shape == (3, 3)
        assert h5["values"][2].tolist() == [2.0, 2.0, 2.0] and h5.attrs["note"] == "kept"
        assert [v.decode() for v in h5["task_names"][:]] == ["x", "y", "z"]


def test_open_table_writes_the_file_only_when_the_block_succeeds(tmp_path):
    with pytest.raises(RuntimeError), open_table(tmp_path / "t.tsv") as table:
        table.write_frame(pd.DataFrame({"a": [1]}))
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with open_table(tmp_path / "t.tsv") as table:
        table.write_frame(pd.DataFrame({"a": [1]}))
    assert (tmp_path / "t.tsv").read_text() == "a\n1\n"
    with pytest.raises(InputError, match="unknown output format"), open_table(tmp_path / "t.csv"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.tsv"]
