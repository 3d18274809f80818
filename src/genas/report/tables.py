"""Rich tables of evaluation metrics for the terminal."""

from __future__ import annotations

import math

from rich.table import Table


def _fmt(value: float | None) -> str:
    return (
        "nan"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.4f}"
    )


def metrics_table(metrics: dict, max_tasks: int = 20) -> Table:
    """One table: mean/median AUROC and AUPRC per split, per task group, then per task.

    Args:
        metrics: ``{"valid": task_metrics(...), "test": task_metrics(...)}`` (other keys ignored).
    """
    splits = [s for s in ("train", "valid", "test") if isinstance(metrics.get(s), dict)]
    table = Table(title="evaluation")
    table.add_column("scope")
    for split in splits:
        table.add_column(f"{split} AUROC", justify="right")
        table.add_column(f"{split} AUPRC", justify="right")
    if not splits:
        return table

    def row(label: str, getter) -> None:
        cells = []
        for split in splits:
            entry = getter(metrics[split]) or {}
            cells += [_fmt(entry.get("auroc")), _fmt(entry.get("auprc"))]
        table.add_row(label, *cells)

    row(
        "mean", lambda m: {"auroc": m["summary"]["mean_auroc"], "auprc": m["summary"]["mean_auprc"]}
    )
    row(
        "median",
        lambda m: {"auroc": m["summary"]["median_auroc"], "auprc": m["summary"]["median_auprc"]},
    )
    for group in metrics[splits[-1]].get("groups") or {}:
        row(
            f"group {group} (mean)",
            lambda m, g=group: {
                "auroc": m["groups"][g]["mean_auroc"],
                "auprc": m["groups"][g]["mean_auprc"],
            },
        )
    tasks = list(metrics[splits[-1]]["tasks"])
    if len(tasks) > 1:
        for task in tasks[:max_tasks]:
            row(f"task {task}", lambda m, t=task: m["tasks"].get(t))
        if len(tasks) > max_tasks:
            table.caption = f"{len(tasks) - max_tasks} more tasks in metrics.json"
    return table


def comparison_table(rows: list[dict], title: str = "test set") -> Table:
    """Rows of `genas compare` (or the demo): model, parameters, AUROC/AUPRC, seconds; on a
    one-task test set also each AUROC's standard error (``test_auroc_se``), so that a reader
    sees which gaps the test set can resolve."""
    table = Table(title=title)
    with_se = any(row.get("test_auroc_se") is not None for row in rows)
    columns = ["model", "parameters", "mean AUROC", *(["± SE"] if with_se else []),
               "median AUROC", "mean AUPRC", "train s"]
    for column in columns:
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in rows:
        params, seconds = row.get("parameters"), row.get("train_seconds")
        se = [_fmt(row.get("test_auroc_se"))] if with_se else []
        table.add_row(
            row["model"],
            "-" if params is None else f"{params:,}",
            _fmt(row.get("test_mean_auroc")),
            *se,
            _fmt(row.get("test_median_auroc")),
            _fmt(row.get("test_mean_auprc")),
            "-" if seconds is None else f"{seconds:.0f}",
        )
    return table
