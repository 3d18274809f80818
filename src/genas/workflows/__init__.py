"""Run-level workflows: what the CLI commands do, as Python functions.

Each takes a config or a run folder and writes a run folder (DESIGN.md §2): the resolved
`config.yaml`, `model.safetensors` + `model.json`, `metrics.json`.
"""

from genas.workflows.evaluate_run import evaluate_run
from genas.workflows.model_file import LoadedModel, load_model, save_model
from genas.workflows.predict_run import predict_run
from genas.workflows.train_run import TrainRunResult, train_run

__all__ = [
    "LoadedModel",
    "TrainRunResult",
    "evaluate_run",
    "load_model",
    "predict_run",
    "save_model",
    "train_run",
]
