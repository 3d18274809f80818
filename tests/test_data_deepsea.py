import h5py
import numpy as np
import pytest
import scipy.io

from genas.config import DeepSeaData
from genas.data import load_splits, make_loader
from genas.data.source_deepsea import DeepSeaMatDataset, read_task_names
from genas.errors import InputError
from genas.seq import decode, encode

L = 12


def random_split(rng, n, t):
    seqs = ["".join(rng.choice(list("ACGT"), L)) for _ in range(n)]
    x = encode(seqs)  # (N, 4, L), A C G T
    y = (rng.random((n, t)) < 0.4).astype(np.uint8)
    y[0], y[1] = 1, 0  # every task has both classes
    return seqs, x, y


def agct(x):
    return x[:, [0, 2, 1, 3], :]  # A C G T -> A G C T (its own inverse)


@pytest.fixture
def mats(tmp_path):
    rng = np.random.default_rng(0)
    train = random_split(rng, 50, 3)
    valid = random_split(rng, 6, 3)
    test = random_split(rng, 7, 3)
    with h5py.File(tmp_path / "train.mat", "w") as f:  # v7.3 = HDF5, axes reversed
        f.create_dataset("trainxdata", data=agct(train[1]).transpose(2, 1, 0))
        f.create_dataset("traindata", data=train[2].T)
    scipy.io.savemat(tmp_path / "valid.mat", {"validxdata": agct(valid[1]), "validdata": valid[2]})
    scipy.io.savemat(tmp_path / "test.mat", {"testxdata": agct(test[1]), "testdata": test[2]})
    return tmp_path, train, valid, test


def config(path, **kw):
    return DeepSeaData.model_validate(
        {
            "format": "deepsea_mat",
            "train": path / "train.mat",
            "valid": path / "valid.mat",
            "test": path / "test.mat",
            **kw,
        }
    )


def test_reads_all_splits_in_acgt(mats):
    path, train, valid, test = mats
    splits = load_splits(config(path), seed=0)
    assert splits.task_names == ["task_0", "task_1", "task_2"] and splits.input_length == L
    assert isinstance(splits.train, DeepSeaMatDataset) and len(splits.train) == 50
    x, y = splits.train.get_batch(np.arange(50))
    assert x.shape == (50, 4, L) and x.dtype == np.uint8 and y.dtype == np.float32
    assert decode(x) == train[0]
    np.testing.assert_array_equal(y, train[2])
    assert decode(splits.valid.x) == valid[0] and decode(splits.test.x) == test[0]
    np.testing.assert_array_equal(splits.test.y, test[2])


def test_chunked_train_reads(mats):
    path, train, _, _ = mats
    dataset = DeepSeaMatDataset(path / "train.mat", "train", chunk_size=8)
    assert dataset.n_chunks == 7
    seen = [s for x, _ in dataset.iter_chunks() for s in decode(x)]
    assert seen == train[0]
    x, y = dataset[17]
    assert decode(x.numpy()) == train[0][17]
    batches = list(make_loader(dataset, 16, shuffle=True, seed=1))
    got = sorted(s for xb, _ in batches for s in decode(xb.numpy()))
    assert got == sorted(train[0])


def test_random_valid_from_chunked_train(mats):
    path, train, _, _ = mats
    cfg = DeepSeaData.model_validate(
        {
            "format": "deepsea_mat",
            "train": path / "train.mat",
            "valid_fraction": 0.2,
            "test_fraction": 0.1,
        }
    )
    splits = load_splits(cfg, seed=5)
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (35, 10, 5)
    parts = [
        decode(d.get_batch(np.arange(len(d)))[0]) for d in (splits.train, splits.valid, splits.test)
    ]
    assert sorted(sum(parts, [])) == sorted(train[0])


def test_task_names_from_real_annotation(shared_data):
    names, groups = read_task_names(
        shared_data / "deepsea_labels/deepsea_919_label_annot_index.tsv", 919
    )
    assert len(names) == len(set(names)) == 919
    assert names[0] == "8988T|DNase|None"
    assert groups[:125] == ["DNase"] * 125 and groups[125:815] == ["TF"] * 690
    assert groups[815:] == ["Histone"] * 104


def test_task_names_file_in_config(mats):
    path = mats[0]
    (path / "names.tsv").write_text("index\tname\tcategory\n0\tA\tg1\n1\tB\tg1\n2\tC\tg2\n")
    splits = load_splits(config(path, task_names=path / "names.tsv"), seed=0)
    assert splits.task_names == ["A", "B", "C"]
    assert splits.task_groups == {"g1": ["A", "B"], "g2": ["C"]}
    (path / "names.tsv").write_text("name\nA\nB\n")
    with pytest.raises(InputError, match="2 task names for 3 label columns"):
        load_splits(config(path, task_names=path / "names.tsv"), seed=0)


def test_wrong_keys_and_shapes(tmp_path):
    with h5py.File(tmp_path / "train.mat", "w") as f:
        f.create_dataset("x", data=np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(InputError) as info:
        load_splits(
            DeepSeaData.model_validate({"format": "deepsea_mat", "train": tmp_path / "train.mat"}),
            seed=0,
        )
    message = str(info.value)
    assert "train.mat" in message and "'trainxdata' (L, 4, N)" in message and "found: x" in message
    with h5py.File(tmp_path / "train.mat", "w") as f:
        f.create_dataset("trainxdata", data=np.zeros((10, 4, 5), np.uint8))
        f.create_dataset("traindata", data=np.zeros((3, 6), np.uint8))
    expected = r"found 'trainxdata' \(10, 4, 5\) and 'traindata' \(3, 6\)"
    with pytest.raises(InputError, match=expected):
        load_splits(
            DeepSeaData.model_validate({"format": "deepsea_mat", "train": tmp_path / "train.mat"}),
            seed=0,
        )
    scipy.io.savemat(
        tmp_path / "valid.mat",
        {"validxdata": np.zeros((2, 5, 10), np.uint8), "validdata": np.zeros((2, 3), np.uint8)},
    )
    from genas.data.source_deepsea import open_deepsea_split

    with pytest.raises(InputError, match=r"valid\.mat: expected .*found 'validxdata' \(2, 5, 10\)"):
        open_deepsea_split(tmp_path / "valid.mat", "valid")
