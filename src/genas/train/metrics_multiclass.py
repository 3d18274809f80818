"""Multi-class metrics: accuracy, macro AUROC (one class against the rest), macro F1, and
per-class counts, AUROC, precision, recall and F1 with the confusion matrix.

Definitions are scikit-learn's: ``accuracy_score``; ``roc_auc_score(multi_class="ovr",
average="macro")`` except that a class absent from the split has no AUROC and is left out
of the macro mean with a warning (scikit-learn raises); ``f1_score(average="macro")``,
averaging over the classes that occur among the labels or the predictions, a class with no
prediction (or no label) counting 0. Unknown labels (NaN) are masked.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from genas.train.metrics import UndefinedTaskMetricWarning, binary_auroc_auprc


def _check(y_true: np.ndarray, y_prob: np.ndarray, n_classes: int) -> tuple[np.ndarray, ...]:
    """Known rows: class indices int64 (n,) and probabilities float64 (n, K)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_prob = np.asarray(y_prob, dtype=np.float64)
    if y_true.ndim == 2 and y_true.shape[1] == 1:
        y_true = y_true[:, 0]
    if y_true.ndim != 1 or y_prob.shape != (y_true.shape[0], n_classes):
        raise ValueError(
            f"labels {tuple(y_true.shape)} and probabilities {tuple(y_prob.shape)} must be "
            f"(N, 1) and (N, {n_classes})"
        )
    known = ~np.isnan(y_true)
    labels = y_true[known]
    if labels.size and (
        (labels != np.round(labels)).any() or labels.min() < 0 or labels.max() >= n_classes
    ):
        raise ValueError(f"class labels must be integers 0..{n_classes - 1} or NaN")
    return labels.astype(np.int64), y_prob[known]


def multiclass_metrics(
    y_true: np.ndarray, y_prob: np.ndarray, task_name: str, class_names: Sequence[str]
) -> dict:
    """Accuracy, macro AUROC and macro F1 of one multi-class task, and per-class metrics.

    Args:
        y_true: (N, 1) or (N,) class indices 0..K-1; NaN = unknown.
        y_prob: (N, K) class probabilities (only their order within a row matters for the
            predicted class, and within a column for the AUROC).
        task_name: the task's name (the label column).
        class_names: the K class names.

    Returns:
        ``{"tasks": {task_name: {"accuracy", "macro_auroc", "macro_f1", "n"}},
        "classes": {class: {"n", "n_predicted", "auroc", "precision", "recall", "f1"}},
        "confusion": K x K counts (rows: label, columns: predicted class),
        "summary": {"accuracy", "macro_auroc", "macro_f1", "n_classes", "n_tasks",
        "n_scored"}, "groups": {}}``.
    """
    names = [str(c) for c in class_names]
    k = len(names)
    labels, probs = _check(y_true, y_prob, k)
    n = labels.size
    predicted = probs.argmax(axis=1) if n else np.zeros(0, np.int64)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    tp = np.diag(confusion).astype(np.float64)
    n_true, n_pred = confusion.sum(axis=1), confusion.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(n_pred > 0, tp / n_pred, 0.0)
        recall = np.where(n_true > 0, tp / n_true, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    occurring = (n_true > 0) | (n_pred > 0)
    auroc = (
        binary_auroc_auprc(labels[None, :] == np.arange(k)[:, None], probs.T.copy())[0]
        if n
        else np.full(k, np.nan)
    )
    absent = [names[c] for c in np.flatnonzero(n_true == 0)]
    if absent and n:
        warnings.warn(
            f"{len(absent)} class(es) have no label in this split; their one-vs-rest AUROC is "
            f"NaN and left out of the macro AUROC: {', '.join(absent[:10])}",
            UndefinedTaskMetricWarning,
            stacklevel=2,
        )
    finite = auroc[np.isfinite(auroc)]
    summary = {
        "accuracy": float(tp.sum() / n) if n else math.nan,
        "macro_auroc": float(finite.mean()) if finite.size else math.nan,
        "macro_f1": float(f1[occurring].mean()) if occurring.any() else math.nan,
        "n_classes": k,
        "n_tasks": 1,
        "n_scored": int(n > 0),
    }
    classes = {
        name: {
            "n": int(n_true[c]),
            "n_predicted": int(n_pred[c]),
            "auroc": float(auroc[c]),
            "precision": float(precision[c]),
            "recall": float(recall[c]),
            "f1": float(f1[c]),
        }
        for c, name in enumerate(names)
    }
    task = {key: summary[key] for key in ("accuracy", "macro_auroc", "macro_f1")}
    return {
        "tasks": {str(task_name): {**task, "n": int(n)}},
        "classes": classes,
        "confusion": confusion.tolist(),
        "summary": summary,
        "groups": {},
    }
