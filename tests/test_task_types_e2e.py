"""Regression and multiclass runs end to end on tiny synthetic tables: train, evaluate,
predict, search with each evaluator, compare; and bad input refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from conftest import planted_sequences
from typer.testing import CliRunner

from genas.cli import app
from genas.config import parse_config
from genas.nn.model_file import load_model
from genas.seq.alphabet import encode
from genas.workflows.evaluate_run import evaluate_run
from genas.workflows.predict_run import predict_run
from genas.workflows.train_run import train_run

torch.set_num_threads(1)

MOTIF_A, MOTIF_B = "TGACTCAG", "GGATAAGC"
LENGTH = 60
runner = CliRunner(env={"COLUMNS": "250"})  # wide tables: no truncated headers


def _sequences(rng, n: int, counts: np.ndarray, motif: str) -> list[str]:
    """Random sequences with ``counts[i]`` copies of ``motif`` planted (non-overlapping)."""
    seqs = planted_sequences(rng, n, LENGTH, None)
    for i, k in enumerate(counts):
        for j in range(int(k)):
            at = 4 + j * 18
            seqs[i] = seqs[i][:at] + motif + seqs[i][at + len(motif) :]
    return seqs


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Path:
    """``reg.tsv`` (2 tasks: counts of sites A, B plus noise; some unknown), ``cls.tsv``
    (class A_site / B_site / none) and ``new.fa`` (4 sequences to predict)."""
    root = tmp_path_factory.mktemp("tables")
    rng = np.random.default_rng(0)
    n = 400
    a, b = rng.integers(0, 3, n), rng.integers(0, 2, n)
    seqs = _sequences(rng, n, a, MOTIF_A)
    seqs = [s[:40] + (MOTIF_B if k else s[40:48]) + s[48:] for s, k in zip(seqs, b, strict=True)]
    ya = a + rng.normal(0, 0.3, n)
    yb = 2.0 * b + rng.normal(0, 0.3, n)
    lines = ["sequence\tactA\tactB"] + [
        f"{s}\t{ya[i]:.4f}\t{'NA' if i % 50 == 0 else f'{yb[i]:.4f}'}" for i, s in enumerate(seqs)
    ]
    (root / "reg.tsv").write_text("\n".join(lines) + "\n")
    classes = rng.integers(0, 3, n)
    cls_seqs = planted_sequences(rng, n, LENGTH, None)
    names = ["A_site", "B_site", "none"]
    for i, c in enumerate(classes):
        if c < 2:
            motif = (MOTIF_A, MOTIF_B)[c]
            cls_seqs[i] = cls_seqs[i][:20] + motif + cls_seqs[i][20 + len(motif) :]
    lines = ["sequence\tfactor"] + [
        f"{s}\t{names[c]}" for s, c in zip(cls_seqs, classes, strict=True)
    ]
    (root / "cls.tsv").write_text("\n".join(lines) + "\n")
    new = _sequences(rng, 4, np.array([0, 1, 2, 0]), MOTIF_A)
    (root / "new.fa").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(new)))
    return root


def _config(tables: Path, out: Path, data: dict, **sections) -> dict:
    return {
        "seed": 1,
        "data": {
            "format": "table",
            "train": str(tables / data.pop("file")),
            "valid_fraction": 0.2,
            "test_fraction": 0.2,
            **data,
        },  # fmt: skip
        "model": {"reference": "deepbind", "options": {"filters": 16, "hidden": 8}},
        "train": {"max_epochs": 1, "batch_size": 32, "lr": 3e-3},
        "output": {"dir": str(out)},
        **sections,
    }


def test_regression_trains_evaluates_and_predicts_on_the_original_scale(tables, tmp_path):
    raw = _config(tables, tmp_path / "run", {"file": "reg.tsv", "task_type": "regression",
                                              "target_transform": "log1p"})  # fmt: skip
    raw["data"]["train"] = str(tmp_path / "pos.tsv")  # log1p needs targets > -1
    text = (tables / "reg.tsv").read_text().splitlines()
    rows = [text[0]] + [
        "\t".join([c[0], *(v if v == "NA" else str(abs(float(v))) for v in c[1:])])
        for c in (line.split("\t") for line in text[1:])
    ]
    (tmp_path / "pos.tsv").write_text("\n".join(rows) + "\n")
    result = train_run(parse_config(raw, tmp_path), progress=False)
    test = result.metrics["test"]
    assert test["task_type"] == "regression"
    assert set(test["tasks"]["actA"]) == {"pearson", "spearman", "r2", "mse", "n"}
    assert result.fit.monitor in ("valid_mean_pearson", "-valid_loss")
    assert np.isfinite(result.metrics["valid"]["summary"]["mean_mse"])
    loaded = load_model(tmp_path / "run")
    assert (loaded.task_type, loaded.loss, loaded.target_transform) == (
        "regression",
        "mse",
        "log1p",
    )
    again = evaluate_run(tmp_path / "run", split="test")
    assert again["test"]["summary"]["mean_pearson"] == pytest.approx(
        test["summary"]["mean_pearson"]
    )
    predict_run(tmp_path / "run", tables / "new.fa", tmp_path / "pred.tsv", device="cpu")
    lines = (tmp_path / "pred.tsv").read_text().splitlines()
    assert lines[0].split("\t") == ["name", "actA", "actB"]
    x = np.stack(
        [encode(line.split()[0]) for line in (tables / "new.fa").read_text().splitlines()[1::2]]
    )
    with torch.no_grad():
        raw_out = loaded.model(torch.from_numpy(x).float()).numpy()
    written = np.array([[float(v) for v in line.split("\t")[1:]] for line in lines[1:]])
    np.testing.assert_allclose(written, np.expm1(raw_out), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("task_type", ["regression", "multiclass"])
def test_the_model_learns_the_planted_signal(tables, tmp_path, task_type):
    """Trained to convergence (a few seconds), a model predicts held-out sequences far above
    chance: site counts with Pearson r > 0.7 (chance 0), the class with macro AUROC > 0.9 and
    accuracy > 0.6 (chance 0.5 and 1/3). A broken loss, target or gradient fails here."""
    file = "reg.tsv" if task_type == "regression" else "cls.tsv"
    raw = _config(tables, tmp_path / "run", {"file": file, "task_type": task_type})
    raw["train"].update(max_epochs=40, patience=10)
    summary = train_run(parse_config(raw, tmp_path), progress=False).metrics["test"]["summary"]
    if task_type == "regression":
        assert summary["mean_pearson"] > 0.7, summary
    else:
        assert summary["macro_auroc"] > 0.9 and summary["accuracy"] > 0.6, summary


def test_multiclass_trains_evaluates_and_predicts_class_probabilities(tables, tmp_path):
    raw = _config(tables, tmp_path / "run", {"file": "cls.tsv", "task_type": "multiclass"})
    raw["train"]["max_epochs"] = 2
    result = train_run(parse_config(raw, tmp_path), progress=False)
    test = result.metrics["test"]
    assert test["task_type"] == "multiclass" and test["class_names"] == ["A_site", "B_site", "none"]
    assert set(test["classes"]) == {"A_site", "B_site", "none"}
    assert 0 <= test["summary"]["accuracy"] <= 1 and np.isfinite(test["summary"]["macro_auroc"])
    assert load_model(tmp_path / "run").model(torch.zeros(1, 4, LENGTH)).shape == (1, 3)
    metrics = evaluate_run(tmp_path / "run", split="valid")
    assert metrics["valid"]["summary"]["n_classes"] == 3
    predict_run(tmp_path / "run", tables / "new.fa", tmp_path / "pred.tsv", device="cpu")
    lines = [line.split("\t") for line in (tmp_path / "pred.tsv").read_text().splitlines()]
    assert lines[0] == ["name", "A_site", "B_site", "none", "predicted_class"]
    probs = np.array([[float(v) for v in row[1:4]] for row in lines[1:]])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    best = [["A_site", "B_site", "none"][i] for i in probs.argmax(axis=1)]
    assert [row[4] for row in lines[1:]] == best


@pytest.mark.parametrize("evaluator", ["shared", "independent"])
def test_regression_search_with_each_evaluator(tables, tmp_path, evaluator):
    from genas.workflows.search_run import search_run

    search = {"space": "small", "strategy": "random", "evaluator": evaluator, "steps": 2,
              "archs_per_step": 2, "child_steps": 4, "width": 0.25, "retrain_top_k": 1,
              "independent": {"epochs": 1, "max_steps_per_epoch": 4, "batch_size": 32},
              "supernet": {"batch_size": 32}}  # fmt: skip
    raw = _config(tables, tmp_path / "run", {"file": "reg.tsv", "task_type": "regression"},
                  search=search)  # fmt: skip
    result, _ = search_run(parse_config(raw, tmp_path), progress=False, log=lambda _: None)
    rows = [json.loads(line) for line in (tmp_path / "run" / "history.jsonl").open()]
    assert len(rows) == 4 and all(np.isfinite(r["reward"]) for r in rows)
    assert all(r["reward"] == pytest.approx(r["metrics"]["mean_pearson"]) for r in rows)
    assert "mean_pearson" in (tmp_path / "run" / "history.csv").read_text().splitlines()[0]
    assert np.isfinite(result.best_reward)


def test_regression_search_retrains_an_ensemble_and_compare_prints_pearson(tables, tmp_path):
    search = {"space": "small", "strategy": "random", "evaluator": "independent", "steps": 1,
              "archs_per_step": 3, "width": 0.25, "retrain_top_k": 2, "reward": "neg_mse",
              "independent": {"epochs": 1, "max_steps_per_epoch": 3, "batch_size": 32}}  # fmt: skip
    raw = _config(tables, tmp_path / "run", {"file": "reg.tsv", "task_type": "regression"},
                  search=search)  # fmt: skip
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(raw))
    result = runner.invoke(app, ["search", str(tmp_path / "config.yaml"), "--retrain",
                                 "--no-report", "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Pearson" in result.output
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    assert meta["spec"]["combine"] == "mean" and meta["task_type"] == "regression"
    rows = [json.loads(line) for line in (tmp_path / "run" / "history.jsonl").open()]
    assert all(r["reward"] == pytest.approx(-r["metrics"]["mean_mse"]) for r in rows)
    result = runner.invoke(app, ["compare", str(tmp_path / "run"), "--random", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "mean Pearson r" in result.output and "mean Spearman" in result.output
    assert "deepbind" in result.output and "random_1" in result.output
    comparison = json.loads((tmp_path / "run" / "comparison.json").read_text())
    assert comparison["task_type"] == "regression"
    assert "random_median_test_mean_pearson" in comparison


@pytest.mark.parametrize(
    ("data", "train", "expected"),
    [
        (
            {"task_type": "regression"},
            {"loss": "poisson"},
            "train.loss: poisson needs targets >= 0; task 'actA' holds",
        ),
        (
            {"task_type": "regression"},
            {"loss": "bce"},
            "train.loss: bce does not fit data.task_type regression",
        ),
        ({"task_type": "ranking"}, {}, "data.task_type: Input should be"),
        ({}, {}, "label column 'actA'"),
    ],
)
def test_bad_task_input_is_one_line_and_writes_nothing(tables, tmp_path, data, train, expected):
    raw = _config(tables, tmp_path / "run", {"file": "reg.tsv", **data})
    raw["train"].update(train)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(raw))
    result = runner.invoke(app, ["train", str(tmp_path / "config.yaml"), "--quiet"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert expected in " ".join(result.output.split())
    assert not (tmp_path / "run").exists()


def test_search_with_poisson_on_negative_targets_writes_nothing(tables, tmp_path):
    raw = _config(tables, tmp_path / "run", {"file": "reg.tsv", "task_type": "regression"},
                  search={"space": "small", "steps": 1})  # fmt: skip
    raw["train"]["loss"] = "poisson"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(raw))
    result = runner.invoke(app, ["search", str(tmp_path / "config.yaml"), "--quiet"])
    assert result.exit_code == 1 and "poisson needs targets >= 0" in result.output
    assert not (tmp_path / "run").exists()
