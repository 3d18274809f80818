"""`genas report RUN_DIR`: every plot of a run as PNG in ``RUN_DIR/plots/`` and one
self-contained ``RUN_DIR/report.html``.

What goes in depends on what the folder holds: a search (history, controller probabilities)
gives the search plots; a trained model (``model.json``) with its data reachable gives the
labels per split, the architecture's shapes, the training curves, the test performance by
task type (ROC/PR curves, predicted-vs-observed scatter plots, or the confusion matrix), the
learned motifs (see :mod:`genas.workflows.motifs_run`) and attributions; ``comparison.json``
(`genas compare`) or the demo's ``summary.json`` gives the comparison table and the per-task
scatter against baselines; ``provenance.json`` the commands that made the run.

This module loads the model and the data and runs the analyses; the sections themselves are
built in :mod:`genas.report.sections`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from genas.errors import GenasError
from genas.fileio import atomic_write_text
from genas.report import html
from genas.report.run_files import RunFiles, load_run_files
from genas.report.sections import (
    RANKING_METRIC,
    Attributions,
    ClassCounts,
    Figures,
    LabelCounts,
    PredictedTestSet,
    TargetSummary,
    architecture_section,
    attribution_section,
    comparison_section,
    count_classes,
    count_labels,
    counts_from_metrics,
    data_section,
    motif_section,
    pareto_section,
    performance_section,
    provenance_section,
    search_section,
    split_metrics,
    spread_tasks,
    summarise_targets,
    summary_section,
    task_metrics,
    training_section,
)
from genas.run_files import (
    FILTER_LOGOS_PNG,
    HISTORY_JSONL,
    PLOTS_DIR,
    REPORT_HTML,
    now,
    software_versions,
)
from genas.run_lock import locks_run_folder
from genas.search.history import read_history
from genas.train.device import resolve_device
from genas.train.task import TaskSpec

if TYPE_CHECKING:
    import torch

    from genas.config import RunConfig
    from genas.data import DataSplits
    from genas.nn.model_file import LoadedModel
    from genas.workflows.motifs_run import MotifsResult


@locks_run_folder
def report_run(
    run_dir: str | Path,
    *,
    data: str | Path | None = None,
    genome: str | Path | None = None,
    random_run: str | Path | None = None,
    motifs: bool = True,
    attributions: bool = True,
    n_attributions: int = 3,
    max_sequences: int = 5000,
    device: str = "auto",
    task: str | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Write ``RUN_DIR/plots/*.png`` and ``RUN_DIR/report.html``; returns the report's path.

    A figure of an earlier report that this one does not draw (``motifs=False``, say) is
    removed from ``plots/``, once the page is written; other files there stay.

    Args:
        data: sequences for motifs (FASTA, BED with ``genome``, or genas HDF5); default the
            run's own training data.
        random_run: a random-search run folder whose rewards are drawn beside this run's.
        motifs, attributions: include those analyses (they need a trained model).
        n_attributions: test sequences shown with attribution logos.
        device: where the model runs (predictions, motifs, attributions): ``auto`` (CUDA if
            available), ``cpu``, ``cuda``, ``cuda:N``.
        task: the task (a class, for a multiclass model) whose attributions are shown;
            default the best-predicted one.
        log: receives a line per stage and the final one.
    """
    began = time.perf_counter()
    run_dir = Path(run_dir)
    where = resolve_device(device)  # a bad --device fails before anything is read or written
    files = load_run_files(run_dir)
    # read before any plot is written, so that a wrong --random-run changes nothing
    if random_run is not None and not files.history:
        raise GenasError(f"--random-run: {run_dir} is not a search run (no {HISTORY_JSONL}), "
                         "so there are no rewards to draw the random search's beside")
    random_rows = _random_history(random_run) if random_run is not None else None
    figures = Figures(run_dir / PLOTS_DIR)
    loaded = splits = spec = given = None
    notes: list[str] = []
    if files.has_model:
        from genas.nn.model_file import load_model

        log(f"report: loading the model and its data (device {where})")
        loaded = load_model(run_dir, device=where)
        spec = TaskSpec.from_model(loaded)
        if task is not None:
            spec.output_index(task)  # an unknown name fails before any work
        if data is not None and motifs:  # the user's own sequences: a bad file fails here,
            from genas.workflows.motifs_run import load_sequences  # before anything is written

            given = load_sequences(run_dir, loaded, data, genome, max_sequences=max_sequences)
        splits = _load_splits(files, notes)
    elif task is not None:
        raise GenasError(f"--task {task}: {run_dir} holds no trained model to attribute")
    counts, task_names, counts_note = _label_counts(files, splits, spec, log)
    sections = [
        summary_section(files, splits, notes),
        data_section(counts, task_names, counts_note),
        architecture_section(files, loaded, figures),
        training_section(files, figures),
        comparison_section(files),
        search_section(files, figures, random_rows),
        pareto_section(files, figures),
    ]
    predictions = _test_predictions(files, loaded, splits, where, log)
    log("report: performance")
    sections.append(performance_section(files, figures, predictions))
    if loaded is not None and motifs:
        log("report: motifs")
        analysis = _motif_analysis(run_dir, files.config, loaded, splits, given,
                                   max_sequences, log)  # fmt: skip
        if not isinstance(analysis, str):  # the analysis drew the filter logos
            figures.keep(FILTER_LOGOS_PNG)
        sections.append(motif_section(analysis, run_dir / PLOTS_DIR / FILTER_LOGOS_PNG))
    if loaded is not None and attributions and splits is not None:
        found = _attributions(files, loaded, splits, n_attributions, log, task)
        sections.append(attribution_section(found, figures))
    sections.append(provenance_section(files, {"time": now(), **software_versions(),
                                               "device": str(where)}))  # fmt: skip
    sections = [s for s in sections if s.blocks]
    log("report: writing the page")
    subtitle = f"{run_dir.resolve()} — written {time.strftime('%Y-%m-%d %H:%M')}"
    page = html.render_page(f"genas report: {run_dir.resolve().name}", subtitle, sections)
    out = run_dir / REPORT_HTML
    atomic_write_text(out, page)
    stale = figures.remove_stale()
    if stale:
        log(f"report: removed {len(stale)} figure(s) of an earlier report it no longer draws: "
            + ", ".join(p.name for p in stale))  # fmt: skip
    log(f"report: {out} (plots in {run_dir / PLOTS_DIR}, {time.perf_counter() - began:.0f} s)")
    return out


