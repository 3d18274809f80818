"""`genas predict RUN_DIR INPUT -o OUT.tsv`: predictions of a trained model for new sequences."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from genas.analysis.variants.pipeline import prefetch
from genas.data.inputs import iter_prediction_input
from genas.fileio import atomic_path
from genas.nn.model_file import load_model
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
) -> tuple[int, int]:
    """Predict every sequence of a FASTA file (or BED intervals on `genome`).

    Sequences are centre-cropped/padded to the model's input length; BED intervals on the
    ``-`` strand are scored as the reverse complement of their window. Writes a TSV with a
    `name` column and the model's outputs (:meth:`~genas.train.task.TaskSpec.output_columns`:
    one probability or value column per task, named by task, regression values on the
    original scale; or one probability column per class and ``predicted_class``),
    atomically. The input is read, scored and written ``batch_size`` sequences at a time (a
    reader thread preparing the next batch), so memory does not grow with the input, as in
    `vep`.

    Returns:
        The shape of the table written: (sequences, tasks).
    """
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
    )
    n = 0
    with atomic_path(out) as tmp, open(tmp, "w") as handle:
        handle.write("\t".join(["name", *task.output_columns()]) + "\n")
        for names, x in prefetch(batches):
            probs = predict(
                loaded.model,
                x,
                batch_size=batch_size,
                rc_average=rc_average,
                device=device,
                n_value=loaded.n_value,
                task=task,
            )
            handle.writelines(_rows(names, task.output_cells(probs)))
            n += len(names)
    return n, len(loaded.task_names)


def _rows(names: Iterable[str], cells: list[list[str]]) -> Iterable[str]:
    """TSV lines: the name, then the row's output cells."""
    for name, row in zip(names, cells, strict=True):
        yield name + "\t" + "\t".join(row) + "\n"
