"""Training losses per task type, with unknown (NaN) targets masked out, and the map from a
network's raw output to its predictions.

=============  ==============  ==========================  =========================
loss           task type       output (B, O)               prediction
=============  ==============  ==========================  =========================
bce            binary          logits, O = T               sigmoid: probabilities
mse, huber     regression      values, O = T               the values themselves
poisson        regression      log rates, O = T            exp: rates
cross_entropy  multiclass      class logits, O = K         softmax over the K classes
=============  ==============  ==========================  =========================

Targets are float32 (B, T), NaN = unknown; for ``cross_entropy`` (B, 1) class indices.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("bce", "mse", "poisson", "huber", "cross_entropy")

#: Smallest probability / rate taken to the log when a loss is computed from predictions.
_EPS = 1e-7


def predictions(output: torch.Tensor, loss: str = "bce") -> torch.Tensor:
    """The predictions of a raw network ``output`` (B, O) under ``loss`` (see the table)."""
    if loss == "bce":
        return torch.sigmoid(output)
    if loss in ("mse", "huber"):
        return output
    if loss == "poisson":
        return torch.exp(output)
    if loss == "cross_entropy":
        return torch.softmax(output, dim=1)
    raise ValueError(f"unknown loss {loss!r} (known: {', '.join(LOSSES)})")


def masked_loss_sum(
    output: torch.Tensor, y: torch.Tensor, loss: str = "bce", *, from_logits: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed ``loss`` over the known targets, and how many there were.

    Args:
        output: (B, T) raw outputs (``from_logits=True``) or predictions
            (:func:`predictions`, e.g. averaged over strands); (B, K) for ``cross_entropy``.
            Computed in float32.
        y: (B, T) targets, NaN = unknown; (B, 1) class indices for ``cross_entropy``.
        loss: one of :data:`LOSSES`.

    Returns:
        (loss sum, count): 0-d float32 tensors on the device of ``output``; the mean loss is
        ``sum / count``. Both stay on the device, so accumulating them costs no sync.
    """
    output = output.float()
    if loss == "cross_entropy":
        return _cross_entropy_sum(output, y, from_logits)
    if output.shape != y.shape:
        raise ValueError(
            f"model output {tuple(output.shape)} does not match labels {tuple(y.shape)}"
        )
    known = ~torch.isnan(y)
    target = torch.where(known, y, torch.zeros_like(y))
    if loss == "bce":
        if from_logits:
            values = F.binary_cross_entropy_with_logits(output, target, reduction="none")
        else:
            values = F.binary_cross_entropy(output, target, reduction="none")
    elif loss == "mse":
        values = (output - target) ** 2
    elif loss == "huber":
        values = F.huber_loss(output, target, reduction="none", delta=1.0)
    elif loss == "poisson":
        values = F.poisson_nll_loss(
            output, target, log_input=from_logits, full=False, eps=_EPS, reduction="none"
        )
    else:
        raise ValueError(f"unknown loss {loss!r} (known: {', '.join(LOSSES)})")
    values = torch.where(known, values, torch.zeros_like(values))
    return values.sum(), known.sum().to(torch.float32)


def _cross_entropy_sum(
    output: torch.Tensor, y: torch.Tensor, from_logits: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy of (B, K) logits or probabilities against (B, 1) class indices."""
    if output.ndim != 2 or y.shape != (output.shape[0], 1):
        raise ValueError(
            f"model output {tuple(output.shape)} and class labels {tuple(y.shape)} must be "
            "(B, K) and (B, 1)"
        )
    known = ~torch.isnan(y[:, 0])
    target = torch.where(known, y[:, 0], torch.zeros_like(y[:, 0])).long()
    log_p = F.log_softmax(output, dim=1) if from_logits else torch.log(output.clamp_min(_EPS))
    values = F.nll_loss(log_p, target, reduction="none")
    values = torch.where(known, values, torch.zeros_like(values))
    return values.sum(), known.sum().to(torch.float32)


def masked_bce_sum(
    output: torch.Tensor, y: torch.Tensor, *, from_logits: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`masked_loss_sum` with the binary cross-entropy: (B, T) logits or probabilities
    against (B, T) labels 0/1 (NaN = unknown)."""
    return masked_loss_sum(output, y, "bce", from_logits=from_logits)


def masked_bce(output: torch.Tensor, y: torch.Tensor, *, from_logits: bool = True) -> torch.Tensor:
    """Mean BCE over the known labels of (B, T) ``output`` and ``y``; 0 if none is known."""
    total, count = masked_bce_sum(output, y, from_logits=from_logits)
    return total / count.clamp(min=1.0)
