"""One optimisation step on a batch: used by `fit`, the supernet and independent children."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from genas.train.device import autocast, batch_to_float, to_device
from genas.train.loss import masked_loss_sum


def train_step(
    model: nn.Module,
    forward: Callable[[Tensor], Tensor],
    optimizer: torch.optim.Optimizer,
    x: Tensor,
    y: Tensor,
    device: torch.device,
    n_value: float = 0.25,
    grad_clip: float | None = None,
    loss: str = "bce",
) -> tuple[Tensor, Tensor]:
    """Forward, masked loss, backward, clip, step on one batch.

    Args:
        model: the module whose parameters ``forward`` uses (in training mode).
        forward: float32 (B, 4, L) on ``device`` → outputs (B, O).
        optimizer: over ``model``'s parameters.
        x: uint8 (B, 4, L) one-hot (CPU or ``device``); converted on the device.
        y: float32 (B, T) targets, NaN = unknown.
        device: where ``model`` lives; bf16 autocast on CUDA.
        n_value: channel value of an unknown base N.
        grad_clip: clip the gradient norm (of the parameters that have one) to this.
        loss: the training loss (:func:`~genas.train.loss.masked_loss_sum`).

    Returns:
        (loss sum, known labels): detached 0-d float32 tensors on ``device`` (no sync).
    """
    xf = batch_to_float(x, device, n_value)
    y = to_device(y, device).float()
    optimizer.zero_grad(set_to_none=True)
    with autocast(device):
        logits = forward(xf)
    total, known = masked_loss_sum(logits, y, loss)
    (total / known.clamp(min=1.0)).backward()
    if grad_clip is not None:
        nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None], grad_clip)
    optimizer.step()
    return total.detach(), known
