"""The report's performance section, by task type: per-task metrics and the searched model
against baselines; then ROC and PR curves (binary), predicted against observed values
(regression), or the per-class metrics and the confusion matrix (multiclass)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genas.report import html
from genas.report.run_files import RunFiles
from genas.report.sections.common import (
    RANKING_METRIC,
    Figures,
    run_task_type,
    split_metrics,
    spread_tasks,
    task_metrics,
)
from genas.report.sections.comparison import comparison_rows
from genas.run_files import METRICS_JSON, read_json

#: Fewer tasks than this are shown as a table: a box plot or scatter of one or a few points
#: says less.
MIN_TASKS_FOR_BOXES = 5
_COLUMN_NAMES = {"auroc": "AUROC", "auprc": "AUPRC", "n_pos": "positives", "n": "sequences",
                 "pearson": "Pearson r", "spearman": "Spearman ρ", "r2": "R²", "mse": "MSE",
                 "n_predicted": "predicted", "f1": "F1"}  # fmt: skip
#: The two per-task metrics of the box plots, by task type.
_BOX_METRICS = {"binary": ("auroc", "auprc"), "regression": ("pearson", "spearman")}


@dataclass
class PredictedTestSet:
    """The trained model's predictions on (the first sequences of) the test split.

    ``scale`` names what regression values measure when it is not the stored target
    (``"log(1 + y)"``): the predictions are on the scale the metrics were computed on.
    """

    labels: np.ndarray  # (N, T) 0/1 labels or targets
    scores: np.ndarray  # (N, T) probabilities or predicted values
    task_names: Sequence[str]
    scale: str = ""


def performance_section(
    files: RunFiles, figures: Figures, predictions: PredictedTestSet | None = None
) -> html.Section:
    """Per-task metrics (a table for fewer than :data:`MIN_TASKS_FOR_BOXES` tasks, else box
    plots by task group and a scatter of the model against each compared baseline's run);
    given ``predictions``, ROC/PR curves (binary) or predicted-vs-observed scatter plots
    (regression) of tasks spread over the range of AUROC or Pearson r. A multiclass run
    gets its per-class metrics and confusion matrix instead."""
    section = html.Section("performance", "Performance")
    task_type = run_task_type(files)
    if task_type == "multiclass":
        _multiclass_blocks(files, figures, section)
        return section
    tasks = task_metrics(files.metrics)
    if not tasks:
        return section
    metric = RANKING_METRIC[task_type]
    _per_task_blocks(files, figures, section, tasks, task_type)
    if predictions is None:
        return section
    names = list(predictions.task_names)
    chosen = spread_tasks(tasks, names, metric=metric)
    if task_type == "regression":
        from genas.report.plots import plot_predicted_vs_observed

        fig = plot_predicted_vs_observed(
            predictions.labels, predictions.scores, names, chosen, predictions.scale
        )
        caption = (
            "Each point a test sequence; tasks chosen across the range of test Pearson r "
            "(best to worst); the dashed line is y = x."
        )
        block = figures.block("performance_scatter", fig, "Predicted against observed", caption)
    else:
        from genas.report.plots import plot_roc_pr

        fig = plot_roc_pr(predictions.labels, predictions.scores, names, chosen)
        caption = "Tasks chosen across the range of test AUROC (best to worst)."
        block = figures.block("performance_roc_pr", fig, "ROC and PR curves", caption)
    section.blocks.append(block)
    return section


def _per_task_blocks(
    files: RunFiles, figures: Figures, section: html.Section, tasks: dict, task_type: str
) -> None:
    """The per-task table (few tasks) or box plots by group, and the baselines' scatter."""
    from genas.report.plots import plot_metric_by_group, plot_model_vs_baselines

    groups = (files.model_meta or {}).get("task_groups")
    if len(tasks) < MIN_TASKS_FOR_BOXES:
        split = "test" if (files.metrics or {}).get("test") else "validation"
        section.blocks.append(html.paragraph(f"Per task, on the {split} split."))
        section.blocks.append(_task_table(tasks))
    else:
        fig = plot_metric_by_group(tasks, groups, _BOX_METRICS[task_type])
        section.blocks.append(
            figures.block("performance_by_group", fig, "Per-task metrics by group")
        )
    # per-task scatter against baselines: with a few tasks the comparison table says it all
    baselines = _baseline_task_metrics(files) if len(tasks) >= MIN_TASKS_FOR_BOXES else {}
    if baselines:
        fig = plot_model_vs_baselines(tasks, baselines, RANKING_METRIC[task_type])
        caption = "Each point a task; above the diagonal the searched model is better."
        section.blocks.append(
            figures.block("performance_vs_baselines", fig, "Versus baselines", caption)
        )


def _multiclass_blocks(files: RunFiles, figures: Figures, section: html.Section) -> None:
    """Per-class metrics as a table and the confusion matrix (counts, row-normalised)."""
    from genas.report.plots import plot_confusion

    found = split_metrics(files.metrics)
    classes = found.get("classes") or {}
    if not classes:
        return
    split = "test" if (files.metrics or {}).get("test") else "validation"
    section.blocks.append(html.paragraph(
        f"Per class, on the {split} split: one class against the rest (AUROC), and the "
        "most likely class as the prediction (precision, recall, F1)."))  # fmt: skip
    section.blocks.append(_task_table(classes, first="class"))
    confusion = found.get("confusion")
    names = found.get("class_names") or list(classes)
    if confusion:
        fig = plot_confusion(confusion, names)
        caption = "Rows: the true class; columns: the most likely predicted class."
        section.blocks.append(
            figures.block("performance_confusion", fig, "Confusion matrix", caption)
        )


def _task_table(tasks: dict[str, dict], first: str = "task") -> str:
    """The per-task (or per-class) metrics as a table: one row each, one column per metric."""
    keys = list(dict.fromkeys(k for entry in tasks.values() for k in entry))
    columns = [first, *(_COLUMN_NAMES.get(k, k) for k in keys)]
    return html.table(
        columns, [[name, *(entry.get(k) for k in keys)] for name, entry in tasks.items()]
    )


def _baseline_task_metrics(files: RunFiles) -> dict[str, dict]:
    """Per-task metrics of each compared model trained in a run folder of its own."""
    baselines = {}
    for row in comparison_rows(files):
        if row.get("run_dir") and Path(row["run_dir"]).resolve() != files.run_dir.resolve():
            base = task_metrics(read_json(Path(row["run_dir"]) / METRICS_JSON))
            if base:
                baselines[row["model"]] = base
    return baselines
