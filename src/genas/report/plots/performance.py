"""How well the model does: per-task metrics by group, against baselines, ROC and PR curves
(binary), predicted against observed values (regression), the confusion matrix (multiclass).

Per-task metrics are the ``"tasks"`` mapping of ``metrics.json`` (``{task: {"auroc",
"auprc", ...}}`` for binary tasks, ``{"pearson", "spearman", "r2", "mse"}`` for regression;
NaN or None for a task that cannot be scored).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import auc, precision_recall_curve, roc_curve

from genas.report.plots.common import message_figure, new_figure

#: Per-task metrics these plots draw, with their axis labels and the range they live in.
_LABELS = {"auroc": "AUROC", "auprc": "AUPRC", "pearson": "Pearson r", "spearman": "Spearman ρ"}
METRICS = tuple(_LABELS)
_RANGE = {"auroc": (0.0, 1.0), "auprc": (0.0, 1.0), "pearson": (-1.0, 1.0),
          "spearman": (-1.0, 1.0)}  # fmt: skip


def _value(entry: Mapping | None, metric: str) -> float:
    value = (entry or {}).get(metric)
    return np.nan if value is None else float(value)


def plot_metric_by_group(
    tasks: Mapping[str, Mapping],
    groups: Mapping[str, Sequence[str]] | None = None,
    metrics: Sequence[str] = ("auroc", "auprc"),
) -> Figure:
    """Box plots (with each task as a point) of two per-task metrics per task group: AUROC
    and AUPRC, or (regression) Pearson r and Spearman ρ."""
    groups = dict(groups) if groups else {"all tasks": list(tasks)}
    fig = new_figure(1000, 450)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    rng = np.random.default_rng(0)  # jitter only
    for ax, metric in zip(axes, metrics, strict=True):
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
    floor, ceiling = _RANGE[metric]
    lo, hi = (floor, ceiling) if lo > hi else (max(floor, lo - pad), min(ceiling, hi + pad))
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


def plot_predicted_vs_observed(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    task_names: Sequence[str],
    tasks: Sequence[int],
    scale: str = "",
    max_points: int = 5000,
) -> Figure:
    """A grid of scatter plots, one per chosen task: predicted (y) against observed (x)
    values with the diagonal, titled with the task's Pearson r over the points drawn.

    Args:
        y_true: (N, T) targets (NaN = unknown, dropped per task).
        y_pred: (N, T) predictions on the same scale.
        tasks: column indices to draw (up to 6 fill a 3-column grid).
        scale: what the axes measure, e.g. ``"log(1 + y)"``; appended to the labels.
        max_points: draw at most this many points per task (the first ones).
    """
    if not tasks:
        return message_figure("no task to draw")
    cols = min(3, len(tasks))
    rows = -(-len(tasks) // cols)
    fig = new_figure(330 * cols + 40, 320 * rows + 20)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    suffix = f" ({scale})" if scale else ""
    for ax, t in zip(axes, tasks, strict=False):
        y = np.asarray(y_true[:max_points, t], dtype=np.float64)
        p = np.asarray(y_pred[:max_points, t], dtype=np.float64)
        ok = np.isfinite(y) & np.isfinite(p)
        y, p = y[ok], p[ok]
        name = str(task_names[t])
        if y.size < 2:
            ax.text(0.5, 0.5, f"{name}: under 2 known targets", ha="center", va="center")
            ax.axis("off")
            continue
        ax.plot(y, p, "o", ms=2.5, alpha=min(1.0, max(0.15, 300 / y.size)))
        lo, hi = float(min(y.min(), p.min())), float(max(y.max(), p.max()))
        ax.plot([lo, hi], [lo, hi], color="grey", ls="--", lw=1)
        r = np.corrcoef(y, p)[0, 1] if y.std() > 0 and p.std() > 0 else np.nan
        ax.set_title(f"{name} (r = {r:.3f}, n = {y.size:,})", fontsize=10)
        ax.set_xlabel(f"observed{suffix}", fontsize=9)
        ax.set_ylabel(f"predicted{suffix}", fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes[len(tasks) :]:
        ax.axis("off")
    return fig


def plot_confusion(confusion: Sequence[Sequence[int]], class_names: Sequence[str]) -> Figure:
    """The confusion matrix of a multi-class task twice: counts (left) and normalised per
    row, i.e. the fraction of each true class predicted as each class (right; the diagonal is
    each class's recall).

    Args:
        confusion: K x K counts, rows the true class, columns the predicted class.
        class_names: the K class names.
    """
    counts = np.asarray(confusion, dtype=np.int64)
    k = len(class_names)
    if counts.shape != (k, k):
        raise ValueError(f"confusion matrix {counts.shape} does not fit {k} classes")
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        fractions = np.where(totals > 0, counts / np.maximum(totals, 1), np.nan)
    size = 260 + 45 * k
    fig = new_figure(2 * size + 120, size + 60)
    names = [str(c) for c in class_names]
    for ax, matrix, title, text in zip(
        fig.subplots(1, 2),
        (counts, fractions),
        ("counts", "fraction of the true class (row)"),
        ("{:,.0f}", "{:.2f}"),
        strict=True,
    ):
        image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=None if matrix is counts else 1)
        fig.colorbar(image, ax=ax, shrink=0.8)
        ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(k), names, fontsize=8)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title(title, fontsize=10)
        if k <= 12:  # numbers in the cells while they fit
            peak = np.nanmax(matrix) if np.isfinite(matrix).any() else 0
            for i in range(k):
                for j in range(k):
                    if np.isfinite(matrix[i, j]):
                        dark = peak > 0 and matrix[i, j] > 0.6 * peak
                        ax.text(j, i, text.format(matrix[i, j]), ha="center", va="center",
                                fontsize=8, color="white" if dark else "black")  # fmt: skip
    return fig
