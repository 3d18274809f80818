"""`genas attribute RUN_DIR INPUT -o OUT.h5`: which bases each prediction depends on.

Attributions of one output of a trained model (a task, or a class) for the user's own
sequences (FASTA, a .csv/.tsv table, or BED intervals on a genome), read, scored and written
in batches. The HDF5 file holds what TF-MoDISco and logo plotting read: the one-hot
sequences, the hypothetical contributions of every letter and the contributions of the
sequence's own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genas.analysis.attribution import (
    deep_lift_shap,
    input_x_gradient,
    ism_attribution,
    saturation_mutagenesis,
)
from genas.analysis.variants.pipeline import prefetch
from genas.data.inputs import iter_prediction_input
from genas.errors import GenasError, InputError
from genas.nn.model_file import LoadedModel, load_model
from genas.seq.alphabet import to_float
from genas.table_files import open_table, output_format
from genas.train import predict
from genas.train.device import resolve_device
from genas.train.task import TaskSpec

#: The attribution methods, the first the default (:mod:`genas.analysis.attribution`).
METHODS = ("deep_lift_shap", "ism", "input_x_gradient")


def attribute_run(
    run_dir: str | Path,
    input_path: str | Path,
    out: str | Path,
    *,
    task: str | None = None,
    method: str = "deep_lift_shap",
    genome: str | Path | None = None,
    n_shuffles: int = 20,
    seed: int = 0,
    batch_size: int = 64,
    device: str = "auto",
    invalid_bases: str = "error",
    sequence_column: str = "sequence",
    id_column: str | None = None,
) -> tuple[int, str]:
    """Attribute output ``task`` of the model in ``run_dir`` for every sequence of
    ``input_path``, fitted to the model's input length as `genas predict` fits them.

    The output, HDF5 (``.h5``), written atomically, holds per sequence (N rows, L bp):

    - the row columns of `genas predict` (FASTA, table: ``name``; BED: ``chrom``, ``start``,
      ``end``, ``name``, ``strand``), each (N,);
    - ``sequences`` uint8 (N, 4, L): the one-hot of the letters the model read (all-zero
      columns at N and at padding, as TF-MoDISco and logo tools expect);
    - ``hypothetical`` float32 (N, 4, L): what each letter would contribute at each
      position had it been there;
    - ``attributions`` float32 (N, 4, L): ``hypothetical`` times the one-hot (N letters at
      the model's N value), the contributions of the sequence's own letters;
    - ``predictions`` float32 (N,): the model's prediction of the output (a probability,
      value or rate, as `genas predict` writes it);

    and attributes ``method``, ``output`` (the task or class), ``task_type``, ``target``
    (what is attributed), and for DeepLIFT ``n_shuffles`` and ``seed``.

    What is attributed: the output's logit (binary), value or log rate (regression, on the
    scale the network was trained on), or, for a multiclass model, the class's logit
    (DeepLIFT, gradients) or log probability (ISM, :func:`saturation_mutagenesis`).

    Returns:
        (sequences written, the output's name).

    Raises:
        GenasError: an unknown method, an output that is not ``.h5``, or no ``task`` given
            for a model of several outputs, all before any input is read; bad input
            (naming the file and line).
    """
    if method not in METHODS:
        raise GenasError(f"--method {method}: not one of {', '.join(METHODS)}")
    if output_format(out) != "hdf5":
        raise InputError(out, "attributions are arrays (N, 4, L): write them to .h5 (HDF5)")
    loaded = load_model(run_dir, device=resolve_device(device))
    spec = TaskSpec.from_model(loaded)
    index = spec.output_index(task)
    model_device = next(loaded.model.parameters()).device
    name = spec.output_names[index]
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
        table.h5.attrs.update(
            method=method, output=name, task_type=spec.task_type, target=_target(spec, method)
        )
        if method == "deep_lift_shap":
            table.h5.attrs.update(n_shuffles=n_shuffles, seed=seed)
        for rows, x in prefetch(batches):
            hypothetical = _hypothetical(
                loaded, spec, x, index, method, n_shuffles=n_shuffles, seed=seed + n
            )
            values = predict(loaded.model, x, batch_size=batch_size, device=model_device,
                             n_value=loaded.n_value, task=spec)  # fmt: skip
            for key, column in rows.items():
                table.append(key, np.asarray(column))
            table.append("sequences", x * (x.sum(axis=1, keepdims=True) == 1), np.uint8)
            table.append("hypothetical", hypothetical, np.float32)
            table.append("attributions", hypothetical * to_float(x, loaded.n_value), np.float32)
            table.append("predictions", spec.original_scale(values)[:, index], np.float32)
            n += len(x)
    return n, name


def _target(spec: TaskSpec, method: str) -> str:
    """What is attributed, in words (the file's ``target`` attribute)."""
    if spec.task_type == "multiclass":
        return "class log probability" if method == "ism" else "class logit"
    if spec.task_type == "binary":
        return "logit"
    if spec.loss == "poisson":
        return "log rate"
    return "log(1 + value)" if spec.target_transform == "log1p" else "value"


def _hypothetical(
    loaded: LoadedModel,
    spec: TaskSpec,
    x: np.ndarray,
    index: int,
    method: str,
    *,
    n_shuffles: int,
    seed: int,
) -> np.ndarray:
    """float32 (B, 4, L): each letter's hypothetical contribution to output ``index``."""
    model, n_value = loaded.model, loaded.n_value
    if method == "ism":
        multiclass = spec.task_type == "multiclass"
        effects = saturation_mutagenesis(
            model, x, tasks=[index], n_value=n_value, log_softmax=multiclass
        )
        return ism_attribution(effects, x, hypothetical=True)[:, 0]
    if method == "input_x_gradient":
        return input_x_gradient(model, x, index, n_value=n_value, hypothetical=True)
    return deep_lift_shap(
        model, x, index, n_shuffles=n_shuffles, seed=seed, n_value=n_value, hypothetical=True
    )
