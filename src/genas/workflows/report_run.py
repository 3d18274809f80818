"""`genas report RUN_DIR`: every plot of a run as PNG in ``RUN_DIR/plots/`` and one
self-contained ``RUN_DIR/report.html``.

What goes in depends on what the folder holds: a search (history, controller probabilities)
gives the search plots; a trained model (``model.json``) with its data reachable gives the
architecture's shapes, ROC/PR curves, the learned motifs (see :mod:`genas.workflows.motifs_run`)
and attributions; ``comparison.json`` (`genas compare`) or the demo's ``summary.json`` gives the
comparison table and the per-task scatter against baselines.

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
    Attributions,
    Figures,
    PredictedTestSet,
    architecture_section,
    attribution_section,
    comparison_section,
    motif_section,
    performance_section,
    search_section,
    spread_tasks,
    summary_section,
    task_metrics,
)
from genas.run_files import FILTER_LOGOS_PNG, HISTORY_JSONL, PLOTS_DIR, REPORT_HTML
from genas.run_lock import locks_run_folder
from genas.search.history import read_history

if TYPE_CHECKING:
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
    log: Callable[[str], None] = print,
) -> Path:
    """Write ``RUN_DIR/plots/*.png`` and ``RUN_DIR/report.html``; returns the report's path.

    Args:
        data: sequences for motifs (FASTA, BED with ``genome``, or genas HDF5); default the
            run's own training data.
        random_run: a random-search run folder whose rewards are drawn beside this run's.
        motifs, attributions: include those analyses (they need a trained model).
        n_attributions: test sequences shown with attribution logos.
    """
    began = time.perf_counter()
    run_dir = Path(run_dir)
    files = load_run_files(run_dir)
    # read before any plot is written, so that a wrong --random-run changes nothing
    random_rows = _random_history(random_run) if random_run is not None and files.history else None
    figures = Figures(run_dir / PLOTS_DIR)
    loaded = splits = None
    notes: list[str] = []
    if files.has_model:
        from genas.nn.model_file import load_model

        loaded = load_model(run_dir)
        splits = _load_splits(files, notes)
    sections = [
        summary_section(files, splits, notes),
        architecture_section(files, loaded, figures),
        comparison_section(files),
        search_section(files, figures, random_rows),
        performance_section(files, figures, _test_predictions(files, loaded, splits)),
    ]
    if loaded is not None and motifs:
        analysis = _motif_analysis(run_dir, files.config, loaded, splits, data, genome,
                                   max_sequences, log)  # fmt: skip
        sections.append(motif_section(analysis, run_dir / PLOTS_DIR / FILTER_LOGOS_PNG))
    if loaded is not None and attributions and splits is not None:
        found = _attributions(files, loaded, splits, n_attributions)
        sections.append(attribution_section(found, figures))
    sections = [s for s in sections if s.blocks]
    subtitle = f"{run_dir.resolve()} — written {time.strftime('%Y-%m-%d %H:%M')}"
    page = html.render_page(f"genas report: {run_dir.resolve().name}", subtitle, sections)
    out = run_dir / REPORT_HTML
    atomic_write_text(out, page)
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


def _test_predictions(
    files: RunFiles, loaded: LoadedModel | None, splits: DataSplits | None
) -> PredictedTestSet | None:
    """The model's probabilities on the first 20,000 test sequences, for the ROC/PR curves."""
    if loaded is None or splits is None or splits.test is None or not task_metrics(files.metrics):
        return None
    from genas.train.predict import predict

    x, y = splits.test.get_batch(np.arange(min(len(splits.test), 20000)))
    rc_average = bool(files.config and files.config.train.rc_predict)
    scores = predict(loaded.model, x, device="cpu", n_value=loaded.n_value, rc_average=rc_average)
    return PredictedTestSet(y, scores, splits.task_names)


def _motif_analysis(
    run_dir: Path,
    config: RunConfig | None,
    loaded: LoadedModel,
    splits: DataSplits | None,
    data: str | Path | None,
    genome: str | Path | None,
    max_sequences: int,
    log: Callable[[str], None],
) -> MotifsResult | str:
    """`genas motifs` on ``data`` (default the train split already in memory), or the one-line
    reason it failed: a failed motif analysis is noted in the report, not fatal."""
    from genas.workflows.motifs_run import data_folder, motifs_run

    sequences = None
    if data is None and splits is not None:
        x = splits.train.get_batch(np.arange(min(len(splits.train), max_sequences)))[0]
        sequences = (x, "train split", data_folder(config))
    try:
        return motifs_run(run_dir, data=data, genome=genome, max_sequences=max_sequences,
                          sequences=sequences, loaded=loaded, log=log)  # fmt: skip
    except GenasError as exc:
        return str(exc)


def _attributions(
    files: RunFiles, loaded: LoadedModel, splits: DataSplits, n: int
) -> Attributions | None:
    """ISM and DeepLIFT/SHAP of the ``n`` highest-scoring true positives (of the first 2,000
    test sequences, else validation) for the best-predicted task; None if there are none."""
    from genas.analysis.attribution import deep_lift_shap, ism_attribution, saturation_mutagenesis
    from genas.train.predict import predict

    dataset = splits.test or splits.valid
    tasks = task_metrics(files.metrics)
    if dataset is None or not tasks:
        return None
    ranked = spread_tasks(tasks, splits.task_names, k=len(splits.task_names))
    if not ranked:
        return None
    task = ranked[0]
    x, y = dataset.get_batch(np.arange(min(len(dataset), 2000)))
    scores = predict(loaded.model, x, device="cpu", n_value=loaded.n_value)[:, task]
    positives = np.flatnonzero(y[:, task] == 1)
    if positives.size == 0:
        return None
    chosen = positives[np.argsort(-scores[positives])[:n]]
    xs = x[chosen]
    effects = saturation_mutagenesis(loaded.model, xs, tasks=[task], n_value=loaded.n_value)
    return Attributions(
        task_name=splits.task_names[task],
        indices=chosen,
        scores=scores[chosen],
        ism=ism_attribution(effects, xs)[:, 0],
        deep_lift_shap=deep_lift_shap(loaded.model, xs, task, n_value=loaded.n_value),
    )
