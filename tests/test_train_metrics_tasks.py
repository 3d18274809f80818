"""Regression and multiclass metrics against scipy / scikit-learn, and their tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from genas.train.metrics import UndefinedTaskMetricWarning, format_metrics_table, table_rows
from genas.train.metrics_multiclass import multiclass_metrics
from genas.train.metrics_regression import regression_metrics
from genas.train.task import TaskSpec

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def _regression_data(n: int = 200, t: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(n, t))
    pred = y * rng.uniform(0.2, 1.0, t) + rng.normal(size=(n, t))
    pred[:, 1] = np.round(pred[:, 1])  # ties in the predictions (Spearman's average ranks)
    return y.astype(np.float32), pred


def test_regression_metrics_match_scipy_and_sklearn() -> None:
    y, pred = _regression_data()
    y[::7, 2] = np.nan  # unknown targets of one task
    names = ["a", "b", "c", "d"]
    m = regression_metrics(y, pred, names, {"g": ["a", "c"]})
    for t, name in enumerate(names):
        keep = ~np.isnan(y[:, t])
        yt, pt = y[keep, t], pred[keep, t]
        got = m["tasks"][name]
        assert got["n"] == keep.sum()
        assert got["pearson"] == pytest.approx(stats.pearsonr(yt, pt)[0], abs=1e-6)
        assert got["spearman"] == pytest.approx(stats.spearmanr(yt, pt)[0], abs=1e-6)
        assert got["r2"] == pytest.approx(sklearn_metrics.r2_score(yt, pt), abs=1e-6)
        assert got["mse"] == pytest.approx(sklearn_metrics.mean_squared_error(yt, pt), rel=1e-6)
    pearson = [m["tasks"][n]["pearson"] for n in names]
    assert m["summary"]["mean_pearson"] == pytest.approx(np.mean(pearson))
    assert m["summary"]["median_pearson"] == pytest.approx(np.median(pearson))
    assert m["summary"]["n_scored"] == 4
    group = [m["tasks"]["a"]["spearman"], m["tasks"]["c"]["spearman"]]
    assert m["groups"]["g"]["mean_spearman"] == pytest.approx(np.mean(group))


def test_constant_task_is_nan_warned_and_left_out_of_summaries() -> None:
    y, pred = _regression_data(t=3)
    y[:, 0] = 1.5  # constant targets: no correlation, no R²
    with pytest.warns(UndefinedTaskMetricWarning, match="1 task"):
        m = regression_metrics(y, pred, ["flat", "b", "c"])
    flat = m["tasks"]["flat"]
    assert math.isnan(flat["pearson"]) and math.isnan(flat["spearman"]) and math.isnan(flat["r2"])
    assert flat["mse"] == pytest.approx(np.mean((1.5 - pred[:, 0]) ** 2))
    assert m["summary"]["n_scored"] == 2
    assert m["summary"]["mean_pearson"] == pytest.approx(
        np.mean([m["tasks"]["b"]["pearson"], m["tasks"]["c"]["pearson"]])
    )


def test_multiclass_metrics_match_sklearn() -> None:
    rng = np.random.default_rng(1)
    n, k = 300, 4
    labels = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = labels[:, None].astype(np.float32)
    y[:5] = np.nan  # unknown labels
    m = multiclass_metrics(y, probs, "cls", ["w", "x", "y", "z"])
    keep = labels[5:], probs[5:]
    predicted = keep[1].argmax(axis=1)
    s = m["summary"]
    assert s["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(keep[0], predicted))
    assert s["macro_auroc"] == pytest.approx(
        sklearn_metrics.roc_auc_score(keep[0], keep[1], multi_class="ovr", average="macro")
    )
    assert s["macro_f1"] == pytest.approx(
        sklearn_metrics.f1_score(keep[0], predicted, average="macro")
    )
    assert m["tasks"]["cls"]["n"] == n - 5 and s["n_classes"] == 4
    assert m["confusion"] == sklearn_metrics.confusion_matrix(keep[0], predicted).tolist()
    assert [m["classes"][c]["n"] for c in "wxyz"] == np.bincount(keep[0], minlength=4).tolist()


def test_multiclass_class_absent_from_split_is_left_out_of_macro_auroc() -> None:
    y = np.array([[0], [1], [0], [1]], dtype=np.float32)
    probs = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.1, 0.3, 0.6]])
    with pytest.warns(UndefinedTaskMetricWarning, match="no label"):
        m = multiclass_metrics(y, probs, "cls", ["a", "b", "c"])
    assert math.isnan(m["classes"]["c"]["auroc"])
    truth = [0, 1, 0, 1]
    auroc_a = sklearn_metrics.roc_auc_score([t == 0 for t in truth], probs[:, 0])
    auroc_b = sklearn_metrics.roc_auc_score([t == 1 for t in truth], probs[:, 1])
    assert m["classes"]["b"]["auroc"] == pytest.approx(auroc_b)
    assert m["summary"]["macro_auroc"] == pytest.approx((auroc_a + auroc_b) / 2)
    # class c is predicted once and never a label: it counts 0 in the macro F1 (sklearn's rule)
    assert m["summary"]["macro_f1"] == pytest.approx(
        sklearn_metrics.f1_score([0, 1, 0, 1], [0, 1, 0, 2], average="macro")
    )
    with pytest.raises(ValueError, match="integers 0..2"):
        multiclass_metrics(np.array([[3.0]]), np.ones((1, 3)) / 3, "cls", ["a", "b", "c"])


@pytest.mark.parametrize("task_type", ["binary", "regression", "multiclass"])
def test_tables_show_the_task_types_columns(task_type: str) -> None:
    rng = np.random.default_rng(2)
    if task_type == "multiclass":
        task = TaskSpec("multiclass", ("cls",), ("a", "b"), "cross_entropy")
        y = rng.integers(0, 2, (40, 1)).astype(np.float32)
        pred = rng.dirichlet([1, 1], 40)
    else:
        task = TaskSpec(task_type, ("t1", "t2"), loss="bce" if task_type == "binary" else "mse")
        y = rng.integers(0, 2, (40, 2)).astype(np.float32)
        pred = rng.random((40, 2))
    metrics = task.metrics(y, pred)
    assert metrics["task_type"] == task_type
    labels, rows = table_rows(metrics)
    expected = {"binary": "AUROC", "regression": "Pearson", "multiclass": "F1"}[task_type]
    assert expected in labels
    text = format_metrics_table(metrics)
    assert expected in text
    assert ("class a" in text) == (task_type == "multiclass")
    assert ("task t2" in text) == (task_type != "multiclass")
    assert all(len(values) == len(labels) for _, values in rows)
