"""What a network predicts: :class:`TaskSpec`, the task type of a run or a saved model.

A task spec ties together what the data, training, evaluation and prediction must agree
on (docs/tasks.md): the task type (binary, regression, multiclass), the task names, the
class names of a multiclass task, the loss, and the transform of regression targets. It is
built from a run's config and data (:func:`task_spec`) or from a saved model
(:meth:`TaskSpec.from_model`); everything else asks it rather than the task type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from genas.config import TASK_LOSSES, TASK_TYPES, RunConfig
from genas.data.dataset import DataSplits
from genas.data.targets import SPLITS, label_stats
from genas.errors import ConfigError, GenasError
from genas.nn.model_file import LoadedModel
from genas.train.loss import masked_loss_sum, predictions
from genas.train.metrics import headline, task_metrics
from genas.train.metrics_multiclass import multiclass_metrics
from genas.train.metrics_regression import regression_metrics

#: How an ensemble combines its members' outputs, by loss (:mod:`genas.nn.ensemble`).
_ENSEMBLE_COMBINE = {
    "bce": "sigmoid",
    "mse": "mean",
    "huber": "mean",
    "poisson": "exp",
    "cross_entropy": "softmax",
}


@dataclass(frozen=True)
class TaskSpec:
    """The task type of a network and how its outputs are trained, scored and written.

    Attributes:
        task_type: ``binary``, ``regression`` or ``multiclass``.
        task_names: the T task names (one for multiclass: the label column).
        class_names: multiclass: the K class names in output order; else None.
        loss: one of the task type's losses (``config.TASK_LOSSES``).
        target_transform: ``"log1p"`` when the targets (and predictions) are log(1 + y);
            regression only.
    """

    task_type: str = "binary"
    task_names: tuple[str, ...] = ("task",)
    class_names: tuple[str, ...] | None = None
    loss: str = "bce"
    target_transform: str | None = None

    def __post_init__(self) -> None:
        if self.task_type not in TASK_TYPES:
            raise ValueError(f"unknown task type {self.task_type!r}")
        if self.loss not in TASK_LOSSES[self.task_type]:
            raise ValueError(f"loss {self.loss!r} does not fit task type {self.task_type}")
        multiclass = self.task_type == "multiclass"
        if multiclass != (self.class_names is not None):
            raise ValueError("class_names are given for (and only for) a multiclass task")
        if multiclass and (len(self.task_names) != 1 or len(self.class_names) < 2):
            raise ValueError("a multiclass task has one task name and at least 2 classes")
        if self.target_transform is not None and self.task_type != "regression":
            raise ValueError("a target transform belongs to a regression task")

    @classmethod
    def binary(cls, task_names: Sequence[str]) -> TaskSpec:
        """Binary tasks (BCE; sigmoid probabilities), genas's default."""
        return cls("binary", tuple(str(n) for n in task_names))

    @classmethod
    def from_model(cls, loaded: LoadedModel) -> TaskSpec:
        """The task spec a saved model was trained for (binary for older files)."""
        classes = loaded.class_names
        return cls(
            loaded.task_type,
            tuple(loaded.task_names),
            None if classes is None else tuple(classes),
            loaded.loss,
            loaded.target_transform,
        )

    # ------------------------------------------------------------------ the network

    @property
    def output_names(self) -> tuple[str, ...]:
        """The names of the network's O outputs: the K classes (multiclass), else the tasks."""
        return self.class_names if self.class_names is not None else self.task_names

    @property
    def n_outputs(self) -> int:
        """Outputs of the network's head: K for multiclass, else one per task."""
        return len(self.output_names)

    def output_index(self, name: str | None) -> int:
        """The column of output ``name`` (a task, or a class of a multiclass model); None
        names the only output of a single-output model.

        Raises:
            GenasError: no output of that name, or None for a model of several outputs
                (``--task`` names it).
        """
        what = "class" if self.class_names is not None else "task"
        names = self.output_names
        shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        if name is None and len(names) > 1:
            raise GenasError(
                f"--task: the model has {len(names)} outputs; name the {what} ({shown})"
            )
        if name is None:
            return 0
        if name not in names:
            raise GenasError(f"--task {name}: the model has no {what} of that name ({shown})")
        return names.index(name)

    @property
    def ensemble_combine(self) -> str:
        """How an :class:`~genas.nn.ensemble.Ensemble` of such networks averages them."""
        return _ENSEMBLE_COMBINE[self.loss]

    def predictions(self, output: torch.Tensor) -> torch.Tensor:
        """Predictions (B, O) of raw outputs (B, O): probabilities, values or rates."""
        return predictions(output, self.loss)

    def loss_sum(
        self, output: torch.Tensor, y: torch.Tensor, *, from_logits: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(summed loss, known targets) of (B, O) outputs (or predictions) against (B, T)
        targets (:func:`~genas.train.loss.masked_loss_sum`)."""
        return masked_loss_sum(output, y, self.loss, from_logits=from_logits)

    # ------------------------------------------------------------------ scoring

    @property
    def headline(self) -> str:
        """The summary key early stopping monitors (mean_auroc, mean_pearson, macro_auroc)."""
        return headline(self.task_type)

    def metrics(
        self,
        y_true: np.ndarray,
        y_pred: np.ndarray,
        task_groups: Mapping[str, Sequence[str]] | None = None,
    ) -> dict:
        """The task type's metrics of (N, O) predictions against (N, T) targets, with
        ``"task_type"`` (and ``"class_names"`` for multiclass) added.

        Binary: :func:`~genas.train.metrics.task_metrics`; regression:
        :func:`~genas.train.metrics_regression.regression_metrics` (on the scale the
        network was trained on: log(1 + y) with ``log1p``); multiclass:
        :func:`~genas.train.metrics_multiclass.multiclass_metrics`.
        """
        if self.task_type == "binary":
            out = task_metrics(y_true, y_pred, self.task_names, task_groups)
        elif self.task_type == "regression":
            out = regression_metrics(y_true, y_pred, self.task_names, task_groups)
        else:
            out = multiclass_metrics(y_true, y_pred, self.task_names[0], self.class_names)
            out["class_names"] = list(self.class_names)
        out["task_type"] = self.task_type
        return out

    # ------------------------------------------------------------------ writing

    def original_scale(self, values: np.ndarray) -> np.ndarray:
        """Predictions back on the scale of the stored targets (undoes ``log1p``)."""
        return np.expm1(values) if self.target_transform == "log1p" else values

    def model_meta(self) -> dict:
        """The keyword arguments of :func:`~genas.nn.model_file.save_model` that record it."""
        return {
            "task_type": self.task_type,
            "class_names": None if self.class_names is None else list(self.class_names),
            "loss": self.loss,
            "target_transform": self.target_transform,
        }


def task_spec(config: RunConfig, splits: DataSplits) -> TaskSpec:
    """The task spec of a run: ``splits``' task type, names, classes and transform with
    ``config.train.loss`` (the task type's default when unset).

    Raises:
        ConfigError: a loss that does not fit the task type, or the Poisson loss with a
            negative target in some split.
    """
    loss = config.train.loss or TASK_LOSSES[splits.task_type][0]
    if loss not in TASK_LOSSES[splits.task_type]:
        raise ConfigError(
            f"train.loss: {loss} does not fit data.task_type {splits.task_type} "
            f"(use {', '.join(TASK_LOSSES[splits.task_type])})"
        )
    if loss == "poisson":
        _check_non_negative(splits)
    classes = splits.class_names
    return TaskSpec(
        splits.task_type,
        tuple(splits.task_names),
        None if classes is None else tuple(classes),
        loss,
        splits.target_transform,
    )


def _check_non_negative(splits: DataSplits) -> None:
    """Poisson targets are counts or rates: a negative one is refused, naming task and split."""
    for split in SPLITS:
        dataset = getattr(splits, split)
        if dataset is None:
            continue
        lo = label_stats(dataset).lo
        for t in np.flatnonzero(lo < 0):
            raise ConfigError(
                f"train.loss: poisson needs targets >= 0; task {splits.task_names[t]!r} holds "
                f"{lo[t]:g} in the {split} split (use mse or huber)"
            )
