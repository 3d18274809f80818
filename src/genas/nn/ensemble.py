"""Several trained networks used as one: the average of their predicted probabilities."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

#: Probabilities are kept inside [EPS, 1 - EPS] before the logit, so it stays finite.
EPS = 1e-7


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
        probabilities = torch.stack([torch.sigmoid(m(x).float()) for m in self.members])
        return torch.logit(probabilities.mean(dim=0).clamp(EPS, 1 - EPS))
