"""The report's first section: the data, the space, the search and the final model in numbers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from genas.report import html
from genas.report.run_files import RunFiles
from genas.report.sections.common import run_task_type
from genas.search.evaluators.reward import near_chance_note
from genas.train.metrics import SUMMARY_COLUMNS

if TYPE_CHECKING:
    from genas.data import DataSplits


#: The summary metrics the table shows, by task type (labels from ``SUMMARY_COLUMNS``).
HEADLINE_METRICS = {
    "binary": ("mean_auroc", "mean_auprc"),
    "regression": ("mean_pearson", "mean_spearman", "mean_r2"),
    "multiclass": ("macro_auroc", "accuracy", "macro_f1"),
}


def _fmt_seconds(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.0f} s"


def summary_section(files: RunFiles, splits: DataSplits | None, notes: list[str]) -> html.Section:
    """Key facts of the run as one table, then ``notes`` (and a near-chance warning) below it.

    Args:
        splits: the run's data, when it could be read (sequence counts, length, tasks).
        notes: one-line remarks shown under the table, e.g. why some plots are missing.
    """
    items: list[tuple[str, object]] = []
    cfg = files.config
    if cfg is not None:
        data = cfg.data
        paths = [getattr(data, k, None) for k in ("train", "valid", "test")]
        shown = [str(p) for p in paths if isinstance(p, Path)]
        items.append(("data", f"{data.format}: {', '.join(shown)}" if shown else data.format))
    if splits is not None:
        for name in ("train", "valid", "test"):
            dataset = getattr(splits, name)
            if dataset is not None:
                items.append((f"{name} sequences", len(dataset)))
        items += [("input length", splits.input_length), ("tasks", splits.n_tasks)]
        if splits.class_names is not None:
            items.append(("classes", ", ".join(splits.class_names)))
    if files.space is not None:
        space = files.space
        items += [
            ("model space", f"{space.name} ({space.n_layers} layers, {space.n_tokens} tokens)"),
            ("architectures in the space", f"{space.size:.3g}"),
        ]
    search = cfg.search if cfg is not None else None
    if search is not None:
        items += [
            ("strategy × evaluator", f"{search.strategy} × {search.evaluator}"),
            ("budget", search.budget or "none"),
        ]
    best = files.best or {}
    if best:
        steps = f"{best.get('steps_done')}" + (f" of {search.steps}" if search else "")
        items += [
            ("controller steps", steps),
            ("stopped by", best.get("stopped_by")),
            ("search time", _fmt_seconds(best.get("search_seconds"))),
            ("architectures scored", len(files.history)),
            ("chosen architecture", f"{best.get('hash')} ({best.get('chosen_by')})"),
            ("its search reward", best.get("reward")),
        ]
        note = near_chance_note(search.reward, best.get("reward")) if search else None
        notes = notes if note is None else [*notes, note]
    metrics = files.metrics or {}
    if metrics.get("ensemble_ranks"):
        ranks = ", ".join(str(r) for r in metrics["ensemble_ranks"])
        items.append(
            (
                "final model",
                f"ensemble of the retrained candidates of ranks {ranks} (predictions averaged)",
            )
        )
    if metrics:
        items += [
            ("parameters", metrics.get("parameters")),
            ("training time", _fmt_seconds(metrics.get("train_seconds"))),
        ]
        split = "test" if "test" in metrics else "valid"
        if isinstance(metrics.get(split), dict):
            summary = metrics[split]["summary"]
            task_type = run_task_type(files)
            labels = dict(SUMMARY_COLUMNS[task_type])
            items.append(("task type", task_type))
            items += [(f"{split} {labels[k]}", summary.get(k)) for k in HEADLINE_METRICS[task_type]]
    blocks = [html.key_value_table(items)] + [html.paragraph(n, note=True) for n in notes]
    return html.Section("summary", "Summary", blocks)
