"""Inference: predictions for many sequences, and evaluation against labels."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from genas.seq.alphabet import reverse_complement
from genas.train.device import autocast, batch_to_float, resolve_device, to_device
from genas.train.task import TaskSpec

# Predictions are kept on the device and copied to the host in chunks of this many values.
_FLUSH_ELEMENTS = 1 << 24

Inputs = np.ndarray | torch.Tensor | Iterable


def _batches(
    x_or_loader: Inputs, batch_size: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
    """(x (B, 4, L), y (B, T) or None) batches from an array, a tensor or a loader."""
    if isinstance(x_or_loader, np.ndarray | torch.Tensor):
        data = x_or_loader
        if data.ndim != 3 or data.shape[1] != 4:
            raise ValueError(f"expected one-hot sequences (N, 4, L), got shape {tuple(data.shape)}")
        for start in range(0, data.shape[0], batch_size):
            chunk = data[start : start + batch_size]
            if isinstance(chunk, np.ndarray):
                chunk = torch.from_numpy(np.ascontiguousarray(chunk))
            yield chunk, None
        return
    for item in x_or_loader:
        if isinstance(item, list | tuple):
            x, y = item[0], (item[1] if len(item) > 1 else None)
        else:
            x, y = item, None
        x = torch.from_numpy(np.asarray(x)) if isinstance(x, np.ndarray) else x
        y = torch.from_numpy(np.asarray(y, dtype=np.float32)) if isinstance(y, np.ndarray) else y
        yield x, y


class _HostBuffer:
    """Collects (B, T) device tensors and copies them to the host in large chunks."""

    def __init__(self) -> None:
        self.pending: list[torch.Tensor] = []
        self.pending_elements = 0
        self.host: list[np.ndarray] = []

    def add(self, t: torch.Tensor) -> None:
        self.pending.append(t.float())
        self.pending_elements += t.numel()
        if self.pending_elements >= _FLUSH_ELEMENTS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.host.append(torch.cat(self.pending).cpu().numpy())
            self.pending, self.pending_elements = [], 0

    def result(self) -> np.ndarray | None:
        self.flush()
        return np.concatenate(self.host).astype(np.float32, copy=False) if self.host else None


def run_inference(
    model: nn.Module,
    x_or_loader: Inputs,
    *,
    batch_size: int = 256,
    rc_average: bool = False,
    device: str | torch.device = "auto",
    n_value: float = 0.25,
    with_labels: bool = False,
    task: TaskSpec | None = None,
) -> tuple[np.ndarray, np.ndarray | None, float]:
    """Predictions (N, O) float32, labels (N, T) float32 (or None), and the masked loss.

    The model is moved to `device` and run in eval mode under ``torch.inference_mode``
    (bf16 autocast on CUDA); its previous training mode is restored afterwards. ``task``
    (default: binary) maps outputs to predictions and gives the loss, computed from the
    outputs, or from the averaged predictions when ``rc_average``; NaN when there are no
    labels.
    """
    device = resolve_device(device)
    model.to(device)
    task = task or TaskSpec()
    was_training = model.training
    model.eval()
    probs, labels = _HostBuffer(), _HostBuffer()
    loss_sum = torch.zeros((), device=device)
    loss_count = torch.zeros((), device=device)
    try:
        with torch.inference_mode():
            for x, y in _batches(x_or_loader, batch_size):
                xf = batch_to_float(x, device, n_value)
                with autocast(device):
                    logits = model(xf).float()
                    if rc_average:
                        rc_logits = model(reverse_complement(xf)).float()
                if rc_average:
                    p = 0.5 * (task.predictions(logits) + task.predictions(rc_logits))
                else:
                    p = task.predictions(logits)
                probs.add(p)
                if with_labels:
                    if y is None:
                        raise ValueError("the loader must yield (x, y) batches to evaluate")
                    y = to_device(y, device).float()
                    s, c = task.loss_sum(p if rc_average else logits, y, from_logits=not rc_average)
                    loss_sum += s
                    loss_count += c
                    labels.add(y)
    finally:
        model.train(was_training)
    out = probs.result()
    if out is None:
        out = np.zeros((0, 0), dtype=np.float32)
    count = float(loss_count)
    loss = float(loss_sum) / count if count > 0 else float("nan")
    return out, labels.result() if with_labels else None, loss


def predict(
    model: nn.Module,
    x_or_loader: Inputs,
    *,
    batch_size: int = 256,
    rc_average: bool = False,
    device: str | torch.device = "auto",
    n_value: float = 0.25,
    task: TaskSpec | None = None,
) -> np.ndarray:
    """Predictions for sequences.

    Args:
        model: maps float32 (B, 4, L) to outputs (B, O). Moved to `device`.
        x_or_loader: one-hot sequences (N, 4, L) as a uint8 numpy array or torch tensor
            (float input is used as it is), or an iterable of batches ``x`` or ``(x, y, ...)``.
        batch_size: batch size for array/tensor input.
        rc_average: average the predictions of each sequence and its reverse complement.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ...
        n_value: channel value of an unknown base N.
        task: what the outputs are (default binary: probabilities, the sigmoid of the
            logits); :meth:`TaskSpec.predictions`. Regression values stay on the scale the
            network was trained on (:meth:`TaskSpec.original_scale` undoes ``log1p``).

    Returns:
        float32 (N, O) predictions: probabilities (binary; (N, K) class probabilities for
        multiclass), values or rates (regression).
    """
    probs, _, _ = run_inference(
        model,
        x_or_loader,
        batch_size=batch_size,
        rc_average=rc_average,
        device=device,
        n_value=n_value,
        task=task,
    )
    return probs


def evaluate(
    model: nn.Module,
    loader: Iterable,
    *,
    task_names: Sequence[str],
    task_groups: Mapping[str, Sequence[str]] | None = None,
    rc_average: bool = False,
    device: str | torch.device = "auto",
    n_value: float = 0.25,
    task: TaskSpec | None = None,
) -> dict:
    """Predict a labelled loader and score it.

    Args:
        loader: yields ``(x uint8 (B, 4, L), y float32 (B, T))``; NaN labels are unknown.
        task: the task type (default: binary tasks named ``task_names``).

    Returns:
        :meth:`TaskSpec.metrics` output plus ``"loss"`` (the masked training loss) and
        ``"n"`` (number of sequences).
    """
    task = task or TaskSpec.binary(task_names)
    probs, labels, loss = run_inference(
        model,
        loader,
        rc_average=rc_average,
        device=device,
        n_value=n_value,
        with_labels=True,
        task=task,
    )
    return evaluation_metrics(task, probs, labels, loss, task_groups)


def evaluation_metrics(
    task: TaskSpec,
    probs: np.ndarray,
    labels: np.ndarray | None,
    loss: float,
    task_groups: Mapping[str, Sequence[str]] | None = None,
) -> dict:
    """:meth:`TaskSpec.metrics` of :func:`run_inference`'s predictions (N, O) and labels
    (N, T) (None: no sequences), with ``"loss"`` and ``"n"``."""
    if labels is None:
        labels = np.zeros((0, len(task.task_names)), dtype=np.float32)
        probs = np.zeros((0, task.n_outputs), dtype=np.float32)
    metrics = task.metrics(labels, probs, task_groups)
    metrics["loss"] = loss
    metrics["n"] = int(probs.shape[0])
    return metrics
