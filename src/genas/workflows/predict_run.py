"""`genas predict RUN_DIR INPUT -o OUT.tsv`: predictions of a trained model for new sequences."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genas.data.inputs import load_prediction_input
from genas.fileio import atomic_path
from genas.train import predict
from genas.workflows.model_file import load_model


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
) -> np.ndarray:
    """Predict every sequence of a FASTA file (or BED intervals on `genome`).

    Sequences are centre-cropped/padded to the model's input length. Writes a TSV with a
    `name` column and one probability column per task; returns the (N, T) probabilities.
    """
    loaded = load_model(run_dir)
    names, x = load_prediction_input(
        input_path,
        loaded.input_length,
        genome=genome,
        fit_length="crop_or_pad",
        invalid_bases=invalid_bases,
    )
    probs = predict(
        loaded.model,
        x,
        batch_size=batch_size,
        rc_average=rc_average,
        device=device,
        n_value=loaded.n_value,
    )
    with atomic_path(out) as tmp, open(tmp, "w") as handle:
        handle.write("\t".join(["name", *loaded.task_names]) + "\n")
        for name, row in zip(names, probs, strict=True):
            handle.write(name + "\t" + "\t".join(f"{p:.6g}" for p in row) + "\n")
    return probs
