"""The report's comparison table: the searched model beside baselines trained the same way."""

from __future__ import annotations

from genas.report import html
from genas.report.run_files import RunFiles
from genas.run_files import DEMO_SUMMARY_JSON, read_json


def comparison_rows(files: RunFiles) -> list[dict]:
    """One row per model: from the demo's ``summary.json`` (comparison and gkm-SVM) when the
    run folder holds one, else from ``comparison.json`` (`genas compare`); ``[]`` if neither."""
    summary = read_json(files.run_dir / DEMO_SUMMARY_JSON) or {}
    if isinstance(summary.get("results"), list):  # `genas demo`: comparison + gkm-SVM
        return summary["results"]
    return list((files.comparison or {}).get("rows") or [])


def comparison_section(files: RunFiles) -> html.Section:
    """Test-set parameters, AUROC, AUPRC and training time of each compared model."""
    section = html.Section("comparison", "Comparison")
    rows = comparison_rows(files)
    if not rows:
        return section
    columns = ("model", "parameters", "mean AUROC", "median AUROC", "mean AUPRC", "train s")
    keys = (
        "model",
        "parameters",
        "test_mean_auroc",
        "test_median_auroc",
        "test_mean_auprc",
        "train_seconds",
    )
    section.blocks.append(html.paragraph("Test set; every model trained the same way."))
    section.blocks.append(html.table(columns, [[row.get(k) for k in keys] for row in rows]))
    return section
