"""`genas evaluate RUN_DIR [--split S] [--output FILE] [--predictions FILE]`: re-evaluate a
trained run on one of its data splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genas.config import load_config
from genas.data import load_splits
from genas.errors import GenasError
from genas.fileio import atomic_write_json, atomic_write_text
from genas.nn.model_file import load_model
from genas.run_files import CONFIG_YAML, METRICS_JSON, read_json
from genas.run_lock import locks_run_folder
from genas.table_files import open_table, output_format
from genas.train.predict import evaluation_metrics
from genas.train.task import TaskSpec
from genas.workflows.overrides import apply_overrides
from genas.workflows.predict_run import write_predictions
from genas.workflows.train_run import split_inference

SPLITS = ("train", "valid", "test")
#: The splits whose metrics ``metrics.json`` keeps (the training split's are not kept there:
#: the report and `genas compare` read the held-out ones).
STORED_SPLITS = ("valid", "test")
OUTPUT_FORMATS = (".json", ".tsv")


@locks_run_folder
def evaluate_run(
    run_dir: str | Path,
    *,
    split: str = "test",
    output: str | Path | None = None,
    predictions: str | Path | None = None,
    device: str | None = None,
) -> dict:
    """Evaluate the run's model on one split of its own config's data.

    The valid and test metrics replace those in ``RUN_DIR/metrics.json`` (training
    history is kept); ``output`` (``.json``: the split's metrics; ``.tsv``: one row per
    task) and ``predictions`` are written atomically.

    Args:
        split: train, valid or test.
        output: a ``.json`` or ``.tsv`` file, or None.
        predictions: a file (``.tsv``, ``.tsv.gz``, ``.parquet``, ``.h5``) for each
            sequence's prediction and label, in the split's order
            (:func:`~genas.workflows.predict_run.write_predictions`): ``row`` (0-based),
            ``name`` (the record, or the genome window in words, where the data names them),
            the predictions, the labels; or None.
        device: overrides the run's ``train.device`` (auto, cpu, cuda, cuda:N).

    Returns:
        ``{split: metrics}``, metrics as :func:`~genas.train.metrics.task_metrics` gives them.

    Raises:
        GenasError: not a run folder, an unknown split or output format, a split the data
            does not have, or data whose tasks differ from the model's.
    """
    run_dir = Path(run_dir)
    if split not in SPLITS:
        raise GenasError(f"--split {split!r}: not one of {', '.join(SPLITS)}")
    if output is not None and Path(output).suffix.lower() not in OUTPUT_FORMATS:
        raise GenasError(f"--output {output}: the file must end in .json or .tsv")
    if predictions is not None:
        output_format(predictions)  # an unknown extension fails before any work
    config_path = run_dir / CONFIG_YAML
    if not config_path.is_file():
        raise GenasError(f"{config_path}: not found (is {run_dir} a run folder?)")
    config = apply_overrides(load_config(config_path), out=run_dir, device=device)
    loaded = load_model(run_dir)
    splits = load_splits(config.data, config.seed)
    if splits.task_names != loaded.task_names:
        raise GenasError(f"{run_dir}: the data's tasks differ from the model's tasks")
    task = TaskSpec.from_model(loaded)
    if (task.task_type, task.class_names) != (splits.task_type, _tuple(splits.class_names)):
        raise GenasError(f"{run_dir}: the data's task type or classes differ from the model's")
    if getattr(splits, split) is None:
        raise GenasError(f"{run_dir}: the run's data has no {split} split")
    metrics_path = run_dir / METRICS_JSON
    previous = (read_json(metrics_path) or {}) if split in STORED_SPLITS else {}
    dataset = getattr(splits, split)
    values, labels, loss = split_inference(loaded.model, dataset, config, task)
    metrics = {split: evaluation_metrics(task, values, labels, loss, splits.task_groups)}
    if predictions is not None:
        keys = _row_keys(dataset, loaded.input_length)
        with open_table(predictions) as table:
            for rows in _chunks(len(values)):  # a TSV frame of all rows could be GBs
                keys_of_rows = {k: v[rows] for k, v in keys.items()}
                write_predictions(table, task, keys_of_rows, values[rows], labels[rows])
    if output is not None:
        write_metrics(output, split, metrics[split])
    if split in STORED_SPLITS:
        atomic_write_json(metrics_path, {**previous, **metrics})
    return metrics


def _chunks(n: int, size: int = 16_384) -> list[slice]:
    """Row slices of at most ``size`` covering ``range(n)``."""
    return [slice(start, start + size) for start in range(0, n, size)]


def _row_keys(dataset, length: int) -> dict[str, np.ndarray]:
    """``row`` (N,) and, where the data keeps them, the records' names or genome windows
    (:meth:`~genas.data.origins.SequenceOrigins.columns`)."""
    n = len(dataset)
    origins = dataset.origins_of(np.arange(n))
    columns = {} if origins is None else origins.columns(length)
    return {"row": np.arange(n, dtype=np.int64), **columns}


def _tuple(names: list[str] | None) -> tuple[str, ...] | None:
    return None if names is None else tuple(names)


def write_metrics(path: str | Path, split: str, metrics: dict) -> None:
    """One split's metrics, atomically: ``.json`` as they are (with ``"split"``), ``.tsv``
    one row per task (``task``, then each per-task metric)."""
    if Path(path).suffix.lower() == ".json":
        atomic_write_json(path, {"split": split, **metrics})
    else:
        atomic_write_text(path, metrics_tsv(metrics["tasks"]))


def metrics_tsv(tasks: dict[str, dict]) -> str:
    """``task`` and the per-task metrics (columns in order of first appearance; NaN empty)."""
    columns: list[str] = []
    for values in tasks.values():
        columns += [key for key in values if key not in columns]
    lines = ["\t".join(["task", *columns])]
    for name, values in tasks.items():
        lines.append("\t".join([name, *(_cell(values.get(key)) for key in columns)]))
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value):  # missing or NaN
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)
