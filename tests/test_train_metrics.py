"""genas.train.metrics: per-task AUROC/AUPRC, NaN handling, summaries, groups."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from genas.errors import GenasError
from genas.train import metrics as metrics_module
from genas.train.metrics import UndefinedTaskMetricWarning, format_metrics_table, task_metrics


def _data(n: int = 400, t: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, t)) < rng.uniform(0.05, 0.5, size=t)).astype(np.float32)
    # Coarse scores: many ties, which sklearn and genas must treat the same.
    s = np.round(rng.random((n, t)) * 0.8 + 0.4 * y, 1).astype(np.float32)
    return y, s, [f"task{i}" for i in range(t)]


@pytest.mark.parametrize("block_elements", [1 << 22, 1000])  # one block, many blocks
def test_matches_sklearn_with_ties_and_missing_labels(monkeypatch, block_elements):
    monkeypatch.setattr(metrics_module, "_BLOCK_ELEMENTS", block_elements)
    y, s, names = _data()
    y[::7, 2] = np.nan
    y[:50, 5] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no task is single-class: no warning expected
        m = task_metrics(y, s, names)
    for i, name in enumerate(names):
        known = ~np.isnan(y[:, i])
        assert m["tasks"][name]["auroc"] == pytest.approx(roc_auc_score(y[known, i], s[known, i]))
        assert m["tasks"][name]["auprc"] == pytest.approx(
            average_precision_score(y[known, i], s[known, i])
        )
        assert m["tasks"][name]["n"] == known.sum()
        assert m["tasks"][name]["n_pos"] == int(np.nansum(y[:, i]))
    aurocs = [m["tasks"][n]["auroc"] for n in names]
    assert m["summary"]["mean_auroc"] == pytest.approx(np.mean(aurocs))
    assert m["summary"]["median_auroc"] == pytest.approx(np.median(aurocs))
    assert m["summary"]["n_scored"] == len(names)


def test_perfect_and_inverted_scores():
    y = np.array([[0, 0], [0, 0], [1, 1], [1, 1]], dtype=np.float32)
    s = np.array([[0.1, 0.9], [0.2, 0.8], [0.7, 0.3], [0.9, 0.1]], dtype=np.float32)
    m = task_metrics(y, s, ["up", "down"])
    assert m["tasks"]["up"]["auroc"] == 1.0 and m["tasks"]["up"]["auprc"] == 1.0
    assert m["tasks"]["down"]["auroc"] == 0.0
    assert m["tasks"]["down"]["auprc"] == pytest.approx(average_precision_score(y[:, 1], s[:, 1]))


def test_single_class_task_is_nan_warned_once_and_skipped():
    y, s, names = _data(t=5)
    y[:, 1] = 0  # only negatives
    y[:, 3] = 1  # only positives
    with pytest.warns(UndefinedTaskMetricWarning) as record:
        m = task_metrics(y, s, names)
    assert len(record) == 1
    message = str(record[0].message)
    assert "2 task(s)" in message and "task1" in message and "task3" in message
    for name in ("task1", "task3"):
        assert math.isnan(m["tasks"][name]["auroc"]) and math.isnan(m["tasks"][name]["auprc"])
    scored = [m["tasks"][n]["auroc"] for n in ("task0", "task2", "task4")]
    assert m["summary"]["mean_auroc"] == pytest.approx(np.mean(scored))
    assert m["summary"]["median_auroc"] == pytest.approx(np.median(scored))
    assert m["summary"]["n_scored"] == 3 and m["summary"]["n_tasks"] == 5


def test_task_with_no_known_label_and_all_single_class():
    y = np.array([[np.nan, 0], [np.nan, 0], [np.nan, 0]], dtype=np.float32)
    s = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], dtype=np.float32)
    with pytest.warns(UndefinedTaskMetricWarning):
        m = task_metrics(y, s, ["a", "b"])
    assert m["tasks"]["a"]["n"] == 0
    assert all(math.isnan(v) for v in m["summary"].values() if isinstance(v, float))
    assert m["summary"]["n_scored"] == 0


def test_non_finite_scores_are_nan_with_warning():
    y, s, names = _data(t=3)
    s[5, 0] = np.nan
    with pytest.warns(UndefinedTaskMetricWarning, match="non-finite"):
        m = task_metrics(y, s, names)
    assert math.isnan(m["tasks"]["task0"]["auroc"])
    assert math.isfinite(m["tasks"]["task1"]["auroc"])


def test_group_summaries():
    y, s, names = _data(t=6)
    groups = {"dnase": ["task0", "task1"], "tf": ["task2", "task3", "task4", "task5"]}
    m = task_metrics(y, s, names, groups)
    for group, members in groups.items():
        aurocs = [m["tasks"][n]["auroc"] for n in members]
        auprcs = [m["tasks"][n]["auprc"] for n in members]
        g = m["groups"][group]
        assert g["mean_auroc"] == pytest.approx(np.mean(aurocs))
        assert g["median_auroc"] == pytest.approx(np.median(aurocs))
        assert g["mean_auprc"] == pytest.approx(np.mean(auprcs))
        assert g["median_auprc"] == pytest.approx(np.median(auprcs))
        assert g["n_tasks"] == len(members)
    table = format_metrics_table(m)
    assert "dnase" in table and "tf" in table and "task5" in table


def test_bad_inputs():
    y, s, names = _data(t=3)
    with pytest.raises(GenasError, match="nope"):
        task_metrics(y, s, names, {"g": ["task0", "nope"]})
    with pytest.raises(ValueError, match="task names"):
        task_metrics(y, s, names[:2])
    with pytest.raises(ValueError, match="shape|must both"):
        task_metrics(y, s[:, :2], names)
    y[0, 0] = 2
    with pytest.raises(ValueError, match="0, 1 or NaN"):
        task_metrics(y, s, names)


def test_auroc_standard_error_hanley_mcneil():
    from genas.train.metrics import auroc_standard_error

    # AUROC 0.8, 50 + 50 cases: Q1 = 0.8 / 1.2, Q2 = 1.28 / 1.8,
    # var = (0.16 + 49 (Q1 - 0.64) + 49 (Q2 - 0.64)) / 2500 = 0.001980 -> SE 0.0445
    assert auroc_standard_error(0.8, 50, 50) == pytest.approx(0.0445, abs=1e-4)
    assert auroc_standard_error(0.85, 500, 500) < auroc_standard_error(0.85, 50, 50)
    assert math.isnan(auroc_standard_error(0.9, 0, 10))
    assert math.isnan(auroc_standard_error(float("nan"), 10, 10))


def test_comparison_table_shows_standard_errors_when_known():
    from rich.console import Console

    from genas.report.tables import comparison_table

    rows = [{"model": "a", "parameters": 10, "test_mean_auroc": 0.9, "test_auroc_se": 0.011,
             "test_median_auroc": 0.9, "test_mean_auprc": 0.8, "train_seconds": 3.0},
            {"model": "b", "parameters": None, "test_mean_auroc": 0.8, "test_median_auroc": 0.8,
             "test_mean_auprc": 0.7, "train_seconds": None}]
    console = Console(width=200, record=True)
    console.print(comparison_table(rows))
    text = console.export_text()
    assert "± SE" in text and "0.0110" in text
    # one task: its AUROC, not a mean and a median of one
    assert "test AUROC" in text and "median" not in text
    console = Console(width=200, record=True)
    console.print(comparison_table([dict(rows[1])]))
    text = console.export_text()
    assert "± SE" not in text and "median AUROC" in text


def test_demo_comparison_table_fits_80_columns():
    """`genas demo`'s table in a terminal of 80 columns: no name or header cut or wrapped."""
    from rich.console import Console

    from genas.report.tables import comparison_table

    names = ["searched (genas)", "random_1", "random_2", "random_3", "deepbind"]
    rows = [{"model": name, "task_type": "binary", "parameters": 214_659,
             "test_mean_auroc": 0.8626, "test_median_auroc": 0.8626, "test_auroc_se": 0.0118,
             "test_mean_auprc": 0.8658, "train_seconds": 489.0} for name in names]
    console = Console(width=80, record=True)
    console.print(comparison_table(rows, title="TAF7 test set (500 peaks + 500 shuffled)"))
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    assert "…" not in text and "searched (genas)" in text and "214,659" in text
    assert len([line for line in lines if "0.8626" in line]) == len(names)  # one line a row
