"""Rewards of the search: one number from an architecture's validation metrics.

Metrics come from :func:`summarize`: the summaries of the task type's metrics
(:meth:`genas.train.task.TaskSpec.metrics`: AUROC/AUPRC for binary tasks, Pearson,
Spearman, R² and MSE for regression, accuracy and macro AUROC/F1 for multiclass) plus the
masked training ``loss``. A task that cannot be scored in the scoring set (a single class,
constant targets) is NaN there and skipped in the means and medians. When no task can be
scored the reward is NaN and :func:`reward_from_metrics` says why. Which rewards fit which
task type: ``genas.config.TASK_REWARDS``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from genas.train.metrics import UndefinedTaskMetricWarning
from genas.train.task import TaskSpec

#: Reward name -> the metrics key it reads and its sign.
REWARDS: dict[str, tuple[str, float]] = {
    "auroc_mean": ("mean_auroc", 1.0),
    "auroc_median": ("median_auroc", 1.0),
    "auprc_mean": ("mean_auprc", 1.0),
    "neg_loss": ("loss", -1.0),
    "pearson_mean": ("mean_pearson", 1.0),
    "spearman_mean": ("mean_spearman", 1.0),
    "neg_mse": ("mean_mse", -1.0),
    "accuracy": ("accuracy", 1.0),
    "macro_auroc": ("macro_auroc", 1.0),
    "macro_f1": ("macro_f1", 1.0),
}
#: Summary counts kept as integers.
_COUNTS = ("n_tasks", "n_scored", "n_classes")


def summarize(
    y_true: np.ndarray,
    y_score: np.ndarray,
    task_names: Sequence[str],
    loss: float,
    task: TaskSpec | None = None,
) -> dict[str, float]:
    """The summary numbers a reward is read from.

    Args:
        y_true: float32 (N, T) targets, NaN = unknown (binary: 0/1).
        y_score: float (N, O) predictions (binary: probabilities, or logits: only the order
            matters).
        task_names: the T task names.
        loss: the masked training loss over the same predictions.
        task: the task type (default: binary tasks ``task_names``).

    Returns:
        The summary of :meth:`TaskSpec.metrics` plus ``loss``: for binary tasks
        ``{"mean_auroc", "median_auroc", "mean_auprc", "median_auprc", "loss", "n_tasks",
        "n_scored"}``; AUROC/AUPRC summaries over the tasks with both classes (NaN when
        there are none); ``n_scored`` counts those tasks. Unscorable tasks raise no
        warning here (a search scores thousands of architectures on the same labels).
    """
    task = task or TaskSpec.binary(task_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedTaskMetricWarning)
        summary = task.metrics(y_true, y_score)["summary"]
    out = {key: float(value) for key, value in summary.items() if key not in _COUNTS}
    out["loss"] = float(loss)
    out.update({key: int(summary[key]) for key in _COUNTS if key in summary})
    return out


def reward_from_metrics(name: str, metrics: Mapping[str, float]) -> tuple[float, str | None]:
    """(reward, why it is NaN or None) for reward ``name`` of :data:`REWARDS`.

    Each reward reads one summary (``auroc_mean`` reads ``mean_auroc``, ``pearson_mean``
    ``mean_pearson``, ...); ``neg_loss`` is minus the masked training loss, ``neg_mse``
    minus the mean of the tasks' MSE. A NaN or missing metric gives a NaN reward and a
    one-line reason (e.g. every task has a single class in the scoring set).

    Raises:
        ValueError: an unknown reward name.
    """
    if name not in REWARDS:
        raise ValueError(f"unknown reward {name!r} (known: {', '.join(REWARDS)})")
    key, sign = REWARDS[name]
    value = metrics.get(key, math.nan)
    value = math.nan if value is None else float(value)
    if math.isfinite(value):
        return sign * value, None
    if key == "loss":
        return math.nan, "the validation loss is not finite (no known labels, or a diverged net)"
    n_tasks = metrics.get("n_tasks")
    if metrics.get("n_scored") == 0:
        return math.nan, (
            f"no task could be scored (0 of {n_tasks}): each has a single class (or constant "
            "targets) in the scoring set or non-finite predictions; use more "
            "reward_sequences or neg_loss"
        )
    return math.nan, f"metric {key!r} is not finite"


#: AUROC of an uninformed score, and how far above it a search's best reward must get
#: before its ranking of architectures means much (a rule of thumb, not a test).
AUROC_CHANCE, NEAR_CHANCE_MARGIN = 0.5, 0.1


def near_chance_note(name: str, best_reward: float | None) -> str | None:
    """A one-line warning when an AUROC reward's best value stayed within
    :data:`NEAR_CHANCE_MARGIN` of chance (the evaluator learned too little to rank
    architectures, so the chosen one is close to a random pick); None otherwise, and for
    rewards without a fixed chance level (AUPRC, loss) or without a finite reward."""
    auroc = name in ("auroc_mean", "auroc_median", "macro_auroc")
    if not auroc or best_reward is None or not math.isfinite(best_reward):
        return None
    if best_reward >= AUROC_CHANCE + NEAR_CHANCE_MARGIN:
        return None
    return (
        f"warning: the best reward ({name} {best_reward:.3f}) stayed within "
        f"{NEAR_CHANCE_MARGIN} of chance ({AUROC_CHANCE}): the evaluator learned too little "
        "to rank architectures, so the choice is close to a random pick; give the search more "
        "steps (search.steps, or a longer budget) or more search.warmup_epochs"
    )
