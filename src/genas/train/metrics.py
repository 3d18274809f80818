"""Per-task classification metrics: AUROC and AUPRC, with summaries overall and per group.

A task whose labels hold a single class in the split (or none at all) has no AUROC or
AUPRC: it is reported as NaN, left out of every mean and median, and named in one warning
(DESIGN.md §3) — never a crash and never a silent 0.5. Unknown labels (NaN) are masked
per task.

The computation is vectorised over tasks: one sort per block of tasks gives both metrics,
exactly as scikit-learn's ``roc_auc_score`` and ``average_precision_score`` define them
(ties included).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from genas.errors import GenasError

#: Summary keys of :func:`task_metrics` (overall and per group).
SUMMARY_KEYS = ("mean_auroc", "median_auroc", "mean_auprc", "median_auprc")

# Elements (N x tasks) handled per vectorised block: bounds the temporary arrays to ~32 MB each.
_BLOCK_ELEMENTS = 1 << 22


class UndefinedTaskMetricWarning(UserWarning):
    """Some tasks have no AUROC/AUPRC in this split (a single class, or non-finite scores)."""


def binary_auroc_auprc(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUROC and average precision of every row, in one sort per row.

    Args:
        y: bool (K, N), the labels of K tasks (no missing values).
        s: float (K, N), their scores (finite).

    Returns:
        auroc, auprc: float64 (K,) each; NaN for a task holding a single class.
    """
    k, n = y.shape
    n_pos = y.sum(axis=1, dtype=np.int64)
    n_neg = n - n_pos
    if n == 0:
        return np.full(k, np.nan), np.full(k, np.nan)

    order = np.argsort(-s, axis=1)  # descending; the order inside a tie group is irrelevant
    s_sorted = np.take_along_axis(s, order, axis=1)
    y_sorted = np.take_along_axis(y, order, axis=1)
    del order
    tp = np.cumsum(y_sorted, axis=1, dtype=np.int64)  # (K, N) true positives down to rank i
    fp = np.arange(1, n + 1, dtype=np.int64)[None, :] - tp

    # Tie groups: last[i] = last rank of the group holding rank i, first[i] = its first rank.
    idx = np.arange(n, dtype=np.int64)[None, :]
    ends = np.ones((k, n), dtype=bool)
    ends[:, :-1] = s_sorted[:, :-1] != s_sorted[:, 1:]
    del s_sorted
    starts = np.ones((k, n), dtype=bool)
    starts[:, 1:] = ends[:, :-1]
    last = np.minimum.accumulate(np.where(ends, idx, n)[:, ::-1], axis=1)[:, ::-1]
    first = np.maximum.accumulate(np.where(starts, idx, -1), axis=1)
    del ends, starts

    tp_last = np.take_along_axis(tp, last, axis=1)
    fp_last = np.take_along_axis(fp, last, axis=1)
    fp_before = np.take_along_axis(fp, np.maximum(first - 1, 0), axis=1)
    fp_before[first == 0] = 0

    with np.errstate(divide="ignore", invalid="ignore"):
        # Each positive beats the negatives below its tie group and half of those inside it.
        losses = np.where(y_sorted, fp_last + fp_before, 0).sum(axis=1)
        auroc = (n_pos * n_neg - 0.5 * losses) / (n_pos * n_neg)
        # Average precision: each positive adds the precision at the end of its tie group.
        precision = tp_last / (last + 1)
        auprc = np.where(y_sorted, precision, 0.0).sum(axis=1) / n_pos
    undefined = (n_pos == 0) | (n_neg == 0)
    auroc[undefined] = np.nan
    auprc[undefined] = np.nan
    return auroc, auprc


def _summary(auroc: np.ndarray, auprc: np.ndarray) -> dict:
    """Means and medians over the finite values; NaN when there are none."""

    def stat(values: np.ndarray, fn) -> float:
        finite = values[np.isfinite(values)]
        return float(fn(finite)) if finite.size else math.nan

    return {
        "mean_auroc": stat(auroc, np.mean),
        "median_auroc": stat(auroc, np.median),
        "mean_auprc": stat(auprc, np.mean),
        "median_auprc": stat(auprc, np.median),
        "n_tasks": int(auroc.size),
        "n_scored": int(np.isfinite(auroc).sum()),
    }


