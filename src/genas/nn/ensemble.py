"""Several trained networks used as one: the average of their predictions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn.functional import log_softmax, logsigmoid

#: How members' outputs combine, by what their outputs are (see :class:`Ensemble`).
COMBINE = ("sigmoid", "mean", "exp", "softmax")


def mean_probability_logit(logits: Tensor, dim: int = 0) -> Tensor:
    """The logit of the mean of ``sigmoid(logits)`` along ``dim``, computed in log space.

    ``log p - log(1 - p)`` with each term a log-sum-exp of log-sigmoids (the ``1/n`` of the
    mean cancels), so it is finite and exact where the probabilities themselves round to 0
    or 1: members at logits 30 and 31 give 30.38, not a clipped constant shared by every
    confident prediction.
    """
    return torch.logsumexp(logsigmoid(logits), dim) - torch.logsumexp(logsigmoid(-logits), dim)


def combine_outputs(outputs: Tensor, combine: str = "sigmoid") -> Tensor:
    """One output from members' outputs stacked along dim 0, (M, N, O) → (N, O): the output
    whose prediction is the mean of the members' predictions.

    - ``sigmoid`` (binary logits): the logit of the mean probability;
    - ``mean`` (regression values): the mean value;
    - ``exp`` (Poisson log rates): the log of the mean rate;
    - ``softmax`` (class logits): the log of the mean class probabilities (softmax of it
      gives them back, as they sum to 1).
    """
    if combine == "sigmoid":
        return mean_probability_logit(outputs)
    if combine == "mean":
        return outputs.mean(dim=0)
    log_n = math.log(outputs.shape[0])
    if combine == "exp":
        return torch.logsumexp(outputs, 0) - log_n
    if combine == "softmax":
        return torch.logsumexp(log_softmax(outputs, dim=2), 0) - log_n
    raise ValueError(f"unknown ensemble combine {combine!r} (known: {', '.join(COMBINE)})")


class Ensemble(nn.Module):
    """Averages the predictions of ``members`` and returns the output that predicts them.

    Returning an output of the members' kind (logits for binary and multiclass, values or
    log rates for regression) keeps an ensemble a drop-in model for everything that maps a
    network's output to predictions (evaluation, prediction, variant effects, attributions).

    Args:
        members: networks mapping float32 (N, 4, L) to outputs (N, O), all with the same L
            and O.
        combine: what the outputs are (:func:`combine_outputs`); ``sigmoid`` for binary.

    Shape:
        input (N, 4, L) float32 → output (N, O).
    """

    def __init__(self, members: Sequence[nn.Module], combine: str = "sigmoid") -> None:
        super().__init__()
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least 2 members, got {len(members)}")
        if combine not in COMBINE:
            raise ValueError(f"unknown ensemble combine {combine!r} (known: {', '.join(COMBINE)})")
        self.members = nn.ModuleList(members)
        self.combine = combine

    def forward(self, x: Tensor) -> Tensor:
        return combine_outputs(torch.stack([m(x).float() for m in self.members]), self.combine)
