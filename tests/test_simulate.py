"""The synthetic benchmark generator: files, determinism, planted sites, labels, rates."""

import json

import h5py
import numpy as np
import pytest
import scipy.io

from genas.data.motifs import load_jaspar, reverse_complement_pfm
from genas.data.simulate import simulate
from genas.errors import InputError

SMALL = dict(n_tasks=8, length=200, n_train=600, n_valid=150, n_test=150)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    manifest = simulate(out, seed=7, label_noise=0.0, **SMALL)
    return out, manifest


def _read_h5(path):
    with h5py.File(path, "r") as f:
        planted = {k: f["planted"][k][:] for k in f["planted"]}
        return {
            "x": f["x"][:],
            "y": f["y"][:],
            "y_clean": f["y_clean"][:],
            "task_names": [s.decode() for s in f["task_names"][:]],
            "task_groups": [s.decode() for s in f["task_groups"][:]],
            "attrs": dict(f.attrs),
            "planted": planted,
            "motif_ids": list(f["planted"].attrs["motif_ids"]),
        }


def test_layout_of_genas_h5(bench):
    out, manifest = bench
    for split, n in (("train", 600), ("valid", 150), ("test", 150)):
        d = _read_h5(out / f"{split}.h5")
        assert d["x"].shape == (n, 4, 200) and d["x"].dtype == np.uint8
        assert (d["x"].sum(axis=1) == 1).all()  # proper one-hot everywhere
        assert d["y"].shape == (n, 8) and d["y"].dtype == np.uint8
        assert d["attrs"]["genas_format"] == 1 and d["attrs"]["alphabet"] == "ACGT"
        assert d["task_names"] == [t["name"] for t in manifest["tasks"]]
        assert d["task_groups"] == [t["group"] for t in manifest["tasks"]]
    with h5py.File(out / "train.h5", "r") as f:
        assert f["x"].compression == "gzip" and f["x"].chunks is not None
        assert h5py.check_string_dtype(f["task_names"].dtype).encoding == "utf-8"


def test_mat_files_hold_the_same_tensors(bench):
    out, _ = bench
    agct = [0, 2, 1, 3]
    h5 = _read_h5(out / "train.h5")
    assert scipy.io.matlab.matfile_version(out / "train.mat") == (2, 0)  # v7.3 header
    with open(out / "train.mat", "rb") as fh:
        assert fh.read(10) == b"MATLAB 7.3"
    with h5py.File(out / "train.mat", "r") as f:
        assert f["trainxdata"].shape == (200, 4, 600)
        assert f["traindata"].shape == (8, 600)
        np.testing.assert_array_equal(f["trainxdata"][:].transpose(2, 1, 0)[:, agct], h5["x"])
        np.testing.assert_array_equal(f["traindata"][:].T, h5["y"])
    for split in ("valid", "test"):
        h5 = _read_h5(out / f"{split}.h5")
        mat = scipy.io.loadmat(out / f"{split}.mat")
        assert mat[f"{split}xdata"].shape == (150, 4, 200)
        np.testing.assert_array_equal(mat[f"{split}xdata"][:, agct], h5["x"])
        np.testing.assert_array_equal(mat[f"{split}data"], h5["y"])


def test_same_seed_same_data_other_seed_differs(bench, tmp_path):
    out, _ = bench
    again = simulate(tmp_path / "a", seed=7, label_noise=0.0, write_mat=False, **SMALL)
    other = simulate(tmp_path / "b", seed=8, label_noise=0.0, write_mat=False, **SMALL)
    for split in ("train", "valid", "test"):
        ref, same = _read_h5(out / f"{split}.h5"), _read_h5(tmp_path / "a" / f"{split}.h5")
        np.testing.assert_array_equal(ref["x"], same["x"])
        np.testing.assert_array_equal(ref["y"], same["y"])
        diff = _read_h5(tmp_path / "b" / f"{split}.h5")
        assert not np.array_equal(ref["x"], diff["x"])
    assert again["tasks"] == bench[1]["tasks"]
    assert other["tasks"] != bench[1]["tasks"]


