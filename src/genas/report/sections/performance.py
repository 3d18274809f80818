"""The report's performance section: per-task metrics, against baselines, ROC and PR curves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genas.report import html
from genas.report.run_files import RunFiles
from genas.report.sections.common import Figures, spread_tasks, task_metrics
from genas.report.sections.comparison import comparison_rows
from genas.run_files import METRICS_JSON, read_json


@dataclass
class PredictedTestSet:
    """The trained model's probabilities on (the first sequences of) the test split."""

    labels: np.ndarray  # (N, T) 0/1
    scores: np.ndarray  # (N, T) probabilities
    task_names: Sequence[str]


def performance_section(
    files: RunFiles, figures: Figures, predictions: PredictedTestSet | None = None
) -> html.Section:
    """Per-task metrics by task group, the model against each compared baseline's run, and
    (given ``predictions``) ROC/PR curves of tasks spread over the range of AUROC."""
    from genas.report.plots import plot_metric_by_group, plot_model_vs_baselines, plot_roc_pr

    section = html.Section("performance", "Performance")
    tasks = task_metrics(files.metrics)
    if not tasks:
        return section
    groups = (files.model_meta or {}).get("task_groups")
    fig = plot_metric_by_group(tasks, groups)
    section.blocks.append(figures.block("performance_by_group", fig, "Per-task metrics by group"))
    baselines = _baseline_task_metrics(files)
    if baselines:
        fig = plot_model_vs_baselines(tasks, baselines)
        caption = "Each point a task; above the diagonal the searched model is better."
        section.blocks.append(
            figures.block("performance_vs_baselines", fig, "Versus baselines", caption)
        )
    if predictions is not None:
        names = list(predictions.task_names)
        chosen = spread_tasks(tasks, names)
        fig = plot_roc_pr(predictions.labels, predictions.scores, names, chosen)
        caption = "Tasks chosen across the range of test AUROC (best to worst)."
        section.blocks.append(
            figures.block("performance_roc_pr", fig, "ROC and PR curves", caption)
        )
    return section


def _baseline_task_metrics(files: RunFiles) -> dict[str, dict]:
    """Per-task metrics of each compared model trained in a run folder of its own."""
    baselines = {}
    for row in comparison_rows(files):
        if row.get("run_dir") and Path(row["run_dir"]).resolve() != files.run_dir.resolve():
            base = task_metrics(read_json(Path(row["run_dir"]) / METRICS_JSON))
            if base:
                baselines[row["model"]] = base
    return baselines
