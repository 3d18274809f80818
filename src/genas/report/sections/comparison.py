"""The report's comparison table: the searched model beside baselines trained the same way."""

from __future__ import annotations

from genas.report import html
from genas.report.run_files import RunFiles
from genas.run_files import DEMO_SUMMARY_JSON, read_json
from genas.train.metrics import SUMMARY_COLUMNS


def comparison_rows(files: RunFiles) -> list[dict]:
    """One row per model: from the demo's ``summary.json`` (comparison and gkm-SVM) when the
    run folder holds one, else from ``comparison.json`` (`genas compare`); ``[]`` if neither."""
    summary = read_json(files.run_dir / DEMO_SUMMARY_JSON) or {}
    if isinstance(summary.get("results"), list):  # `genas demo`: comparison + gkm-SVM
        return summary["results"]
    return list((files.comparison or {}).get("rows") or [])


def comparison_section(files: RunFiles) -> html.Section:
    """Test-set parameters, the task type's metrics (``SUMMARY_COLUMNS``: AUROC and AUPRC,
    Pearson r and Spearman ρ, or macro AUROC and accuracy) and training time of each
    compared model."""
    section = html.Section("comparison", "Comparison")
    rows = comparison_rows(files)
    if not rows:
        return section
    task_type = next((row["task_type"] for row in rows if row.get("task_type")), "binary")
    metrics = SUMMARY_COLUMNS[task_type]
    columns = ("model", "parameters", *(label for _, label in metrics), "train s")
    keys = ("model", "parameters", *(f"test_{key}" for key, _ in metrics), "train_seconds")
    section.blocks.append(html.paragraph("Test set; every model trained the same way."))
    section.blocks.append(html.table(columns, [[row.get(k) for k in keys] for row in rows]))
    return section
