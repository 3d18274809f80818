"""`genas predict RUN_DIR INPUT -o OUT`: predictions of a trained model for new sequences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from genas.analysis.variants.pipeline import prefetch
from genas.data.inputs import iter_prediction_input
from genas.nn.model_file import load_model
from genas.table_files import TableWriter, open_table, output_format
from genas.train import predict
from genas.train.device import resolve_device
from genas.train.task import TaskSpec


def predict_run(
    run_dir: str | Path,
    input_path: str | Path,
    out: str | Path,
    *,
    genome: str | Path | None = None,
    rc_average: bool = False,
    batch_size: int = 256,
    device: str = "auto",
    invalid_bases: str = "error",
    sequence_column: str = "sequence",
    id_column: str | None = None,
) -> tuple[int, int]:
    """Predict every sequence of a FASTA file, a .csv/.tsv table (``sequence_column``, rows
    named by ``id_column`` or ``file:line``), or BED intervals on `genome`.

    Sequences are centre-cropped/padded to the model's input length; BED intervals on the
    ``-`` strand are scored as the reverse complement of their window. The output's format
    follows its extension (:func:`genas.table_files.output_format`), written atomically:

    - TSV (``.tsv``, ``.tsv.gz``) or Parquet: the row columns (FASTA, table: ``name``; BED:
      the line's ``chrom``, ``start``, ``end``, ``name``, ``strand``), then one probability or
      value column per task, named by task (regression values on the original scale), or
      one probability column per class and ``predicted_class``;
    - HDF5 (``.h5``): the row columns, each (N,), ``predictions`` float32 (N, T),
      ``task_names`` (T,) (a multiclass model's class names, and ``predicted_class`` (N,)).

    The input is read, scored and written ``batch_size`` sequences at a time (a reader
    thread preparing the next batch), so memory does not grow with the input, as in `vep`.

    Returns:
        The shape of the predictions written: (sequences, tasks).

    Raises:
        InputError: an unknown output extension (before any work), or bad input.
    """
    output_format(out)  # an unknown extension fails before any work
    loaded = load_model(run_dir)
    task = TaskSpec.from_model(loaded)
    device = resolve_device(device)
    batches = iter_prediction_input(
        input_path,
        loaded.input_length,
        batch_size=batch_size,
        genome=genome,
        fit_length="crop_or_pad",
        invalid_bases=invalid_bases,
        sequence_column=sequence_column,
        id_column=id_column,
    )
    n = 0
    with open_table(out) as table:
        for rows, x in prefetch(batches):
            values = predict(
                loaded.model,
                x,
                batch_size=batch_size,
                rc_average=rc_average,
                device=device,
                n_value=loaded.n_value,
                task=task,
            )
            write_predictions(table, task, rows, values)
            n += len(x)
    return n, len(loaded.task_names)


def write_predictions(
    table: TableWriter,
    task: TaskSpec,
    keys: Mapping[str, Sequence | np.ndarray],
    values: np.ndarray,
    labels: np.ndarray | None = None,
) -> None:
    """Append B rows to ``table``: the ``keys`` columns (B,), then the predictions (B, O)
    (as :func:`~genas.train.predict.predict` gives them; written on the original scale), one
    column per task or class (and ``predicted_class``), then, given ``labels`` (B, T) (on
    the training scale; NaN: unknown), the observed values: ``<task>.label`` columns, or for
    a multiclass model ``label`` (the class name; empty when unknown). HDF5 holds
    ``predictions`` (B, O) and ``labels`` (B, T) matrices with ``task_names`` (O,)."""
    names = task.output_names  # a column per class, or per task
    values = task.original_scale(values)
    classes = observed = None
    if task.class_names is not None:
        classes = np.array(task.class_names, dtype=object)[values.argmax(axis=1)]
        if labels is not None:
            known = np.isfinite(labels[:, 0])
            observed = np.full(len(labels), "", dtype=object)
            observed[known] = np.array(task.class_names, dtype=object)[
                labels[known, 0].astype(int)
            ]
    elif labels is not None:
        labels = task.original_scale(labels)
    if table.kind != "hdf5":
        columns = {k: np.asarray(v) for k, v in keys.items()}
        columns |= dict(zip(names, values.T, strict=True))
        if classes is not None:
            columns["predicted_class"] = classes
        if observed is not None:
            columns["label"] = observed
        elif labels is not None:
            columns |= {f"{t}.label": column for t, column in zip(names, labels.T, strict=True)}
        table.write_frame(pd.DataFrame(columns))
        return
    table.put_text("task_names", names, task_type=task.task_type)
    for key, column in keys.items():
        table.append(key, np.asarray(column))
    table.append("predictions", values, np.float32)
    if classes is not None:
        table.append("predicted_class", classes)
    if labels is not None:
        table.append("labels", labels, np.float32)
