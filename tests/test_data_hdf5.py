import h5py
import numpy as np
import pytest

from genas.config import Hdf5Data
from genas.data import (
    ArrayDataset,
    HDF5Dataset,
    load_splits,
    make_loader,
    read_hdf5_info,
    write_hdf5,
)
from genas.errors import InputError


def make(n=100, t=3, length=20, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 4, length), np.uint8)
    x[np.arange(n)[:, None], rng.integers(0, 4, (n, length)), np.arange(length)] = 1
    y = (rng.random((n, t)) < 0.5).astype(np.uint8)
    y[0], y[1] = 1, 0
    return x, y


def test_round_trip(tmp_path):
    x, y = make()
    names = [f"s{i}" for i in range(100)]
    write_hdf5(tmp_path / "d.h5", x, y, ["a", "b", "c"], task_groups=["g", "g", "h"], names=names)
    info = read_hdf5_info(tmp_path / "d.h5")
    assert (info.n, info.length, info.task_names) == (100, 20, ["a", "b", "c"])
    assert info.task_groups == ["g", "g", "h"] and info.names == names
    with h5py.File(tmp_path / "d.h5") as f:
        assert f.attrs["genas_format"] == 1 and f.attrs["alphabet"] == "ACGT"
        assert f["x"].compression == "gzip" and f["x"].chunks[0] <= 1024
    dataset = HDF5Dataset(tmp_path / "d.h5", chunk_size=16)
    xb, yb = dataset.get_batch(np.array([99, 0, 37, 16, 15]))
    np.testing.assert_array_equal(xb, x[[99, 0, 37, 16, 15]])
    np.testing.assert_array_equal(yb, y[[99, 0, 37, 16, 15]].astype(np.float32))
    xi, yi = dataset[42]
    np.testing.assert_array_equal(xi.numpy(), x[42])
    assert yi.dtype.is_floating_point
    lo, hi = dataset.label_range()
    np.testing.assert_array_equal(lo, 0)
    np.testing.assert_array_equal(hi, 1)


def test_chunked_reading_is_bounded(tmp_path):
    x, y = make(n=100)
    write_hdf5(tmp_path / "d.h5", x, y, ["a", "b", "c"])
    dataset = HDF5Dataset(tmp_path / "d.h5", chunk_size=10)
    calls = []
    original = dataset._read_span

    def spy(handle, lo, hi, with_x=True):
        calls.append(hi - lo)
        return original(handle, lo, hi, with_x)

    dataset._read_span = spy
    order = []
    for xb, _ in make_loader(dataset, 5, shuffle=True, seed=0):
        order.append(xb.numpy())
    assert max(calls) <= 10 and len(calls) == 10  # each chunk read once
    got = np.concatenate(order)
    assert sorted(map(bytes, got)) == sorted(map(bytes, x))
    sub = dataset.subset(np.arange(0, 100, 7))
    np.testing.assert_array_equal(sub.get_batch(np.arange(len(sub)))[0], x[::7])


def test_load_splits_hdf5(tmp_path):
    x, y = make(n=60)
    write_hdf5(tmp_path / "tr.h5", x, y, ["a", "b", "c"], task_groups=["g", "g", "h"])
    write_hdf5(tmp_path / "te.h5", x[:5], y[:5].astype(np.float32), ["a", "b", "c"])
    cfg = Hdf5Data.model_validate(
        {
            "format": "hdf5",
            "train": tmp_path / "tr.h5",
            "test": tmp_path / "te.h5",
            "chunk_size": 8,
            "length": 24,
            "fit_length": "pad",
        }
    )
    splits = load_splits(cfg, seed=0)
    assert splits.task_groups == {"g": ["a", "b"], "h": ["c"]}
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (54, 6, 5)
    assert splits.input_length == 24
    xt, _ = splits.test.get_batch(np.arange(5))
    np.testing.assert_array_equal(xt[:, :, 2:22], x[:5])
    assert xt[:, :, :2].sum() == 0
    override = cfg.model_copy(update={"task_groups": {"all": ["a", "b", "c"]}})
    assert load_splits(override, seed=0).task_groups == {"all": ["a", "b", "c"]}


