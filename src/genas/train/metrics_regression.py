"""Per-task regression metrics: Pearson r, Spearman ρ, R² and MSE, with summaries overall
and per group.

Unknown targets (NaN) are masked per task. A task with fewer than two known targets, or
with constant targets or constant predictions in the split, has no correlation: its
Pearson r and Spearman ρ are NaN (R² too when the targets are constant), it is left out of
the means and medians of those metrics, and one warning names it (DESIGN.md §3).

Definitions are scipy's and scikit-learn's: Pearson's r (``scipy.stats.pearsonr``),
Spearman's ρ as Pearson's r of average ranks (``scipy.stats.spearmanr``), R² as
``1 - SS_res / SS_tot`` (``sklearn.metrics.r2_score``), MSE the mean squared error. The
computation is vectorised over tasks.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.stats import rankdata

from genas.train.metrics import UndefinedTaskMetricWarning, group_columns, task_matrices

#: Per-task metrics, each summarised as ``mean_<name>`` and ``median_<name>``.
REGRESSION_METRICS = ("pearson", "spearman", "r2", "mse")

# Elements (N x tasks) handled per vectorised block.
_BLOCK_ELEMENTS = 1 << 22


def _pearson_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r of each row pair of float64 (K, N) ``a`` and ``b``; NaN for a constant row."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    den = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(den > 0, (a * b).sum(axis=1) / den, np.nan)
    return np.clip(r, -1.0, 1.0)


def regression_rows(y: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """Pearson, Spearman, R² and MSE of each row pair of (K, N) targets ``y`` and
    predictions ``p`` (no missing values): float64 (K,) each."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    k, n = y.shape
    if n < 2:
        nan = np.full(k, np.nan)
        mse = ((y - p) ** 2).mean(axis=1) if n else nan.copy()
        return {"pearson": nan, "spearman": nan.copy(), "r2": nan.copy(), "mse": mse}
    residual = ((y - p) ** 2).sum(axis=1)
    total = ((y - y.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(total > 0, 1.0 - residual / total, np.nan)
    return {
        "pearson": _pearson_rows(y, p),
        "spearman": _pearson_rows(rankdata(y, axis=1), rankdata(p, axis=1)),
        "r2": r2,
        "mse": residual / n,
    }


def _per_task(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The metrics of every task (T,) each, and the known targets per task."""
    n, t = y_true.shape
    out = {name: np.full(t, np.nan) for name in REGRESSION_METRICS}
    known = ~np.isnan(y_true) & np.isfinite(y_pred)
    n_known = known.sum(axis=0)
    complete = np.flatnonzero(n_known == n)
    block = max(1, _BLOCK_ELEMENTS // max(n, 1))
    for b in range(0, complete.size, block):
        cols = complete[b : b + block]
        rows = regression_rows(y_true[:, cols].T, y_pred[:, cols].T)
        for name in REGRESSION_METRICS:
            out[name][cols] = rows[name]
    for c in np.flatnonzero(n_known < n):  # missing targets: mask per task
        keep = known[:, c]
        rows = regression_rows(y_true[None, keep, c], y_pred[None, keep, c])
        for name in REGRESSION_METRICS:
            out[name][c] = rows[name][0]
    return out, n_known.astype(np.int64)


def regression_summary(values: Mapping[str, np.ndarray]) -> dict:
    """``mean_<m>`` and ``median_<m>`` of each metric over its finite values (NaN when
    none), ``n_tasks`` and ``n_scored`` (tasks with a finite Pearson r)."""
    out: dict = {}
    for name in REGRESSION_METRICS:
        finite = values[name][np.isfinite(values[name])]
        out[f"mean_{name}"] = float(np.mean(finite)) if finite.size else math.nan
        out[f"median_{name}"] = float(np.median(finite)) if finite.size else math.nan
    out["n_tasks"] = int(values["pearson"].size)
    out["n_scored"] = int(np.isfinite(values["pearson"]).sum())
    return out


def regression_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    task_names: Sequence[str],
    task_groups: Mapping[str, Sequence[str]] | None = None,
) -> dict:
    """Per-task Pearson r, Spearman ρ, R² and MSE, summarised overall and per task group.

    Args:
        y_true: (N, T) targets; NaN = unknown (masked for that task).
        y_pred: (N, T) predictions on the same scale.
        task_names: T names.
        task_groups: optional group name -> task names.

    Returns:
        ``{"tasks": {name: {"pearson", "spearman", "r2", "mse", "n"}},
        "summary": {"mean_pearson", "median_pearson", ..., "mean_mse", "median_mse",
        "n_tasks", "n_scored"}, "groups": {group: <same keys as summary>}}``.

    Raises:
        ValueError: shapes disagree, or task names do not match.
        GenasError: a group names a task that does not exist.
    """
    task_names = [str(name) for name in task_names]
    y_true, y_pred = task_matrices(
        np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64), task_names
    )
    columns = group_columns(task_names, task_groups)
    values, n_known = _per_task(y_true, y_pred)
    undefined = [task_names[i] for i in np.flatnonzero(~np.isfinite(values["pearson"]))]
    if undefined:
        shown = ", ".join(undefined[:10]) + (
            f", ... (+{len(undefined) - 10} more)" if len(undefined) > 10 else ""
        )
        warnings.warn(
            f"{len(undefined)} task(s) have constant targets or predictions (or under 2 known "
            f"targets); their Pearson r and Spearman rho are NaN and left out of the means and "
            f"medians: {shown}",
            UndefinedTaskMetricWarning,
            stacklevel=2,
        )
    tasks = {
        name: {**{m: float(values[m][i]) for m in REGRESSION_METRICS}, "n": int(n_known[i])}
        for i, name in enumerate(task_names)
    }
    groups = {
        group: regression_summary({m: v[cols] for m, v in values.items()})
        for group, cols in columns.items()
    }
    return {"tasks": tasks, "summary": regression_summary(values), "groups": groups}
