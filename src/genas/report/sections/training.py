"""The report's training section: the final model's loss and validation metric per epoch."""

from __future__ import annotations

from pathlib import Path

from genas.report import html
from genas.report.run_files import RunFiles
from genas.report.sections.common import Figures
from genas.run_files import METRICS_JSON, read_json


def training_histories(files: RunFiles) -> tuple[dict[str, list[dict]], dict[str, int | None]]:
    """The epoch rows and kept epoch of the final model; of each member of an ensemble
    (``search.ensemble``: its own ``metrics.json`` in its ``top_k`` folder, read from
    ``retrain_top_k.json``). Empty when the run trained no model or recorded no history."""
    metrics = files.metrics or {}
    if metrics.get("history"):
        return {"final model": metrics["history"]}, {"final model": metrics.get("best_epoch")}
    histories, best = {}, {}
    members = set(metrics.get("ensemble_ranks") or ())
    for row in (files.top_k or {}).get("rows") or ():
        if row.get("rank") not in members or not row.get("run_dir"):
            continue
        member = read_json(Path(row["run_dir"]) / METRICS_JSON) or {}
        if member.get("history"):
            name = f"rank {row['rank']}"
            histories[name], best[name] = member["history"], member.get("best_epoch")
    return histories, best


def training_section(files: RunFiles, figures: Figures) -> html.Section:
    """Train and validation loss and the validation metric per epoch, with the epoch whose
    weights were kept; an empty section when no training history is recorded."""
    from genas.report.plots import plot_training_curves

    section = html.Section("training", "Training")
    histories, best = training_histories(files)
    if not histories:
        return section
    who = "the final model" if len(histories) == 1 else f"each of the {len(histories)} members"
    caption = (
        f"Per epoch of {who}: train loss (mean over the epoch) and validation loss (left), "
        "a validation metric (right); the star marks the epoch whose weights were kept."
    )
    fig = plot_training_curves(histories, best)
    section.blocks.append(figures.block("training_curves", fig, "Training curves", caption))
    return section