def test_planted_sites_are_in_the_sequences(bench):
    out, manifest = bench
    d = _read_h5(out / "train.h5")
    assert d["motif_ids"] == [m["id"] for m in manifest["motifs"]]
    pfms = [m.pfm for m in load_jaspar(d["motif_ids"])]
    p = d["planted"]
    assert len(p["seq"]) == manifest["splits"]["train"]["planted"]["n_rows"] > 100
    codes = d["x"].argmax(axis=1)  # (N, L)
    site_ll, random_ll = [], []
    rng = np.random.default_rng(0)
    for seq, motif, start, strand in zip(
        p["seq"], p["motif"], p["start"], p["strand"], strict=True
    ):
        pfm = pfms[motif] if strand > 0 else reverse_complement_pfm(pfms[motif])
        w = pfm.shape[1]
        letters = codes[seq, start : start + w]
        assert len(letters) == w
        probs = pfm[letters, np.arange(w)]
        assert (probs > 0).all()  # every planted letter is possible under the matrix
        site_ll.append(np.log(probs).mean())
        r = rng.integers(0, 200 - w + 1)
        random_ll.append(np.log(np.maximum(pfm[codes[seq, r : r + w], np.arange(w)], 1e-4)).mean())
    assert np.mean(site_ll) > np.mean(random_ll) + 1.0
    # sites never overlap
    order = np.lexsort((p["start"], p["seq"]))
    widths = np.array([m["width"] for m in manifest["motifs"]])
    s, st, mo = p["seq"][order], p["start"][order], p["motif"][order]
    same = s[1:] == s[:-1]
    assert (st[1:][same] >= (st[:-1] + widths[mo[:-1]])[same]).all()


def _labels_by_hand(task, planted, ids, widths, n):
    """Straightforward per-sequence evaluation of a rule over the planted table."""
    rule = task["rule"]
    idx = [ids.index(m) for m in rule["motifs"]]
    y = np.zeros(n, np.uint8)
    for i in range(n):
        rows = planted["seq"] == i
        starts = {m: planted["start"][rows & (planted["motif"] == m)] for m in idx}
        if rule["type"] == "presence":
            y[i] = len(starts[idx[0]]) > 0
        elif rule["type"] == "count":
            y[i] = len(starts[idx[0]]) >= rule["count"]
        else:
            a, b = idx
            for sa in starts[a]:
                for sb in starts[b]:
                    gap = sb - (sa + widths[a]) if sa < sb else sa - (sb + widths[b])
                    if rule["min_gap"] <= gap <= rule["max_gap"]:
                        y[i] = 1
    return y


def test_labels_follow_the_rules(bench):
    out, manifest = bench
    ids = [m["id"] for m in manifest["motifs"]]
    widths = [m["width"] for m in manifest["motifs"]]
    assert {t["group"] for t in manifest["tasks"]} == {"presence", "pair", "count"}
    for split in ("train", "valid"):
        d = _read_h5(out / f"{split}.h5")
        np.testing.assert_array_equal(d["y"], d["y_clean"])  # label_noise=0
        n = len(d["y"])
        for t, task in enumerate(manifest["tasks"]):
            expected = _labels_by_hand(task, d["planted"], ids, widths, n)
            np.testing.assert_array_equal(d["y"][:, t], expected, err_msg=task["name"])


def test_positive_rates_in_range(bench):
    out, manifest = bench
    y = _read_h5(out / "train.h5")["y"]
    rates = y.mean(axis=0)
    assert ((rates > 0.05 - 0.04) & (rates < 0.3 + 0.04)).all(), rates
    for t, task in enumerate(manifest["tasks"]):
        assert task["positive_rate"]["train"] == pytest.approx(rates[t], abs=1e-6)
        assert abs(rates[t] - task["target_positive_rate"]) < 0.06


def test_gc_content_of_background(bench):
    out, manifest = bench
    d = _read_h5(out / "train.h5")
    background = np.ones(d["x"].shape[::2], bool)  # (N, L)
    widths = np.array([m["width"] for m in manifest["motifs"]])
    p = d["planted"]
    for seq, motif, start in zip(p["seq"], p["motif"], p["start"], strict=True):
        background[seq, start : start + widths[motif]] = False
    gc = d["x"][:, 1:3].sum(axis=1)[background].mean()
    assert gc == pytest.approx(0.42, abs=0.01)


def test_manifest_and_tasks_tsv(bench):
    out, manifest = bench
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk["parameters"]["seed"] == 7 and on_disk["parameters"]["n_tasks"] == 8
    assert all(set(m) >= {"id", "name", "consensus"} for m in on_disk["motifs"])
    groups = on_disk["task_groups"]
    assert sorted(i for g in groups.values() for i in g) == list(range(8))
    assert on_disk["splits"]["valid"]["planted"]["group"] == "planted"
    rows = (out / "tasks.tsv").read_text().splitlines()
    assert rows[0] == "task\tgroup\trule" and len(rows) == 9
    assert rows[1].split("\t")[0] == manifest["tasks"][0]["name"]


