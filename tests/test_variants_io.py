"""Effects files: TSV (+gz), Parquet and HDF5, long and wide, written atomically, read back."""

from __future__ import annotations

import h5py
import numpy as np
import pandas as pd
import pytest

from genas.analysis.variants import (
    SCORES,
    effect_scores,
    open_effects_writer,
    read_effects,
)
from genas.analysis.variants.sources import VARIANT_KEYS
from genas.errors import InputError

TASKS = ["t1", "t.2"]


def chunks():
    rng = np.random.default_rng(0)
    for start, n in ((0, 3), (3, 2)):
        keys = {
            "chrom": ["chr1"] * n,
            "pos": np.arange(start, start + n, dtype=np.int64) + 10,
            "id": [f"v{i}" for i in range(start, start + n)],
            "ref": ["A"] * n,
            "alt": ["G"] * n,
            "ref_match": np.array([True] * (n - 1) + [False]),
        }
        yield keys, effect_scores(rng.random((n, 2)), rng.random((n, 2)))


def write(path, wide=False):
    parts = list(chunks())
    with open_effects_writer(path, TASKS, VARIANT_KEYS, wide) as writer:
        for keys, scores in parts:
            writer.write(keys, scores)
    return parts


@pytest.mark.parametrize("name", ["e.tsv", "e.tsv.gz", "e.parquet", "e.h5"])
@pytest.mark.parametrize("wide", [False, True])
def test_round_trip_every_format(tmp_path, name, wide):
    parts = write(tmp_path / name, wide)
    diff = np.concatenate([s["diff"] for _, s in parts])
    for t, task in enumerate(TASKS):
        table = read_effects(tmp_path / name, task, "diff")
        assert table["pos"].tolist() == [10, 11, 12, 13, 14]
        assert table["id"].astype(str).tolist() == ["v0", "v1", "v2", "v3", "v4"]
        assert table["ref_match"].tolist() == [True, True, False, True, False]
        np.testing.assert_allclose(table["diff"], diff[:, t], rtol=1e-5)


def test_long_and_wide_columns(tmp_path):
    write(tmp_path / "long.tsv")
    write(tmp_path / "wide.tsv", wide=True)
    long = pd.read_csv(tmp_path / "long.tsv", sep="\t")
    wide = pd.read_csv(tmp_path / "wide.tsv", sep="\t")
    assert list(long.columns) == [*VARIANT_KEYS, "task", *SCORES]
    assert len(long) == 10 and long["task"].tolist()[:2] == TASKS
    assert list(wide.columns[:6]) == list(VARIANT_KEYS)
    assert list(wide.columns[6:]) == [f"{t}.{s}" for t in TASKS for s in SCORES]
    with h5py.File(write_h5(tmp_path), "r") as h5:
        assert h5["diff"].shape == (5, 2) and h5["pos"].shape == (5,)
        assert [t.decode() for t in h5["task_names"][:]] == TASKS


def write_h5(tmp_path):
    write(tmp_path / "e.h5")
    return tmp_path / "e.h5"


@pytest.mark.parametrize("name", ["e.tsv", "e.parquet", "e.h5"])
def test_empty_output_is_a_valid_file(tmp_path, name):
    with open_effects_writer(tmp_path / name, TASKS, VARIANT_KEYS):
        pass
    assert read_effects(tmp_path / name, "t1").empty


def test_failed_write_leaves_no_file(tmp_path):
    with (
        pytest.raises(RuntimeError),
        open_effects_writer(tmp_path / "e.tsv", TASKS, VARIANT_KEYS) as writer,
    ):
        keys, scores = next(chunks())
        writer.write(keys, scores)
        raise RuntimeError("model failed")
    assert list(tmp_path.iterdir()) == []


def test_bad_names(tmp_path):
    write(tmp_path / "e.tsv")
    with pytest.raises(InputError, match="unknown task 'nope'"):
        read_effects(tmp_path / "e.tsv", "nope")
    with pytest.raises(InputError, match="unknown score"):
        read_effects(tmp_path / "e.tsv", "t1", "bogus")
    with pytest.raises(InputError, match="file not found"):
        read_effects(tmp_path / "absent.tsv", "t1")
