"""How well the model does: per-task metrics by group, against baselines, ROC and PR curves.

Per-task metrics are the ``"tasks"`` mapping of :func:`genas.train.metrics.task_metrics`
(``{task: {"auroc", "auprc", ...}}``, NaN or None for a task that cannot be scored).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import auc, precision_recall_curve, roc_curve

from genas.report.plots.common import message_figure, new_figure

METRICS = ("auroc", "auprc")
_LABELS = {"auroc": "AUROC", "auprc": "AUPRC"}


def _value(entry: Mapping | None, metric: str) -> float:
    value = (entry or {}).get(metric)
    return np.nan if value is None else float(value)


def plot_metric_by_group(
    tasks: Mapping[str, Mapping], groups: Mapping[str, Sequence[str]] | None = None
) -> Figure:
    """Box plots (with each task as a point) of AUROC and AUPRC per task group."""
    groups = dict(groups) if groups else {"all tasks": list(tasks)}
    fig = new_figure(1000, 450)
    axes = fig.subplots(1, 2)
    rng = np.random.default_rng(0)  # jitter only
    for ax, metric in zip(axes, METRICS, strict=True):
        data, names = [], []
        for group, members in groups.items():
            values = np.array([_value(tasks.get(t), metric) for t in members])
            values = values[np.isfinite(values)]
            if values.size:
                data.append(values)
                names.append(f"{group}\n(n={values.size})")
        if not data:
            ax.text(0.5, 0.5, "no scored task", ha="center", va="center")
            ax.axis("off")
            continue
        ax.boxplot(data, showfliers=False)
        for k, values in enumerate(data, start=1):
            ax.plot(k + rng.uniform(-0.15, 0.15, values.size), values, "o", ms=3, alpha=0.6)
        ax.set_xticks(range(1, len(names) + 1), names)
        ax.set_ylabel(_LABELS[metric])
        ax.set_title(f"test {_LABELS[metric]} per task")
        ax.grid(alpha=0.3, axis="y")
    return fig


def plot_model_vs_baselines(
    model_tasks: Mapping[str, Mapping],
    baselines: Mapping[str, Mapping[str, Mapping]],
    metric: str = "auroc",
    model_name: str = "searched (genas)",
) -> Figure:
    """Per task: the searched model's metric (y) against each baseline's (x), with y = x."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if not baselines:
        return message_figure("no baselines trained (run `genas compare RUN_DIR`)")
    fig = new_figure(650, 600)
    ax = fig.add_subplot()
    lo, hi = 1.0, 0.0
    markers = "osD^v<>ph*"
    for k, (name, tasks) in enumerate(baselines.items()):
        shared = [t for t in model_tasks if t in tasks]
        x = np.array([_value(tasks[t], metric) for t in shared])
        y = np.array([_value(model_tasks[t], metric) for t in shared])
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            continue
        wins = int((y[ok] > x[ok]).sum())
        ax.plot(x[ok], y[ok], markers[k % len(markers)], ms=5, alpha=0.7,
                label=f"{name} ({wins}/{int(ok.sum())} tasks better)")  # fmt: skip
        lo, hi = min(lo, x[ok].min(), y[ok].min()), max(hi, x[ok].max(), y[ok].max())
    pad = 0.02
    lo, hi = (0.0, 1.0) if lo > hi else (max(0.0, lo - pad), min(1.0, hi + pad))
    ax.plot([lo, hi], [lo, hi], color="grey", ls="--", lw=1)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel(f"baseline test {_LABELS[metric]}")
    ax.set_ylabel(f"{model_name} test {_LABELS[metric]}")
    ax.set_title(f"per-task {_LABELS[metric]}: searched model vs baselines")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_roc_pr(
    y_true: np.ndarray, y_score: np.ndarray, task_names: Sequence[str], tasks: Sequence[int]
) -> Figure:
    """ROC and precision-recall curves of the chosen tasks.

    Args:
        y_true: (N, T) labels 0/1 (NaN = unknown, dropped per task).
        y_score: (N, T) predicted probabilities.
        tasks: column indices to draw (tasks with a single class are skipped).
    """
    fig = new_figure(1000, 450)
    ax_roc, ax_pr = fig.subplots(1, 2)
    drawn = 0
    for t in tasks:
        y, s = np.asarray(y_true[:, t], dtype=np.float64), np.asarray(y_score[:, t])
        known = np.isfinite(y)
        y, s = y[known], s[known]
        if y.size == 0 or y.min() == y.max():
            continue
        fpr, tpr, _ = roc_curve(y, s)
        precision, recall, _ = precision_recall_curve(y, s)
        name = str(task_names[t])
        ax_roc.plot(fpr, tpr, lw=1.5, label=f"{name} ({auc(fpr, tpr):.3f})")
        ax_pr.plot(recall, precision, lw=1.5, label=f"{name} (base {y.mean():.2f})")
        drawn += 1
    if not drawn:
        fig.clear()
        return message_figure("no chosen task has both classes in the test split")
    ax_roc.plot([0, 1], [0, 1], color="grey", ls="--", lw=1)
    ax_roc.set_xlabel("false positive rate")
    ax_roc.set_ylabel("true positive rate")
    ax_roc.set_title("ROC (AUROC in legend)")
    ax_pr.set_xlabel("recall")
    ax_pr.set_ylabel("precision")
    ax_pr.set_title("precision-recall (positive rate in legend)")
    for ax in (ax_roc, ax_pr):
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if ax is ax_roc else "lower left", fontsize=7)
    return fig
