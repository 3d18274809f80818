"""Several trained networks used as one: the average of their predicted probabilities."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn.functional import logsigmoid


def mean_probability_logit(logits: Tensor, dim: int = 0) -> Tensor:
    """The logit of the mean of ``sigmoid(logits)`` along ``dim``, computed in log space.

    ``log p - log(1 - p)`` with each term a log-sum-exp of log-sigmoids (the ``1/n`` of the
    mean cancels), so it is finite and exact where the probabilities themselves round to 0
    or 1: members at logits 30 and 31 give 30.38, not a clipped constant shared by every
    confident prediction.
    """
    return torch.logsumexp(logsigmoid(logits), dim) - torch.logsumexp(logsigmoid(-logits), dim)


class Ensemble(nn.Module):
    """Averages the sigmoid probabilities of ``members`` and returns their logit.

    Returning logits keeps an ensemble a drop-in model for everything that applies a sigmoid
    to a network's output (evaluation, prediction, variant effects, attributions).

    Args:
        members: networks mapping float32 (N, 4, L) to logits (N, T), all with the same L
            and T.

    Shape:
        input (N, 4, L) float32 → output (N, T) logits of the mean probability.
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least 2 members, got {len(members)}")
        self.members = nn.ModuleList(members)

    def forward(self, x: Tensor) -> Tensor:
        return mean_probability_logit(torch.stack([m(x).float() for m in self.members]))
