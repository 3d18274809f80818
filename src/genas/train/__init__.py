"""Training, evaluation and prediction: :func:`fit`, :func:`evaluate`, :func:`predict`.

A model is any ``nn.Module`` mapping float32 (B, 4, L) to outputs (B, O); loaders yield
``(x uint8 (B, 4, L), y float32 (B, T))`` with NaN for unknown labels. A
:class:`TaskSpec` says what the outputs are (binary logits by default; regression values;
multiclass logits) and gives the loss, predictions and metrics of its task type.
"""

from genas.train.device import resolve_device
from genas.train.loop import FitResult, fit
from genas.train.metrics import format_metrics_table, task_metrics
from genas.train.predict import evaluate, predict
from genas.train.seeding import seed_everything
from genas.train.task import TaskSpec, task_spec

__all__ = [
    "FitResult",
    "TaskSpec",
    "evaluate",
    "fit",
    "format_metrics_table",
    "predict",
    "resolve_device",
    "seed_everything",
    "task_metrics",
    "task_spec",
]
