"""`genas compare RUN_DIR`: the searched model beside random architectures and references.

The analogue of the paper's Fig. 2: k architectures drawn uniformly from the same space
(AMBER's baseline: round(0.4 × possible skips) skips) and the named reference networks are
trained with the run's own training settings and data, each into ``RUN_DIR/compare/NAME``;
the table goes to ``RUN_DIR/comparison.json`` and ``comparison.tsv``. The models train as
trials of the run's executor (at once on Ray); one that fails twice gets a row with its
error and empty metrics. The columns are the task type's (``SUMMARY_COLUMNS``): mean and
median AUROC and mean AUPRC for binary tasks, mean and median Pearson r, mean Spearman ρ,
R² and MSE for regression, macro AUROC, accuracy and macro F1 for multiclass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from genas.config import ModelConfig, RunConfig, load_config
from genas.data import DataSplits, load_splits
from genas.errors import GenasError, InputError
from genas.fileio import atomic_write_json, atomic_write_text
from genas.nn.references import REFERENCES
from genas.run_files import (
    COMPARE_DIR,
    COMPARISON_JSON,
    COMPARISON_TSV,
    CONFIG_YAML,
    METRICS_JSON,
    read_json,
)
from genas.run_lock import locks_run_folder
from genas.search.evaluators.base import failure_message
from genas.space import get_space, sample_architecture
from genas.train.device import resolve_device
from genas.train.metrics import (
    SUMMARY_COLUMNS,
    auroc_standard_error,
    headline,
    metrics_task_type,
)
from genas.workflows.overrides import apply_overrides
from genas.workflows.train_many import train_many

LEARNED_AUROC = 0.55  # a best validation mean AUROC below this: the network never learned
LEARNED_PEARSON = 0.05  # ... or a mean Pearson r below this (regression)
#: The headline score below which a trained network is taken not to have learned.
_LEARNED = {"mean_auroc": LEARNED_AUROC, "macro_auroc": LEARNED_AUROC,
            "mean_pearson": LEARNED_PEARSON}  # fmt: skip


def columns(task_type: str = "binary") -> tuple[str, ...]:
    """The metric columns of the comparison table of ``task_type`` (after the model)."""
    return ("model", "parameters", *(f"test_{key}" for key, _ in SUMMARY_COLUMNS[task_type]))


def random_baseline_architectures(space_name: str, k: int, seed: int) -> list:
    """k uniformly drawn architectures with AMBER's fixed skip count."""
    space = get_space(space_name)
    n_possible = space.n_layers * (space.n_layers - 1) // 2
    n_skips = round(0.4 * n_possible) if space.skips else None
    rng = np.random.default_rng([seed, 7])
    return [sample_architecture(space, rng, n_skips=n_skips) for _ in range(k)]


def baseline_models(
    config: RunConfig, run_dir: Path, n_random: int, references: Sequence[str]
) -> dict[str, tuple[ModelConfig, Path]]:
    """What :func:`compare_run` trains for the run in ``run_dir`` (whose config is
    ``config``): name -> (model, folder ``RUN/compare/NAME``); ``n_random`` random
    architectures of the searched space (none without a ``search:`` section), then the
    ``references``."""
    models: dict[str, ModelConfig] = {}
    if config.search is not None and n_random:
        space_name = config.search.space
        for i, arch in enumerate(random_baseline_architectures(space_name, n_random, config.seed)):
            models[f"random_{i + 1}"] = ModelConfig(space=space_name, architecture=arch.to_tokens())
    for name in references:
        models[name] = ModelConfig(reference=name)
    return {name: (model, run_dir / COMPARE_DIR / name) for name, model in models.items()}


