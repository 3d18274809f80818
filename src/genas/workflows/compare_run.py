"""`genas compare RUN_DIR`: the searched model beside random architectures and references.

The analogue of the paper's Fig. 2: k architectures drawn uniformly from the same space
(AMBER's baseline: round(0.4 × possible skips) skips) and the named reference networks are
trained with the run's own training settings and data, each into ``RUN_DIR/compare/NAME``;
the table goes to ``RUN_DIR/comparison.json`` and ``comparison.tsv``. The models train as
trials of the run's executor (at once on Ray); one that fails twice gets a row with its
error and empty metrics.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from genas.config import ModelConfig, load_config
from genas.data import DataSplits, load_splits
from genas.errors import GenasError
from genas.fileio import atomic_write_json, atomic_write_text
from genas.parallel import executor_config
from genas.run_files import (
    COMPARE_DIR,
    COMPARISON_JSON,
    COMPARISON_TSV,
    CONFIG_YAML,
    METRICS_JSON,
)
from genas.run_lock import locks_run_folder
from genas.search.evaluators.base import failure_message
from genas.space import get_space, sample_architecture
from genas.train.metrics import auroc_standard_error
from genas.workflows.train_many import train_many

COLUMNS = ("model", "parameters", "test_mean_auroc", "test_median_auroc", "test_mean_auprc")
LEARNED_AUROC = 0.55  # a best validation mean AUROC below this: the network never learned


def random_baseline_architectures(space_name: str, k: int, seed: int) -> list:
    """k uniformly drawn architectures with AMBER's fixed skip count."""
    space = get_space(space_name)
    n_possible = space.n_layers * (space.n_layers - 1) // 2
    n_skips = round(0.4 * n_possible) if space.skips else None
    rng = np.random.default_rng([seed, 7])
    return [sample_architecture(space, rng, n_skips=n_skips) for _ in range(k)]


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
) -> list[dict]:
    """Train the baselines and write the comparison table; returns its rows.

    A baseline already trained in ``RUN/compare/NAME`` with the same settings is reused
    (:func:`~genas.workflows.train_many.train_many`).

    ``executor``: overrides of the run's ``executor:`` settings (e.g. ``{"backend": "ray",
    "address": "auto"}``).
    """
    run_dir = Path(run_dir)
    config = load_config(run_dir / CONFIG_YAML)
    config.executor = executor_config(config.executor, executor)
    metrics_path = run_dir / METRICS_JSON
    if not metrics_path.is_file():
        raise GenasError(f"{metrics_path}: not found (retrain the searched model first)")
    splits = splits or load_splits(config.data, config.seed)
    rows = [_row("searched (genas)", json.loads(metrics_path.read_text()), run_dir)]

    models: dict[str, ModelConfig] = {}
    if config.search is not None and n_random:
        space_name = config.search.space
        for i, arch in enumerate(random_baseline_architectures(space_name, n_random, config.seed)):
            models[f"random_{i + 1}"] = ModelConfig(space=space_name, architecture=arch.to_tokens())
    for name in references:
        models[name] = ModelConfig(reference=name)
    results = train_many(
        config,
        {name: (model, run_dir / COMPARE_DIR / name) for name, model in models.items()},
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
            rows.append(_failed_row(name, failure_message(result.error), out))

    randoms = [
        r["test_mean_auroc"]
        for r in rows
        if r["model"].startswith("random_") and r["test_mean_auroc"] is not None
    ]
    summary = {
        "rows": rows,
        "random_median_test_auroc": float(np.median(randoms)) if randoms else None,
    }
    atomic_write_json(run_dir / COMPARISON_JSON, summary)
    lines = ["\t".join(COLUMNS + ("train_seconds", "run_dir"))]
    for row in rows:
        lines.append("\t".join(_cell(row[c]) for c in COLUMNS + ("train_seconds", "run_dir")))
    atomic_write_text(run_dir / COMPARISON_TSV, "\n".join(lines) + "\n")
    return rows


def chance_note(name: str, metrics: dict, lr: float) -> str | None:
    """A one-line warning when a trained model's validation mean AUROC stayed below
    :data:`LEARNED_AUROC` (its row then compares against a network that never learned);
    None otherwise, and when there is no AUROC (no task with both classes)."""
    auroc = metrics["valid"]["summary"]["mean_auroc"]
    if not math.isfinite(auroc) or auroc >= LEARNED_AUROC:
        return None
    return (
        f"warning: {name} did not learn (validation mean AUROC {auroc:.3f}) with train.lr "
        f"{lr:g}; a network without normalisation layers (DeepSEA, DanQ) may need a lower "
        "train.lr, e.g. 1e-4"
    )


def _row(name: str, metrics: dict, run_dir: Path) -> dict:
    test = metrics.get("test") or metrics.get("valid")
    summary = test["summary"]
    return {
        "model": name,
        "parameters": metrics.get("parameters"),
        "test_mean_auroc": summary["mean_auroc"],
        "test_auroc_se": _single_task_se(test),
        "test_median_auroc": summary["median_auroc"],
        "test_mean_auprc": summary["mean_auprc"],
        "groups": {g: v["mean_auroc"] for g, v in (test.get("groups") or {}).items()},
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


def _failed_row(name: str, error: str, run_dir: Path) -> dict:
    row = dict.fromkeys(COLUMNS[1:] + ("train_seconds",))
    return {"model": name, **row, "groups": {}, "run_dir": str(run_dir), "error": error}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}"
    return str(value)