def test_label_noise_swaps_that_fraction_of_positives_and_keeps_rates(tmp_path):
    simulate(tmp_path, seed=3, label_noise=0.1, write_mat=False, **SMALL)
    d = _read_h5(tmp_path / "train.h5")
    y, clean = d["y"].astype(bool), d["y_clean"].astype(bool)
    assert (~y[clean]).mean() == pytest.approx(0.1, abs=0.03)  # positives lost
    assert (y & ~clean).sum() == pytest.approx((clean & ~y).sum(), rel=0.35)  # as many gained
    np.testing.assert_allclose(y.mean(axis=0), clean.mean(axis=0), atol=0.03)


def test_given_motifs_and_pair_spacing(tmp_path):
    m = simulate(
        tmp_path,
        n_tasks=4,
        length=120,
        n_train=300,
        n_valid=10,
        n_test=10,
        seed=2,
        motif_ids=["MA0139.1", "MA0035.4"],
        label_noise=0.0,
        write_mat=False,
    )
    assert [x["id"] for x in m["motifs"]] == ["MA0139.1", "MA0035.4"]
    assert [t["group"] for t in m["tasks"]] == ["presence", "presence", "pair", "count"]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n_tasks=0), ValueError, "n_tasks"),
        (dict(length=10, motif_ids=["MA0139.1"]), ValueError, "too short"),
        (dict(n_tasks=4, length=29, motif_ids=["MA0139.1", "MA0035.4"]), ValueError, "too short"),
        (dict(background="markov"), ValueError, "background_fasta"),
        (dict(label_noise=0.7), ValueError, "label_noise"),
        (dict(positive_rate=(0.3, 0.1)), ValueError, "positive_rate"),
        (dict(n_train=0), ValueError, "train's >= 1"),
    ],
)
def test_bad_parameters(tmp_path, kwargs, error, match):
    """Refused before anything is written, also in a folder an earlier simulation wrote."""
    args = dict(n_tasks=2, length=100, n_train=10, n_valid=5, n_test=5) | kwargs
    (tmp_path / "config.yaml").write_text("a config already there\n")
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(error, match=match):
        simulate(tmp_path, **args)
    assert (tmp_path / "manifest.json").read_text() == "{}"
    assert (tmp_path / "config.yaml").read_text() == "a config already there\n"


def test_a_folder_of_other_files_is_not_written_into(tmp_path):
    (tmp_path / "config.yaml").write_text("a run's config\n")
    with pytest.raises(ValueError, match="holds files and no simulated dataset"):
        simulate(tmp_path, n_tasks=2, length=100, n_train=10, n_valid=5, n_test=5)
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]


def test_background_fasta_missing_or_empty(tmp_path):
    args = dict(n_tasks=2, length=100, n_train=10, n_valid=5, n_test=5)
    with pytest.raises(InputError, match="not found"):
        simulate(tmp_path / "o", background_fasta=tmp_path / "none.fa", **args)
    (tmp_path / "empty.fa").write_text("")
    with pytest.raises(InputError, match="empty"):
        simulate(tmp_path / "o", background_fasta=tmp_path / "empty.fa", **args)
    (tmp_path / "n.fa").write_text(">a\nNNNNNN\n")
    with pytest.raises(InputError, match="ACGT"):
        simulate(tmp_path / "o", background_fasta=tmp_path / "n.fa", **args)


def test_automatic_motifs_are_informative_distinct_and_used(bench):
    from genas.data.motifs import load_jaspar
    from genas.data.simulate.generate import (
        AUTO_MIN_BITS,
        consensus_kmers,
        is_low_complexity,
    )

    _, manifest = bench
    motifs = manifest["motifs"]
    assert all(m["information_content"] >= AUTO_MIN_BITS for m in motifs)
    for m in motifs:  # the manifest's bits, recomputed: sum over columns of 2 + sum p log2 p
        p = load_jaspar([m["id"]])[0].pfm.astype(np.float64)
        bits = (2 + (p * np.log2(np.maximum(p, 1e-300))).sum(axis=0)).sum()
        assert m["information_content"] == pytest.approx(bits, abs=1e-3)
    assert not any(is_low_complexity(m["consensus"]) for m in motifs)
    for i, a in enumerate(motifs):
        for b in motifs[i + 1 :]:
            assert not consensus_kmers(a["consensus"]) & consensus_kmers(b["consensus"])
    used = {m for t in manifest["tasks"] for m in t["rule"]["motifs"]}
    assert used == {m["id"] for m in motifs}
