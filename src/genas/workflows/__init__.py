"""Run-level workflows: what the CLI commands do, as Python functions.

Each takes a config or a run folder and writes a run folder (DESIGN.md §2): the resolved
`config.yaml`, `model.safetensors` + `model.json`, `metrics.json`. A trained model is read
back with :func:`genas.load_model` (:mod:`genas.nn.model_file`).
"""

from genas.workflows.attribute_run import attribute_run
from genas.workflows.evaluate_run import evaluate_run
from genas.workflows.predict_run import predict_run
from genas.workflows.train_run import TrainRunResult, train_run

__all__ = [
    "TrainRunResult",
    "attribute_run",
    "evaluate_run",
    "predict_run",
    "train_run",
]