@locks_run_folder
def compare_run(
    run_dir: str | Path,
    *,
    n_random: int = 5,
    references: tuple[str, ...] = ("deepbind",),
    splits: DataSplits | None = None,
    progress: bool = True,
    log=print,
    executor: Mapping[str, Any] | None = None,
    device: str | None = None,
) -> list[dict]:
    """Train the baselines and write the comparison table; returns its rows.

    A baseline already trained in ``RUN/compare/NAME`` with the same settings is reused
    (:func:`~genas.workflows.train_many.train_many`).

    ``executor``: overrides of the run's ``executor:`` settings (e.g. ``{"backend": "ray",
    "address": "auto"}``); ``device``: of its ``train.device``.
    """
    run_dir = Path(run_dir)
    config = load_config(run_dir / CONFIG_YAML)
    config = apply_overrides(config, out=run_dir, executor=executor, device=device)
    resolve_device(config.train.device)  # one line now, not a failed row per model
    unknown = [name for name in references if name not in REFERENCES]
    if unknown:
        raise GenasError(f"--reference {unknown[0]}: unknown; one of {', '.join(REFERENCES)}")
    metrics_path = run_dir / METRICS_JSON
    searched = read_json(metrics_path)
    if searched is None:
        raise GenasError(f"{metrics_path}: not found (retrain the searched model first)")
    if not isinstance((searched.get("test") or searched.get("valid") or {}).get("summary"), dict):
        raise InputError(metrics_path, "no test or validation summary (retrain the model)")
    splits = splits or load_splits(config.data, config.seed)
    task_type = metrics_task_type(searched.get("valid") or {})
    rows = [_row("searched (genas)", searched, run_dir)]

    results = train_many(
        config,
        baseline_models(config, run_dir, n_random, references),
        splits=splits,
        progress=progress,
        log=log,
    )
    for name, result in results.items():
        out = run_dir / COMPARE_DIR / name
        if result.ok:
            rows.append(_row(name, result.value.metrics, out))
            if (note := chance_note(name, result.value.metrics, config.train.lr)) is not None:
                log(note)
        else:
            rows.append(_failed_row(name, failure_message(result.error), out, task_type))

    key = f"test_{headline(task_type)}"
    randoms = [r[key] for r in rows if r["model"].startswith("random_") and r[key] is not None]
    median_key = "random_median_test_auroc" if task_type == "binary" else f"random_median_{key}"
    summary = {
        "rows": rows,
        "task_type": task_type,
        median_key: float(np.median(randoms)) if randoms else None,
    }
    atomic_write_json(run_dir / COMPARISON_JSON, summary)
    table = columns(task_type) + ("train_seconds", "run_dir")
    lines = ["\t".join(table)]
    for row in rows:
        lines.append("\t".join(_cell(row.get(c)) for c in table))
    atomic_write_text(run_dir / COMPARISON_TSV, "\n".join(lines) + "\n")
    return rows


def chance_note(name: str, metrics: dict, lr: float) -> str | None:
    """A one-line warning when a trained model's validation headline score (mean or macro
    AUROC, mean Pearson r) stayed below :data:`LEARNED_AUROC` (:data:`LEARNED_PEARSON`):
    its row then compares against a network that never learned. None otherwise, and when
    the score is undefined (e.g. no task with both classes)."""
    key = headline(metrics_task_type(metrics["valid"]))
    score = metrics["valid"]["summary"].get(key)
    if score is None or not math.isfinite(score) or score >= _LEARNED.get(key, -math.inf):
        return None
    label = dict(SUMMARY_COLUMNS[metrics_task_type(metrics["valid"])])[key]
    return (
        f"warning: {name} did not learn (validation {label} {score:.3f}) with train.lr "
        f"{lr:g}; a network without normalisation layers (DeepSEA, DanQ) may need a lower "
        "train.lr, e.g. 1e-4"
    )


def _row(name: str, metrics: dict, run_dir: Path) -> dict:
    test = metrics.get("test") or metrics.get("valid")
    summary = test["summary"]
    task_type = metrics_task_type(test)
    key = headline(task_type)
    return {
        "model": name,
        "parameters": metrics.get("parameters"),
        "task_type": task_type,
        **{f"test_{k}": summary.get(k) for k, _ in SUMMARY_COLUMNS[task_type]},
        "test_auroc_se": _single_task_se(test) if task_type == "binary" else None,
        "groups": {g: v.get(key) for g, v in (test.get("groups") or {}).items()},
        "train_seconds": metrics.get("train_seconds"),
        "run_dir": str(run_dir),
    }


def _single_task_se(split_metrics: dict) -> float | None:
    """The AUROC's standard error on a one-task test set (None for several tasks)."""
    tasks = list((split_metrics.get("tasks") or {}).values())
    if len(tasks) != 1 or "n_pos" not in tasks[0]:
        return None
    task = tasks[0]
    return auroc_standard_error(task["auroc"], task["n_pos"], task["n"] - task["n_pos"])


def _failed_row(name: str, error: str, run_dir: Path, task_type: str = "binary") -> dict:
    row = dict.fromkeys(columns(task_type)[1:] + ("train_seconds",))
    return {
        "model": name,
        **row,
        "task_type": task_type,
        "groups": {},
        "run_dir": str(run_dir),
        "error": error,
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}"
    return str(value)