def _random_history(random_run: str | Path) -> list[dict]:
    """The rewards history of the random-search run drawn beside this one."""
    path = Path(random_run) / HISTORY_JSONL
    if not path.is_file():
        raise GenasError(f"{path}: not found (--random-run must be a search run folder)")
    return read_history(path)


def _load_splits(files: RunFiles, notes: list[str]) -> DataSplits | None:
    """The run's data, or None (with a note saying why) when it cannot be read."""
    if files.config is None:
        return None
    try:
        from genas.data import load_splits

        return load_splits(files.config.data, files.config.seed)
    except (GenasError, OSError) as exc:
        notes.append(f"the run's data could not be read ({exc}); plots that need it are left out")
        return None


def _label_counts(
    files: RunFiles,
    splits: DataSplits | None,
    task: TaskSpec | None,
    log: Callable[[str], None],
) -> tuple[dict[str, LabelCounts | TargetSummary | ClassCounts], list[str], str | None]:
    """The labels per split, by task type: positives and negatives per task (binary),
    target summaries on the stored scale (regression), sequences per class (multiclass).
    Counted in the data when it was read, else as ``metrics.json`` recorded them
    (validation and test only, with a note; not for regression)."""
    if splits is not None and task is not None:
        log("report: counting labels per split")
        named = [(n, d) for n, d in (("train", splits.train), ("valid", splits.valid),
                                     ("test", splits.test)) if d is not None]  # fmt: skip
        if task.task_type == "regression":
            counts = {
                n: summarise_targets(task.original_scale(y) for y in d.iter_labels())
                for n, d in named
            }
        elif task.class_names is not None:
            k = len(task.class_names)
            counts = {n: count_classes(d.iter_labels(), k) for n, d in named}
            return counts, list(task.class_names), None
        else:
            counts = {n: count_labels(d.iter_labels()) for n, d in named}
        return counts, list(splits.task_names), None
    meta = files.model_meta or {}
    names = list(meta.get("class_names") or meta.get("task_names") or [])
    counts = {}
    for split in ("valid", "test"):
        found = counts_from_metrics((files.metrics or {}).get(split), names)
        if found is not None:
            counts[split] = found
    note = "As the training counted them (metrics.json): the data could not be read."
    return counts, names, note if counts else None


def _test_predictions(
    files: RunFiles,
    loaded: LoadedModel | None,
    splits: DataSplits | None,
    device: torch.device,
    log: Callable[[str], None],
) -> PredictedTestSet | None:
    """The model's predictions on the first 20,000 test sequences, for the ROC/PR curves
    (binary) or the predicted-vs-observed plots (regression, on the scale of the metrics);
    None for a multiclass model, whose confusion matrix ``metrics.json`` holds."""
    if loaded is None or splits is None or splits.test is None or not task_metrics(files.metrics):
        return None
    from genas.train.predict import predict

    task = TaskSpec.from_model(loaded)
    if task.task_type == "multiclass":
        return None
    n = min(len(splits.test), 20000)
    log(f"report: predicting {n:,} test sequences")
    x, y = splits.test.get_batch(np.arange(n))
    rc_average = bool(files.config and files.config.train.rc_predict)
    scores = predict(loaded.model, x, device=device, n_value=loaded.n_value,
                     rc_average=rc_average, task=task)  # fmt: skip
    scale = "log(1 + y)" if task.target_transform == "log1p" else ""
    return PredictedTestSet(y, scores, splits.task_names, scale)


