"""Rich tables of evaluation metrics for the terminal."""

from __future__ import annotations

import math

from rich.table import Table

from genas.train.metrics import SUMMARY_COLUMNS, table_rows


def _fmt(value: float | None) -> str:
    return (
        "nan"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.4f}"
    )


def metrics_table(metrics: dict, max_tasks: int = 20) -> Table:
    """One table of the task type's metrics per split (:func:`~genas.train.metrics.
    table_rows`): mean/median AUROC and AUPRC (binary), Pearson r, Spearman rho, R² and MSE
    (regression) per split, per task group, then per task; macro AUROC and F1, accuracy
    and each class (multiclass).

    Args:
        metrics: ``{"valid": metrics, "test": metrics}`` as evaluation gives them (other
            keys ignored).
    """
    splits = [s for s in ("train", "valid", "test") if isinstance(metrics.get(s), dict)]
    table = Table(title="evaluation")
    table.add_column("scope")
    if not splits:
        return table
    by_split = {split: table_rows(metrics[split], max_tasks) for split in splits}
    labels, rows = by_split[splits[-1]]
    for split in splits:
        for label in labels:
            table.add_column(f"{split} {label}", justify="right")
    for label, _ in rows:
        cells = []
        for split in splits:
            values = dict(by_split[split][1]).get(label)
            if values is None:  # a row this split does not have (another task or class)
                values = [math.nan] * len(labels)
            cells += ["-" if v is None else _fmt(v) for v in values]
        table.add_row(label, *cells)
    last = metrics[splits[-1]]
    n_tasks = len(last.get("classes") or last.get("tasks") or {})
    if n_tasks > max_tasks:
        table.caption = f"{n_tasks - max_tasks} more in metrics.json"
    return table


def comparison_columns(rows: list[dict]) -> list[tuple[str, str]]:
    """The columns of a comparison table (`genas compare`, the demo, the report) as
    ``(header, row key)``: model, parameters, the task type's test metrics
    (``SUMMARY_COLUMNS``: AUROC/AUPRC, Pearson/Spearman, or accuracy/macro AUROC/F1) and
    training seconds. On a one-task binary test set the AUROC's standard error
    (``test_auroc_se``) follows it, so that a reader sees which gaps the test set can
    resolve, and the median column is left out (mean = median = the one task's value)."""
    task_type = next((row["task_type"] for row in rows if row.get("task_type")), "binary")
    metrics = list(SUMMARY_COLUMNS[task_type])
    with_se = any(row.get("test_auroc_se") is not None for row in rows)
    if with_se:
        metrics = [(key, label.replace("mean ", "test ")) for key, label in metrics
                   if not key.startswith("median_")]  # fmt: skip
    columns = [(label, f"test_{key}") for key, label in metrics]
    if with_se:
        columns.insert(1, ("± SE", "test_auroc_se"))
    return [("model", "model"), ("parameters", "parameters"), *columns,
            ("train s", "train_seconds")]


def comparison_table(rows: list[dict], title: str = "test set") -> Table:
    """Rows of `genas compare` (or the demo) in :func:`comparison_columns`; fits 80
    columns on a one-task test set."""
    table = Table(title=title)
    columns = comparison_columns(rows)
    for header, _ in columns:
        table.add_column(header, justify="left" if header == "model" else "right")
    for row in rows:
        cells = []
        for _, key in columns:
            value = row.get(key)
            if key == "model":
                cells.append(value)
            elif key in ("parameters", "train_seconds"):
                cells.append("-" if value is None else f"{value:,.0f}")
            else:
                cells.append(_fmt(value))
        table.add_row(*cells)
    return table


#: ``fidelity_table`` column -> (terminal header, format); the total seconds stay in the JSON
_FIDELITY_VIEW = {"archs": ("archs", "{}"), "Kendall τ": ("τ", "{:.3f}"),
                  "τ p-value": ("p", "{:.3f}"), "Spearman ρ": ("ρ", "{:.3f}"),
                  "top-5 precision": ("top 5", "{:.2f}"), "s / arch": ("s/arch", "{:.1f}")}


def fidelity_view(table: dict) -> Table:
    """`genas fidelity`'s table (:func:`genas.workflows.fidelity_run.fidelity_table`) for
    an 80-column terminal: one row per evaluator with the architectures it scored, Kendall
    τ and its p-value, Spearman ρ, the precision of the top 5 and the seconds per
    architecture; long evaluator names wrap, numbers never do."""
    view = Table(title=table["title"])
    view.add_column("evaluator", min_width=20, max_width=25)
    index = {name: i for i, name in enumerate(table["columns"])}
    for header, _ in _FIDELITY_VIEW.values():
        view.add_column(header, justify="right", no_wrap=True)
    for row in table["rows"]:
        cells = [row[index[name]] for name in _FIDELITY_VIEW]
        view.add_row(row[0], *(
            "nan" if isinstance(value, float) and math.isnan(value) else fmt.format(value)
            for value, (_, fmt) in zip(cells, _FIDELITY_VIEW.values(), strict=True)
        ))
    return view
