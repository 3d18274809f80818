"""`genas evaluate RUN_DIR`: re-evaluate a trained run on its data splits."""

from __future__ import annotations

import json
from pathlib import Path

from genas.config import load_config
from genas.data import load_splits
from genas.errors import GenasError
from genas.fileio import atomic_write_json
from genas.nn.model_file import load_model
from genas.run_files import CONFIG_YAML, METRICS_JSON
from genas.run_lock import locks_run_folder
from genas.workflows.train_run import evaluate_splits


@locks_run_folder
def evaluate_run(run_dir: str | Path) -> dict:
    """Evaluate the run's model on the valid/test splits of its own config.

    Updates the metrics in `RUN_DIR/metrics.json` (training history is kept) and returns
    {"valid": metrics, "test": metrics}.
    """
    run_dir = Path(run_dir)
    config_path = run_dir / CONFIG_YAML
    if not config_path.is_file():
        raise GenasError(f"{config_path}: not found (is {run_dir} a run folder?)")
    config = load_config(config_path)
    loaded = load_model(run_dir)
    splits = load_splits(config.data, config.seed)
    if splits.task_names != loaded.task_names:
        raise GenasError(f"{run_dir}: the data's tasks differ from the model's tasks")
    metrics = evaluate_splits(loaded.model, splits, config)
    metrics_path = run_dir / METRICS_JSON
    previous = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    atomic_write_json(metrics_path, {**previous, **metrics})
    return metrics
