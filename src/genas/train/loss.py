"""Binary cross-entropy with unknown (NaN) labels masked out."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_bce_sum(
    output: torch.Tensor, y: torch.Tensor, *, from_logits: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed BCE over the known labels, and how many there were.

    Args:
        output: (B, T) logits (``from_logits=True``) or probabilities; computed in float32.
        y: (B, T) labels 0/1, NaN = unknown.

    Returns:
        (loss sum, count): 0-d float32 tensors on the device of ``output``; the mean loss is
        ``sum / count``. Both stay on the device, so accumulating them costs no sync.
    """
    if output.shape != y.shape:
        raise ValueError(
            f"model output {tuple(output.shape)} does not match labels {tuple(y.shape)}"
        )
    output = output.float()
    known = ~torch.isnan(y)
    target = torch.where(known, y, torch.zeros_like(y))
    if from_logits:
        loss = F.binary_cross_entropy_with_logits(output, target, reduction="none")
    else:
        loss = F.binary_cross_entropy(output, target, reduction="none")
    loss = torch.where(known, loss, torch.zeros_like(loss))
    return loss.sum(), known.sum().to(torch.float32)


def masked_bce(output: torch.Tensor, y: torch.Tensor, *, from_logits: bool = True) -> torch.Tensor:
    """Mean BCE over the known labels of (B, T) ``output`` and ``y``; 0 if none is known."""
    total, count = masked_bce_sum(output, y, from_logits=from_logits)
    return total / count.clamp(min=1.0)
