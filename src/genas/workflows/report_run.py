"""`genas report RUN_DIR`: every plot of a run as PNG in ``RUN_DIR/plots/`` and one
self-contained ``RUN_DIR/report.html``.

What goes in depends on what the folder holds: a search (history, controller probabilities)
gives the search plots; a trained model (``model.json``) with its data reachable gives the
architecture's shapes, ROC/PR curves, the learned motifs (see :mod:`genas.workflows.motifs_run`)
and attributions; ``comparison.json`` (`genas compare`) or the demo's ``summary.json`` gives the
comparison table and the per-task scatter against baselines.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from genas.errors import GenasError
from genas.fileio import atomic_write_bytes, atomic_write_text
from genas.report import html
from genas.report.run_files import RunFiles, load_run_files, read_json
from genas.search.evaluators.reward import near_chance_note
from genas.search.history import HISTORY_JSONL, read_jsonl

REPORT_HTML = "report.html"
PLOTS_DIR = "plots"


class _Figures:
    """Saves each figure to ``plots/NAME.png`` and keeps its HTML block."""

    def __init__(self, plots_dir: Path) -> None:
        self.plots_dir = plots_dir

    def block(self, name: str, fig, title: str, caption: str = "") -> str:
        from genas.report.plots import png_bytes

        png = png_bytes(fig)
        atomic_write_bytes(self.plots_dir / f"{name}.png", png)
        return html.figure(png, title, caption)


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
    figures = _Figures(run_dir / PLOTS_DIR)
    loaded = splits = None
    notes: list[str] = []
    if files.has_model:
        from genas.workflows.model_file import load_model

        loaded = load_model(run_dir)
        if files.config is not None:
            try:
                from genas.data import load_splits

                splits = load_splits(files.config.data, files.config.seed)
            except (GenasError, OSError) as exc:
                notes.append(
                    f"the run's data could not be read ({exc}); plots that need it are left out"
                )
    sections = [
        _summary_section(files, splits, notes),
        _architecture_section(files, loaded, figures),
        _comparison_section(files),
        _search_section(files, figures, random_run),
        _performance_section(files, loaded, splits, figures),
    ]
    if loaded is not None and motifs:
        sections.append(
            _motif_section(run_dir, files.config, loaded, splits, data, genome, max_sequences, log)
        )
    if loaded is not None and attributions and splits is not None:
        sections.append(_attribution_section(files, loaded, splits, figures, n_attributions))
    sections = [s for s in sections if s is not None and s.blocks]
    subtitle = f"{run_dir.resolve()} — written {time.strftime('%Y-%m-%d %H:%M')}"
    page = html.render_page(f"genas report: {run_dir.resolve().name}", subtitle, sections)
    out = run_dir / REPORT_HTML
    atomic_write_text(out, page)
    log(f"report: {out} (plots in {run_dir / PLOTS_DIR}, {time.perf_counter() - began:.0f} s)")
    return out


# ---------------------------------------------------------------------------- summary


def _fmt_seconds(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.0f} s"


def _summary_section(files: RunFiles, splits, notes: list[str]) -> html.Section:
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
        items.append(("final model", f"ensemble of the retrained candidates of ranks {ranks} "
                                     "(probabilities averaged)"))
    if metrics:
        items += [
            ("parameters", metrics.get("parameters")),
            ("training time", _fmt_seconds(metrics.get("train_seconds"))),
        ]
        split = "test" if "test" in metrics else "valid"
        if isinstance(metrics.get(split), dict):
            summary = metrics[split]["summary"]
            items += [
                (f"{split} mean AUROC", summary.get("mean_auroc")),
                (f"{split} mean AUPRC", summary.get("mean_auprc")),
            ]
    blocks = [html.key_value_table(items)] + [html.paragraph(n, note=True) for n in notes]
    return html.Section("summary", "Summary", blocks)


# ---------------------------------------------------------------------------- architecture


def _architecture_section(files: RunFiles, loaded, figures: _Figures) -> html.Section:
    from genas.report.plots import plot_architecture

    section = html.Section("architecture", "Final architecture")
    if files.space is None or files.arch is None:
        return section
    rows = None
    if loaded is not None and "space" in loaded.spec:
        from genas.nn.summary import describe_layers

        rows = describe_layers(loaded.model, loaded.input_length)
    section.blocks.append(html.preformatted("\n".join(files.arch.describe(files.space))))
    caption = "Chosen op per layer, reductions and head; skip connections drawn as red arcs."
    if rows is None:
        caption += " Shapes and parameters appear once the architecture is retrained."
    fig = plot_architecture(files.space, files.arch, rows)
    section.blocks.append(figures.block("architecture", fig, "Architecture", caption))
    return section


# ---------------------------------------------------------------------------- comparison


def _comparison_rows(files: RunFiles) -> list[dict]:
    summary = read_json(files.run_dir / "summary.json") or {}
    if isinstance(summary.get("results"), list):  # `genas demo`: comparison + gkm-SVM
        return summary["results"]
    return list((files.comparison or {}).get("rows") or [])


def _comparison_section(files: RunFiles) -> html.Section:
    section = html.Section("comparison", "Comparison")
    rows = _comparison_rows(files)
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


# ---------------------------------------------------------------------------- search


def _search_section(files: RunFiles, figures: _Figures, random_run) -> html.Section:
    from genas.report.plots import (
        plot_controller_entropy,
        plot_op_probabilities,
        plot_rewards,
        plot_skip_heatmap,
        plot_skip_over_time,
    )

    section = html.Section("search", "Search")
    if files.history:
        random_rows = None
        if random_run is not None:
            path = Path(random_run) / HISTORY_JSONL
            if not path.is_file():
                raise GenasError(f"{path}: not found (--random-run must be a search run folder)")
            random_rows = read_jsonl(path)
        fig = plot_rewards(files.history, random_rows)
        caption = "Each step's mean and best validation reward, and a 5-step moving average."
        section.blocks.append(figures.block("search_rewards", fig, "Rewards", caption))
    space, probs = files.space, files.probabilities
    if not probs or space is None:
        return section
    section.blocks += [
        figures.block(
            "search_op_probabilities",
            plot_op_probabilities(probs, space),
            "Operation probabilities per layer",
            "The controller's probability of each op along its most likely path, per "
            "controller step (AMBER Fig. 3).",
        ),
        figures.block(
            "search_entropy",
            plot_controller_entropy(probs, space),
            "Controller entropy",
            "Entropy of the policy's op and skip choices; dotted: a uniform policy.",
        ),
    ]
    if space.skips and space.n_layers > 1:
        section.blocks += [
            figures.block(
                "search_skip_heatmap",
                plot_skip_heatmap(probs, space),
                "Skip probabilities",
                "Probability of each skip j → i at the end.",
            ),
            figures.block(
                "search_skip_last_layer",
                plot_skip_over_time(probs, space),
                "Skips into the last layer",
                "Over the controller steps.",
            ),
        ]
    return section


# ---------------------------------------------------------------------------- performance


def _task_metrics(metrics: dict | None) -> dict:
    metrics = metrics or {}
    split = metrics.get("test") or metrics.get("valid") or {}
    return split.get("tasks") or {}


def _performance_section(files: RunFiles, loaded, splits, figures: _Figures) -> html.Section:
    from genas.report.plots import plot_metric_by_group, plot_model_vs_baselines, plot_roc_pr

    section = html.Section("performance", "Performance")
    tasks = _task_metrics(files.metrics)
    if not tasks:
        return section
    groups = (files.model_meta or {}).get("task_groups")
    fig = plot_metric_by_group(tasks, groups)
    section.blocks.append(figures.block("performance_by_group", fig, "Per-task metrics by group"))
    baselines = {}
    for row in _comparison_rows(files):
        if row.get("run_dir") and Path(row["run_dir"]).resolve() != files.run_dir.resolve():
            base = _task_metrics(read_json(Path(row["run_dir"]) / "metrics.json"))
            if base:
                baselines[row["model"]] = base
    if baselines:
        fig = plot_model_vs_baselines(tasks, baselines)
        caption = "Each point a task; above the diagonal the searched model is better."
        section.blocks.append(
            figures.block("performance_vs_baselines", fig, "Versus baselines", caption)
        )
    if loaded is not None and splits is not None and splits.test is not None:
        from genas.train.predict import predict

        n = min(len(splits.test), 20000)
        x, y = splits.test.get_batch(np.arange(n))
        scores = predict(
            loaded.model,
            x,
            device="cpu",
            n_value=loaded.n_value,
            rc_average=bool(files.config and files.config.train.rc_predict),
        )
        chosen = _spread_tasks(tasks, splits.task_names)
        fig = plot_roc_pr(y, scores, splits.task_names, chosen)
        caption = "Tasks chosen across the range of test AUROC (best to worst)."
        section.blocks.append(
            figures.block("performance_roc_pr", fig, "ROC and PR curves", caption)
        )
    return section


def _spread_tasks(tasks: dict, names: list[str], k: int = 6) -> list[int]:
    """Up to ``k`` task indices spread over the range of AUROC, best first."""
    scored = [
        (float(tasks[n]["auroc"]), i)
        for i, n in enumerate(names)
        if n in tasks and tasks[n].get("auroc") is not None and math.isfinite(tasks[n]["auroc"])
    ]
    scored.sort(reverse=True)
    if len(scored) <= k:
        return [i for _, i in scored]
    picks = np.unique(np.linspace(0, len(scored) - 1, k).round().astype(int))
    return [scored[p][1] for p in picks]


# ---------------------------------------------------------------------------- motifs


def _motif_section(
    run_dir, config, loaded, splits, data, genome, max_sequences, log
) -> html.Section:
    from genas.data.motifs import consensus
    from genas.workflows.motifs_run import data_folder, motifs_run

    section = html.Section("motifs", "Motifs learned")
    sequences = None
    if data is None and splits is not None:
        x = splits.train.get_batch(np.arange(min(len(splits.train), max_sequences)))[0]
        sequences = (x, "train split", data_folder(config))
    try:
        result = motifs_run(
            run_dir,
            data=data,
            genome=genome,
            max_sequences=max_sequences,
            sequences=sequences,
            loaded=loaded,
            log=log,
        )
    except GenasError as exc:
        section.blocks.append(html.paragraph(f"motif analysis skipped: {exc}", note=True))
        return section
    n_matched = sum(1 for fm in result.matches if fm.best and fm.best.q < 0.05)
    section.blocks.append(
        html.paragraph(
            f"Each unit (the stem's filters and the channels of the searched layers before "
            f"the first reduction) as a position frequency matrix from the windows of "
            f"{result.n_sequences} sequences ({result.source}) that activate it above 0.8 of "
            f"its maximum, compared with {len(result.targets)} motifs by TOMTOM. "
            f"{n_matched} of {len(result.matches)} units match a motif at q < 0.05."
        )
    )
    rec = result.recovery
    if rec is not None:
        section.blocks.append(
            html.paragraph(
                f"Planted motifs recovered (matched by some filter at q < {rec['max_q']:g}): "
                f"{len(rec['recovered'])} of {rec['planted']} ({rec['fraction']:.0%}); "
                f"the top match of some filter: {len(rec['best_match'])} of {rec['planted']}."
            )
        )
    rows = []
    for fm in sorted((m for m in result.matches if m.best), key=lambda m: m.best.p):
        best = fm.best
        cons = consensus(fm.motif.pfm) if fm.motif.pfm is not None else ""
        rows.append(
            [
                fm.motif.label,
                fm.motif.n_sites,
                cons,
                best and f"{best.id} {best.name}",
                best and best.p,
                best and best.q,
                best and best.strand,
            ]
        )
    columns = ("unit", "sites", "consensus", "best match", "p", "q", "strand")
    png = (run_dir / PLOTS_DIR / "filter_logos.png").read_bytes()
    section.blocks.append(
        html.figure(
            png,
            "Filter logos",
            "Each filter (left) and its best match (right); information content in bits.",
        )
    )
    section.blocks.append(html.table(columns, rows))
    return section


# ---------------------------------------------------------------------------- attributions


def _attribution_section(files, loaded, splits, figures: _Figures, n: int) -> html.Section:
    from genas.analysis.attribution import deep_lift_shap, ism_attribution, saturation_mutagenesis
    from genas.report.plots import plot_attribution_logos
    from genas.train.predict import predict

    section = html.Section("attributions", "Attributions")
    dataset = splits.test or splits.valid
    tasks = _task_metrics(files.metrics)
    if dataset is None or not tasks:
        return section
    ranked = _spread_tasks(tasks, splits.task_names, k=len(splits.task_names))
    if not ranked:
        return section
    best_task = ranked[0]
    name = splits.task_names[best_task]
    size = min(len(dataset), 2000)
    x, y = dataset.get_batch(np.arange(size))
    scores = predict(loaded.model, x, device="cpu", n_value=loaded.n_value)[:, best_task]
    positives = np.flatnonzero(y[:, best_task] == 1)
    if positives.size == 0:
        return section
    chosen = positives[np.argsort(-scores[positives])[:n]]
    xs = x[chosen]
    effects = saturation_mutagenesis(loaded.model, xs, tasks=[best_task], n_value=loaded.n_value)
    ism = ism_attribution(effects, xs)[:, 0]
    shap = deep_lift_shap(loaded.model, xs, best_task, n_value=loaded.n_value)
    titles = [f"test sequence {i} (p = {scores[i]:.2f})" for i in chosen]
    section.blocks.append(
        html.paragraph(
            f"Task {name} (the best-predicted task): its {len(chosen)} highest-scoring true "
            "positives of the test split."
        )
    )
    section.blocks.append(
        figures.block(
            "attribution_ism",
            plot_attribution_logos(list(ism), titles),
            "In-silico mutagenesis",
            "Letter height: minus the mean logit change of mutating the base away (mean-centred "
            "saturation mutagenesis).",
        )
    )
    section.blocks.append(
        figures.block(
            "attribution_deeplift_shap",
            plot_attribution_logos(list(shap), titles),
            "DeepLIFT/SHAP",
            "DeepLIFT (captum) averaged over 20 dinucleotide-shuffled references.",
        )
    )
    return section