def _motif_analysis(
    run_dir: Path,
    config: RunConfig | None,
    loaded: LoadedModel,
    splits: DataSplits | None,
    sequences: tuple[np.ndarray, str, Path | None] | None,
    max_sequences: int,
    log: Callable[[str], None],
) -> MotifsResult | str:
    """`genas motifs` on ``sequences`` (the user's ``--data`` as read; default the train
    split already in memory), or the one-line reason it failed: a failed analysis of the
    run's own data is noted in the report (and logged), not fatal."""
    from genas.workflows.motifs_run import data_folder, motifs_run

    if sequences is None and splits is not None:
        x = splits.train.get_batch(np.arange(min(len(splits.train), max_sequences)))[0]
        sequences = (x, "train split", data_folder(config))
    try:
        return motifs_run(run_dir, max_sequences=max_sequences, sequences=sequences,
                          loaded=loaded, log=log)  # fmt: skip
    except GenasError as exc:
        log(f"report: motif analysis skipped: {exc}")
        return str(exc)


def _attributions(
    files: RunFiles,
    loaded: LoadedModel,
    splits: DataSplits,
    n: int,
    log: Callable[[str], None],
    name: str | None = None,
) -> Attributions | None:
    """ISM and DeepLIFT/SHAP of ``n`` sequences (of the first 2,000 test sequences, else
    validation) for one output: the task (class) ``name``, else the best-predicted one
    (AUROC; Pearson r for regression). The sequences are the highest-scoring true positives
    (binary), those with the highest observed target (regression), or the most confidently
    predicted of the class (multiclass; ISM on its log probability). None if there are none.
    Each is named by its record and numbered in its own coordinates where the data has them."""
    from genas.analysis.attribution import deep_lift_shap, ism_attribution, saturation_mutagenesis
    from genas.train.predict import predict

    dataset, split = (
        (splits.test, "test") if splits.test is not None else (splits.valid, "validation")
    )
    task = TaskSpec.from_model(loaded)
    multiclass = task.class_names is not None
    names = list(task.output_names)
    scored = (split_metrics(files.metrics).get("classes") or {}) if multiclass else (
        task_metrics(files.metrics))  # fmt: skip
    if dataset is None or not scored:
        return None
    if name is not None:
        index, chosen = task.output_index(name), "chosen with --task"
    else:
        ranked = spread_tasks(scored, names, k=len(names), metric=RANKING_METRIC[task.task_type])
        if not ranked:
            return None
        index = ranked[0]
        chosen = f"the best-predicted {'class' if multiclass else 'task'}"
    x, y = dataset.get_batch(np.arange(min(len(dataset), 2000)))
    device = next(loaded.model.parameters()).device
    scores = predict(loaded.model, x, device=device, n_value=loaded.n_value, task=task)
    scores = scores[:, index]
    observed = None
    if task.task_type == "regression":
        observed = task.original_scale(y[:, index])
        scores = task.original_scale(scores)
        candidates = np.flatnonzero(np.isfinite(observed))
        chosen_rows = candidates[np.argsort(-observed[candidates], kind="stable")[:n]]
    else:  # the sequences of the class, or the true positives of the task
        candidates = np.flatnonzero(y[:, 0] == index if multiclass else y[:, index] == 1)
        chosen_rows = candidates[np.argsort(-scores[candidates], kind="stable")[:n]]
    if chosen_rows.size == 0:
        return None
    output_name = names[index]
    log(f"report: attributions of {len(chosen_rows)} {split} sequences for "
        f"{'class' if multiclass else 'task'} {output_name}")  # fmt: skip
    xs = x[chosen_rows]
    effects = saturation_mutagenesis(
        loaded.model, xs, tasks=[index], n_value=loaded.n_value, log_softmax=multiclass
    )
    labels, starts, xlabel = _sequence_names(dataset, chosen_rows, split, xs.shape[2])
    return Attributions(
        task_name=output_name,
        split=split,
        labels=labels,
        starts=starts,
        xlabel=xlabel,
        scores=scores[chosen_rows],
        ism=ism_attribution(effects, xs)[:, 0],
        deep_lift_shap=deep_lift_shap(loaded.model, xs, index, n_value=loaded.n_value),
        task_type=task.task_type,
        chosen=chosen,
        observed=None if observed is None else observed[chosen_rows],
    )


def _sequence_names(
    dataset, rows: np.ndarray, split: str, length: int
) -> tuple[list[str], np.ndarray, str]:
    """Titles, x-axis starts and x-axis label of the sequences ``rows`` of ``dataset``: the
    record's name and coordinates where the source keeps them (FASTA, table, BED, HDF5 with
    names), else the row of the split (DeepSEA ``.mat``, HDF5 without names)."""
    fallback = [f"{split} sequence {i}" for i in rows]
    origins = dataset.origins_of(rows)
    if origins is None:
        return fallback, np.ones(len(rows), dtype=np.int64), "position in the sequence (1-based)"
    labels = [origins.label(k, length) or fallback[k] for k in range(len(rows))]
    if origins.chroms is not None:
        xlabel = "genomic position (1-based, as a genome browser shows it)"
    else:
        xlabel = "position in the record (1-based)"
    return labels, origins.starts, xlabel
