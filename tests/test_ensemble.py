"""An ensemble of the top-k retrained models: built, saved as one run, loaded and used."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from genas.config import parse_config
from genas.data import load_prediction_input, load_splits
from genas.errors import ConfigError
from genas.nn import Ensemble, build_model
from genas.nn.model_file import load_model
from genas.workflows.predict_run import predict_run
from genas.workflows.report_run import report_run
from genas.workflows.search_run import search_run


def test_ensemble_averages_member_probabilities():
    torch.manual_seed(0)
    members = [torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(40, 2)) for _ in range(3)]
    x = torch.rand(5, 4, 10)
    expected = torch.stack([torch.sigmoid(m(x)) for m in members]).mean(0)
    got = torch.sigmoid(Ensemble(members)(x))
    assert torch.allclose(got, expected, atol=1e-6)
    with pytest.raises(ValueError, match="at least 2"):
        Ensemble(members[:1])


@pytest.mark.parametrize("loss", ["mse", "poisson", "cross_entropy"])
def test_ensemble_averages_the_predictions_of_each_task_type(loss):
    from genas.train.loss import predictions
    from genas.train.task import _ENSEMBLE_COMBINE

    torch.manual_seed(1)
    members = [torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(40, 3)) for _ in range(3)]
    x = torch.rand(5, 4, 10)
    expected = torch.stack([predictions(m(x), loss) for m in members]).mean(0)
    got = predictions(Ensemble(members, _ENSEMBLE_COMBINE[loss])(x), loss)
    assert torch.allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize(
    "spec", [{"ensemble": [{"reference": "deepbind"}]}, {"ensemble": "x"},
             {"ensemble": [{"ensemble": []}, {"reference": "deepbind"}]},
             {"ensemble": [{"reference": "deepbind"}] * 2, "width": 1}],
)
def test_bad_ensemble_specs(spec):
    with pytest.raises(ConfigError, match="ensemble"):
        build_model(spec, 100, 1)


def test_search_keeps_top_k_as_an_ensemble_that_loads_and_predicts(tiny_fasta, tmp_path: Path):
    raw = {
        "seed": 3,
        "data": tiny_fasta,
        "search": {"space": "small", "steps": 2, "child_steps": 3, "archs_per_step": 3,
                   "reward_sequences": 60, "supernet": {"batch_size": 32},
                   "retrain_top_k": 2, "ensemble": True},
        "train": {"batch_size": 32, "max_epochs": 2, "patience": 2},
    }
    config = parse_config(raw, Path("."))
    splits = load_splits(config.data, config.seed)
    run = tmp_path / "run"
    search_run(config, run, retrain=True, progress=False, log=lambda _: None, splits=splits,
               report=False)
    spec = json.loads((run / "model.json").read_text())["spec"]
    assert len(spec["ensemble"]) == 2
    assert json.loads((run / "retrain_top_k.json").read_text())["ensemble"] == [1, 2]
    metrics = json.loads((run / "metrics.json").read_text())
    assert 0.0 <= metrics["test"]["summary"]["mean_auroc"] <= 1.0

    ensemble = load_model(run)
    members = [load_model(run / "top_k" / f"rank_{r}") for r in (1, 2)]
    x = torch.from_numpy(splits.test.get_batch(np.arange(8))[0]).float()
    with torch.no_grad():
        expected = torch.stack([torch.sigmoid(m.model(x)) for m in members]).mean(0)
        assert torch.allclose(torch.sigmoid(ensemble.model(x)), expected, atol=1e-5)

    out = tmp_path / "pred.tsv"
    fasta = tiny_fasta["test"]["positives"][0]
    predict_run(run, fasta, out)
    scores = np.loadtxt(out, skiprows=1, usecols=range(1, len(ensemble.task_names) + 1))
    _, x_fasta = load_prediction_input(fasta, ensemble.input_length)
    assert x_fasta.sum(axis=1).max() <= 1  # no N: the one-hot is the model's input as is
    with torch.no_grad():
        x = torch.from_numpy(x_fasta).float()
        members_mean = torch.stack([torch.sigmoid(m.model(x)) for m in members]).mean(0)
    np.testing.assert_allclose(scores.reshape(len(x), -1), members_mean.numpy(), atol=1e-5)
    report_run(run, log=lambda _: None)
    assert "ensemble" in (run / "report.html").read_text()


def test_ensemble_of_one_is_a_config_error():
    with pytest.raises(ConfigError, match="search: Value error, ensemble: true needs"):
        parse_config({"data": {"format": "table", "train": "t.csv"},
                      "search": {"ensemble": True, "retrain_top_k": 1}}, Path("."))


def test_ensemble_is_the_default_only_when_several_models_are_retrained():
    def search(**keys):
        return parse_config({"data": {"format": "table", "train": "t.csv"}, "search": keys},
                            Path(".")).search

    assert search().retrain_top_k == 3 and search().ensemble
    assert not search(retrain_top_k=1).ensemble  # no ensemble of one, and no error either
    assert not search(retrain_top_k=3, ensemble=False).ensemble