def test_invalid_files(tmp_path):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros((3, 4, 5), np.float32)
        f["y"] = np.zeros((3, 1), np.uint8)
        f["task_names"] = np.array([b"a"])
    with pytest.raises(InputError, match=r"bad\.h5: 'x' must be uint8"):
        read_hdf5_info(path)
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros((3, 4, 5), np.uint8)
    with pytest.raises(InputError, match=r"missing dataset\(s\) y, task_names; found: x"):
        read_hdf5_info(path)
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros((3, 4, 5), np.uint8)
        f["y"] = np.zeros((3, 2), np.uint8)
        f["task_names"] = np.array([b"a"])
    with pytest.raises(InputError, match=r"'task_names' must hold 2 task names"):
        read_hdf5_info(path)
    path.write_text("not hdf5")
    with pytest.raises(InputError, match="not an HDF5 file"):
        read_hdf5_info(path)
    x, y = make(n=10)
    y[:, 1] = 0
    write_hdf5(tmp_path / "noneg.h5", x, y, ["a", "b", "c"])
    cfg = Hdf5Data.model_validate({"format": "hdf5", "train": tmp_path / "noneg.h5"})
    with pytest.raises(InputError, match="task 'b' has no positives in the train split"):
        load_splits(cfg, seed=0)


# ------------------------------------------------------------------ task types


def _cfg(tmp_path, **kw) -> Hdf5Data:
    return Hdf5Data.model_validate(
        {"format": "hdf5", "train": tmp_path / "tr.h5", "valid_fraction": 0.2,
         "test_fraction": 0, "chunk_size": 16, **kw}  # fmt: skip
    )


def test_float_labels_need_a_task_type_and_serve_log1p_chunk_by_chunk(tmp_path):
    x, _ = make(n=50, t=2)
    y = np.random.default_rng(1).gamma(2.0, 3.0, (50, 2)).astype(np.float32)
    y[3, 1] = np.nan
    write_hdf5(tmp_path / "tr.h5", x, y, ["a", "b"])
    with pytest.raises(InputError, match="data.task_type binary takes 0 or 1.*regression"):
        load_splits(_cfg(tmp_path), seed=0)
    splits = load_splits(_cfg(tmp_path, task_type="regression", target_transform="log1p"), 0)
    assert isinstance(splits.train, HDF5Dataset) and splits.target_transform == "log1p"
    served = np.concatenate([splits.train.get_batch(np.arange(len(splits.train)))[1],
                             splits.valid.get_batch(np.arange(len(splits.valid)))[1]])
    np.testing.assert_allclose(np.sort(served[:, 0]), np.sort(np.log1p(y[:, 0])), rtol=1e-6)
    assert np.isnan(served[:, 1]).sum() == 1


def test_unknown_labels_are_left_out_of_the_label_checks(tmp_path):
    """A task's labels are checked on its known labels (NaN: unknown), in memory and read
    chunk by chunk: none known, or only negatives known, is refused."""
    x, y = make(n=50, t=2)
    y = y.astype(np.float32)
    y[:, 1] = np.nan
    write_hdf5(tmp_path / "tr.h5", x, y, ["a", "b"])
    with pytest.raises(InputError, match="tr.h5: task 'b' has no known label in the train"):
        load_splits(_cfg(tmp_path), seed=0)
    y[::2, 1] = 0.0  # known labels, all negative, among unknown ones
    write_hdf5(tmp_path / "tr.h5", x, y, ["a", "b"])
    with pytest.raises(InputError, match="task 'b' has no positives in the train split"):
        load_splits(_cfg(tmp_path), seed=0)
    y[::4, 1] = 1.0
    write_hdf5(tmp_path / "tr.h5", x, y, ["a", "b"])
    splits = load_splits(_cfg(tmp_path), seed=0)
    lo, hi = splits.train.label_range()
    np.testing.assert_array_equal([lo, hi], [[0, 0], [1, 1]])
    lo, hi = ArrayDataset(x, y).label_range()  # in memory
    np.testing.assert_array_equal([lo, hi], [[0, 0], [1, 1]])


def test_multiclass_hdf5_class_indices_and_names(tmp_path):
    x, _ = make(n=40, t=1)
    y = (np.arange(40) % 3).astype(np.float32)[:, None]
    write_hdf5(tmp_path / "tr.h5", x, y, ["cls"])
    splits = load_splits(_cfg(tmp_path, task_type="multiclass"), seed=0)
    assert splits.class_names == ["0", "1", "2"]
    names = ["Oct4", "MafK", "shuffled", "other"]
    splits = load_splits(_cfg(tmp_path, task_type="multiclass", class_names=names), seed=0)
    assert splits.class_names == names
    with pytest.raises(InputError, match=r"class label 2 is not a class index 0..1 \(data.class"):
        load_splits(_cfg(tmp_path, task_type="multiclass", class_names=["a", "b"]), seed=0)
    write_hdf5(tmp_path / "tr.h5", x, np.repeat(y, 2, axis=1), ["c1", "c2"])
    with pytest.raises(InputError, match="multiclass takes one label column"):
        load_splits(_cfg(tmp_path, task_type="multiclass"), seed=0)
