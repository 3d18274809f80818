"""`simulate(task_type=regression | multiclass)`: targets follow the planted sites, the
manifest holds the truth, and the config.yaml beside the data runs as it is."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from genas.config import load_config
from genas.data import load_splits
from genas.data.simulate import simulate
from genas.data.simulate.quantitative import _PSEUDO

MOTIFS = ["MA0139", "MA0035", "MA0036"]  # CTCF, GATA1, GATA2 (pyjaspar, offline)


@pytest.fixture(scope="module")
def regression(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim_reg")
    manifest = simulate(out, n_tasks=3, length=120, n_train=1500, n_valid=200, n_test=200,
                        task_type="regression", motif_ids=MOTIFS, noise_fraction=0.25)  # fmt: skip
    return out, manifest


def _planted(f: h5py.File) -> dict:
    return {k: f["planted"][k][()] for k in f["planted"]}


def test_regression_targets_follow_the_manifests_truth(regression):
    out, manifest = regression
    assert manifest["task_type"] == "regression" and len(manifest["tasks"]) == 3
    ids = [m["id"] for m in manifest["motifs"]]
    weights = np.array([[t["weights"].get(i, 0.0) for i in ids] for t in manifest["tasks"]])
    offsets = np.array([t["offset"] for t in manifest["tasks"]])
    noise_sd = np.array([t["noise_sd"] for t in manifest["tasks"]])
    with h5py.File(out / "train.h5") as f:
        y, y_clean, x = f["y"][()], f["y_clean"][()], f["x"][()]
        planted = _planted(f)
    assert y.dtype == np.float32 and y.shape == (1500, 3)
    assert (planted["strength"] >= 0).all() and (planted["strength"] <= 1).all()
    # each site's strength is the normalised PWM score of the bases in the sequence: the
    # base-2 log-odds against a uniform background (pseudocount _PSEUDO), written out here
    for site in range(len(planted["seq"])):
        pfm = _pfm(ids[int(planted["motif"][site])])
        pfm = pfm if planted["strand"][site] == 1 else pfm[::-1, ::-1]
        lo = np.log2((pfm + _PSEUDO) / (1 + 4 * _PSEUDO) / 0.25)
        start, width = int(planted["start"][site]), pfm.shape[1]
        bases = x[planted["seq"][site], :, start : start + width].argmax(axis=0)
        score = lo[bases, np.arange(width)].sum() / lo.max(axis=0).sum()
        assert planted["strength"][site] == pytest.approx(np.clip(score, 0, 1), abs=1e-5)
    # noise-free targets: offset + weights x the saturating sum s / (1 + s / saturation)
    sums = np.zeros((1500, len(ids)))
    np.add.at(sums, (planted["seq"], planted["motif"]), planted["strength"])
    saturation = manifest["parameters"]["saturation"]
    expected = offsets + (sums / (1 + sums / saturation)) @ weights.T
    np.testing.assert_allclose(y_clean, expected, rtol=1e-5, atol=1e-5)
    noise = (y - y_clean).std(axis=0)
    np.testing.assert_allclose(noise, noise_sd, rtol=0.15)
    for t in manifest["tasks"]:  # noise is a quarter of the variance: r ~ sqrt(0.75)
        assert 0.8 < t["pearson_of_noise_free_target"]["train"] < 0.93


def _pfm(motif_id: str) -> np.ndarray:
    from genas.data.motifs import load_jaspar

    return load_jaspar([motif_id])[0].pfm


def test_regression_config_runs_as_written(regression):
    out, _ = regression
    config = load_config(out / "config.yaml")
    assert config.data.task_type == "regression" and config.data.train == out / "train.h5"
    assert config.search is not None and config.search.reward == "pearson_mean"
    splits = load_splits(config.data, config.seed)
    assert splits.task_type == "regression" and len(splits.test) == 200
    assert (out / "tasks.tsv").read_text().count("\n") == 4


def test_multiclass_labels_name_the_planted_motif(tmp_path):
    manifest = simulate(tmp_path, n_tasks=2, length=100, n_train=600, n_valid=100, n_test=100,
                        task_type="multiclass", motif_ids=MOTIFS[:2], label_noise=0.0)  # fmt: skip
    classes = manifest["class_names"]
    assert len(classes) == 3 and classes[-1] == "background"
    with h5py.File(tmp_path / "train.h5") as f:
        y = f["y"][()][:, 0].astype(int)
        planted = _planted(f)
    assert set(np.unique(y)) == {0, 1, 2}
    carriers = {int(s): int(m) for s, m in zip(planted["seq"], planted["motif"], strict=True)}
    assert all(y[s] == m for s, m in carriers.items())  # no label noise: the motif planted
    assert all(s not in carriers for s in np.flatnonzero(y == 2))  # background: no site
    config = load_config(tmp_path / "config.yaml")
    assert config.data.class_names == classes and config.train.loss == "cross_entropy"
    splits = load_splits(config.data, config.seed)
    assert splits.class_names == classes


def test_bad_task_type_and_noise_are_refused(tmp_path):
    with pytest.raises(ValueError, match="task_type must be"):
        simulate(tmp_path / "a", task_type="ordinal", n_train=10)
    with pytest.raises(ValueError, match="noise_fraction"):
        simulate(tmp_path / "b", task_type="regression", noise_fraction=1.0, n_train=10)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