def task_matrices(
    y_true: np.ndarray, y_score: np.ndarray, task_names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and scores as (N, T) arrays (a 1-D pair is one task), for every task type.

    Raises:
        ValueError: the shapes disagree, or there is not one name per task.
    """
    if y_true.ndim == 1:
        y_true, y_score = y_true[:, None], y_score.reshape(-1, 1)
    if y_true.ndim != 2 or y_true.shape != y_score.shape:
        raise ValueError(
            f"y_true {tuple(y_true.shape)} and y_score {tuple(y_score.shape)} must both be (N, T)"
        )
    if len(task_names) != y_true.shape[1]:
        raise ValueError(f"{len(task_names)} task names for {y_true.shape[1]} tasks")
    return y_true, y_score


def group_columns(
    task_names: Sequence[str], task_groups: Mapping[str, Sequence[str]] | None
) -> dict[str, np.ndarray]:
    """group name -> int64 column indices of its tasks.

    Raises:
        GenasError: a group names a task that does not exist.
    """
    index = {name: i for i, name in enumerate(task_names)}
    columns = {}
    for group, members in (task_groups or {}).items():
        unknown = [m for m in members if m not in index]
        if unknown:
            raise GenasError(
                f"task group {group!r} names unknown task(s): {', '.join(map(str, unknown[:5]))}"
            )
        columns[group] = np.array([index[m] for m in members], dtype=np.int64)
    return columns


def _check_inputs(
    y_true: np.ndarray, y_score: np.ndarray, task_names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_score = task_matrices(
        np.asarray(y_true, dtype=np.float32), np.asarray(y_score), task_names
    )
    if len(set(task_names)) != len(task_names):
        raise ValueError("task names must be unique")
    bad = ~((y_true == 0) | (y_true == 1) | np.isnan(y_true))
    if bad.any():
        i, t = np.argwhere(bad)[0]
        raise ValueError(
            f"labels must be 0, 1 or NaN; task {task_names[t]!r} row {i} holds {y_true[i, t]}"
        )
    if not np.issubdtype(y_score.dtype, np.floating):
        y_score = y_score.astype(np.float64)
    return y_true, y_score


def _per_task(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, ...]:
    """AUROC, AUPRC, n_pos, n and a non-finite-score flag per task: (T,) each."""
    n, t = y_true.shape
    auroc, auprc = np.full(t, np.nan), np.full(t, np.nan)
    known = ~np.isnan(y_true)
    n_known = known.sum(axis=0)
    n_pos = np.nansum(y_true, axis=0).astype(np.int64)
    bad_score = (~np.isfinite(y_score) & known).any(axis=0)

    complete = np.flatnonzero((n_known == n) & ~bad_score)
    block = max(1, _BLOCK_ELEMENTS // max(n, 1))
    for b in range(0, complete.size, block):
        cols = complete[b : b + block]
        y_block = np.ascontiguousarray(y_true[:, cols].T) == 1  # (k, N)
        s_block = np.ascontiguousarray(y_score[:, cols].T)
        auroc[cols], auprc[cols] = binary_auroc_auprc(y_block, s_block)
    for c in np.flatnonzero((n_known < n) & ~bad_score):  # missing labels: mask per task
        rows = known[:, c]
        a, p = binary_auroc_auprc(y_true[None, rows, c] == 1, y_score[None, rows, c])
        auroc[c], auprc[c] = a[0], p[0]
    return auroc, auprc, n_pos, n_known.astype(np.int64), bad_score


def _warn_undefined(names: list[str], reason: str) -> None:
    shown = ", ".join(names[:10]) + (f", ... (+{len(names) - 10} more)" if len(names) > 10 else "")
    warnings.warn(
        f"{len(names)} task(s) {reason}; their AUROC/AUPRC are NaN and left out of the "
        f"means and medians: {shown}",
        UndefinedTaskMetricWarning,
        stacklevel=3,
    )


def task_metrics(
    y_true: np.ndarray,
    y_score: np.ndarray,
    task_names: Sequence[str],
    task_groups: Mapping[str, Sequence[str]] | None = None,
) -> dict:
    """Per-task AUROC and AUPRC, with means and medians overall and per task group.

    Args:
        y_true: (N, T) labels 0/1; NaN = unknown (masked for that task).
        y_score: (N, T) scores (probabilities or logits: only their order matters).
        task_names: T names.
        task_groups: optional group name -> task names (e.g. DNase / TF / histone).

    Returns:
        ``{"tasks": {name: {"auroc", "auprc", "n_pos", "n"}},
        "summary": {"mean_auroc", "median_auroc", "mean_auprc", "median_auprc",
        "n_tasks", "n_scored"}, "groups": {group: <same keys as summary>}}``.
        Tasks with a single class (or non-finite scores) get NaN and are skipped in the
        summaries; one :class:`UndefinedTaskMetricWarning` names them.

    Raises:
        ValueError: shapes disagree or labels are not 0, 1 or NaN.
        GenasError: a group names a task that does not exist.
    """
    task_names = [str(name) for name in task_names]
    y_true, y_score = _check_inputs(y_true, y_score, task_names)
    columns = group_columns(task_names, task_groups)

    auroc, auprc, n_pos, n, bad_score = _per_task(y_true, y_score)
    single = ~bad_score & ((n_pos == 0) | (n_pos == n))
    if single.any():
        _warn_undefined([task_names[i] for i in np.flatnonzero(single)], "have a single class")
    if bad_score.any():
        _warn_undefined(
            [task_names[i] for i in np.flatnonzero(bad_score)], "have non-finite scores"
        )

    tasks = {
        name: {
            "auroc": float(auroc[i]),
            "auprc": float(auprc[i]),
            "n_pos": int(n_pos[i]),
            "n": int(n[i]),
        }
        for i, name in enumerate(task_names)
    }
    group_summaries = {group: _summary(auroc[cols], auprc[cols]) for group, cols in columns.items()}
    return {"tasks": tasks, "summary": _summary(auroc, auprc), "groups": group_summaries}


def auroc_standard_error(auroc: float, n_pos: int, n_neg: int) -> float:
    """Standard error of one AUROC from ``n_pos`` positives and ``n_neg`` negatives (Hanley &
    McNeil, Radiology 1982): how far apart two models' AUROCs on one test set must be before
    the test set can tell them apart. NaN for an undefined AUROC or a single class."""
    if not math.isfinite(auroc) or n_pos < 1 or n_neg < 1:
        return math.nan
    q1, q2 = auroc / (2 - auroc), 2 * auroc**2 / (1 + auroc)
    var = (auroc * (1 - auroc) + (n_pos - 1) * (q1 - auroc**2) + (n_neg - 1) * (q2 - auroc**2)) / (
        n_pos * n_neg
    )
    return math.sqrt(max(var, 0.0))


#: Per task type, the summary keys of its compact tables with their labels; the first is the
#: headline: the score early stopping monitors and the one a comparison leads with.
SUMMARY_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "binary": (
        ("mean_auroc", "mean AUROC"),
        ("median_auroc", "median AUROC"),
        ("mean_auprc", "mean AUPRC"),
    ),
    "regression": (
        ("mean_pearson", "mean Pearson r"),
        ("median_pearson", "median Pearson r"),
        ("mean_spearman", "mean Spearman rho"),
        ("mean_r2", "mean R2"),
        ("mean_mse", "mean MSE"),
    ),
    "multiclass": (
        ("macro_auroc", "macro AUROC"),
        ("accuracy", "accuracy"),
        ("macro_f1", "macro F1"),
    ),
}
#: Per task type, the metrics of one task (one class for multiclass) with their labels.
TASK_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "binary": (("auroc", "AUROC"), ("auprc", "AUPRC")),
    "regression": (("pearson", "Pearson"), ("spearman", "Spearman"), ("r2", "R2"), ("mse", "MSE")),
    "multiclass": (("auroc", "AUROC"), ("f1", "F1")),
}


def metrics_task_type(metrics: Mapping) -> str:
    """The task type an evaluation's metrics belong to (older, binary ones name none)."""
    return str(metrics.get("task_type") or "binary")


def headline(task_type: str) -> str:
    """The summary key that early stopping monitors for ``task_type`` (e.g. mean_auroc)."""
    return SUMMARY_COLUMNS[task_type][0][0]


def table_rows(
    metrics: Mapping, max_tasks: int = 20
) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    """Column labels and ``(label, values)`` rows of one split's metrics, by task type.

    Binary and regression: the mean and median of each per-task metric, the mean of each
    group, then each task (when there are 2 to ``max_tasks``). Multiclass: the macro
    AUROC and F1, the accuracy, then each class's one-vs-rest AUROC and F1. A value that
    does not apply to a row is None.
    """
    task_type = metrics_task_type(metrics)
    columns = TASK_COLUMNS[task_type]
    labels = [label for _, label in columns]
    summary = metrics.get("summary", {})
    if task_type == "multiclass":
        rows = [
            ("macro", [summary.get("macro_auroc"), summary.get("macro_f1")]),
            ("accuracy", [summary.get("accuracy"), None]),
        ]
        for name, values in list(metrics.get("classes", {}).items())[:max_tasks]:
            rows.append((f"class {name}", [values.get(key) for key, _ in columns]))
        return labels, rows
    rows = [
        ("mean", [summary.get(f"mean_{key}") for key, _ in columns]),
        ("median", [summary.get(f"median_{key}") for key, _ in columns]),
    ]
    for group, values in (metrics.get("groups") or {}).items():
        rows.append((f"group {group} (mean)", [values.get(f"mean_{key}") for key, _ in columns]))
    tasks = metrics.get("tasks", {})
    if len(tasks) > 1:
        for name, values in list(tasks.items())[:max_tasks]:
            rows.append((f"task {name}", [values.get(key) for key, _ in columns]))
    return labels, rows


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return "   nan" if not math.isfinite(value) else f"{value:6.4f}"


def format_metrics_table(metrics: Mapping, max_tasks: int = 20) -> str:
    """A compact plain-text table of one split's metrics (:func:`table_rows`), with the
    loss when known."""
    labels, rows = table_rows(metrics, max_tasks)
    lines = [f"{'':32} " + " ".join(f"{c:>12}" for c in labels)]
    for label, values in rows:
        lines.append(f"{label[:32]:32} " + " ".join(f"{_fmt(v):>12}" for v in values))
    if "loss" in metrics:
        lines.append(f"loss {metrics['loss']:.4f}")
    return "\n".join(lines)
