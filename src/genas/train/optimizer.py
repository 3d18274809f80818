"""The one optimizer factory: standalone training, independent children and the supernet."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from genas.errors import GenasError

#: Momentum of the ``sgd`` optimizer (Nesterov), as in ENAS's shared-weight training.
SGD_MOMENTUM = 0.9


def build_optimizer(
    params: Iterable[nn.Parameter], name: str, lr: float, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """``adam``, ``adamw`` or ``sgd`` (Nesterov momentum :data:`SGD_MOMENTUM`) over the
    trainable ``params``.

    A parameter that received no gradient in a step (a supernet op off the sampled path: its
    ``.grad`` is None) is skipped by all three: no update, no weight decay, no change to
    its moment estimates.
    """
    params = [p for p in params if p.requires_grad]
    if not params:
        raise GenasError("the model has no trainable parameters")
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(
            params, lr=lr, momentum=SGD_MOMENTUM, nesterov=True, weight_decay=weight_decay
        )
    raise ValueError(f"unknown optimizer {name!r} (adam, adamw, sgd)")
