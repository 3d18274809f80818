"""The report's comparison table: the searched model beside baselines trained the same way."""

from __future__ import annotations

from genas.report import html
from genas.report.run_files import RunFiles
from genas.report.tables import comparison_columns
from genas.run_files import DEMO_SUMMARY_JSON, read_json


def comparison_rows(files: RunFiles) -> list[dict]:
    """One row per model: from the demo's ``summary.json`` when the run folder holds one,
    else from ``comparison.json`` (`genas compare`); ``[]`` if neither."""
    summary = read_json(files.run_dir / DEMO_SUMMARY_JSON) or {}
    if isinstance(summary.get("results"), list):  # `genas demo`
        return summary["results"]
    return list((files.comparison or {}).get("rows") or [])


def comparison_section(files: RunFiles) -> html.Section:
    """Each compared model's parameters, test metrics and training seconds, in the
    columns of the terminal's table (:func:`genas.report.tables.comparison_columns`: with
    each AUROC's standard error on a one-task binary test set)."""
    section = html.Section("comparison", "Comparison")
    rows = comparison_rows(files)
    if not rows:
        return section
    columns = comparison_columns(rows)
    section.blocks.append(html.paragraph("Test set; every model trained the same way."))
    section.blocks.append(html.table([header for header, _ in columns],
                                     [[_cell(row, key) for _, key in columns] for row in rows]))
    return section


def _cell(row: dict, key: str) -> object:
    """A row's value for the table: training seconds whole, the rest as they are."""
    value = row.get(key)
    return round(value) if key == "train_seconds" and isinstance(value, float) else value
