"""Published architectures to compare a searched one against.

Every builder takes ``(input_length, n_tasks)``, returns an ``nn.Module`` mapping float32
(N, 4, L) to logits (N, T) (no sigmoid), and raises ``ValueError`` naming the minimum length
when ``input_length`` is too short for its valid convolutions and poolings.

- :func:`deepsea` — Zhou & Troyanskaya 2015, exactly (52,843,119 parameters at 1000 bp, 919
  tasks).
- :func:`basset` — Kelley et al. 2016 (as in Kipoi's PyTorch port): BatchNorm after each conv
  and dense layer.
- :func:`danq` — Quang & Xie 2016: conv, max-pool 13, bidirectional LSTM, dense 925.
- :func:`deepbind` — a DeepBind-like net (Alipanahi et al. 2015): one conv, global max-pool,
  small dense layer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

from torch import Tensor, nn

from genas.nn.ops import MaxPool1d

# A stage of a valid-padding stack: ("conv", kernel) or ("pool", size, stride = size).
Stage = tuple[str, int]


def output_length(stages: Sequence[Stage], input_length: int) -> int:
    """Length after valid convolutions and floor-mode poolings (may be < 1)."""
    length = input_length
    for kind, k in stages:
        length = length - k + 1 if kind == "conv" else length // k
    return length


def minimum_length(stages: Sequence[Stage]) -> int:
    """Smallest input length whose output length is at least 1."""
    length = 1
    for kind, k in reversed(stages):
        length = length + k - 1 if kind == "conv" else length * k
    return length


def _check_length(name: str, stages: Sequence[Stage], input_length: int) -> int:
    out = output_length(stages, input_length)
    if out < 1:
        raise ValueError(
            f"{name} needs input_length >= {minimum_length(stages)} bp, got {input_length}"
        )
    return out


def _check_tasks(n_tasks: int) -> None:
    if n_tasks < 1:
        raise ValueError(f"n_tasks must be positive, got {n_tasks}")


def deepsea(input_length: int = 1000, n_tasks: int = 919) -> nn.Sequential:
    """DeepSEA: (N, 4, L) → (N, T).

    conv 320 k8 → ReLU → max-pool 4 → dropout .2 → conv 480 k8 → ReLU → max-pool 4 →
    dropout .2 → conv 960 k8 → ReLU → dropout .5 → flatten → dense 925 → ReLU → dense T.
    Valid convolutions; minimum length 163 bp.
    """
    _check_tasks(n_tasks)
    stages = [("conv", 8), ("pool", 4), ("conv", 8), ("pool", 4), ("conv", 8)]
    length = _check_length("deepsea", stages, input_length)
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv1d(4, 320, 8),
            relu1=nn.ReLU(),
            pool1=MaxPool1d(4, 4),
            drop1=nn.Dropout(0.2),
            conv2=nn.Conv1d(320, 480, 8),
            relu2=nn.ReLU(),
            pool2=MaxPool1d(4, 4),
            drop2=nn.Dropout(0.2),
            conv3=nn.Conv1d(480, 960, 8),
            relu3=nn.ReLU(),
            drop3=nn.Dropout(0.5),
            flatten=nn.Flatten(),
            dense=nn.Linear(960 * length, 925),
            relu4=nn.ReLU(),
            out=nn.Linear(925, n_tasks),
        )
    )


def basset(input_length: int = 600, n_tasks: int = 164) -> nn.Sequential:
    """Basset: (N, 4, L) → (N, T).

    [conv 300 k19, pool 3], [conv 200 k11, pool 4], [conv 200 k7, pool 4], each conv →
    BatchNorm → ReLU → max-pool; flatten → dense 1000 → BN → ReLU → dropout .3 → dense 1000
    → BN → ReLU → dropout .3 → dense T. Valid convolutions; minimum length 168 bp.
    """
    _check_tasks(n_tasks)
    stages = [("conv", 19), ("pool", 3), ("conv", 11), ("pool", 4), ("conv", 7), ("pool", 4)]
    length = _check_length("basset", stages, input_length)
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv1d(4, 300, 19),
            bn1=nn.BatchNorm1d(300),
            relu1=nn.ReLU(),
            pool1=MaxPool1d(3, 3),
            conv2=nn.Conv1d(300, 200, 11),
            bn2=nn.BatchNorm1d(200),
            relu2=nn.ReLU(),
            pool2=MaxPool1d(4, 4),
            conv3=nn.Conv1d(200, 200, 7),
            bn3=nn.BatchNorm1d(200),
            relu3=nn.ReLU(),
            pool3=MaxPool1d(4, 4),
            flatten=nn.Flatten(),
            dense1=nn.Linear(200 * length, 1000),
            bn4=nn.BatchNorm1d(1000),
            relu4=nn.ReLU(),
            drop1=nn.Dropout(0.3),
            dense2=nn.Linear(1000, 1000),
            bn5=nn.BatchNorm1d(1000),
            relu5=nn.ReLU(),
            drop2=nn.Dropout(0.3),
            out=nn.Linear(1000, n_tasks),
        )
    )


class BiLSTM(nn.Module):
    """Bidirectional LSTM over positions: (N, C, L) → (N, 2H, L)."""

    def __init__(self, in_channels: int, hidden: int):
        super().__init__()
        self.lstm = nn.LSTM(in_channels, hidden, batch_first=True, bidirectional=True)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.lstm(x.transpose(1, 2))
        return out.transpose(1, 2)


def danq(input_length: int = 1000, n_tasks: int = 919) -> nn.Sequential:
    """DanQ: (N, 4, L) → (N, T).

    conv 320 k26 → ReLU → max-pool 13 → dropout .2 → BiLSTM 320 (per direction) →
    dropout .5 → flatten → dense 925 → ReLU → dense T. Minimum length 38 bp.
    """
    _check_tasks(n_tasks)
    stages = [("conv", 26), ("pool", 13)]
    length = _check_length("danq", stages, input_length)
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv1d(4, 320, 26),
            relu1=nn.ReLU(),
            pool=MaxPool1d(13, 13),
            drop1=nn.Dropout(0.2),
            bilstm=BiLSTM(320, 320),
            drop2=nn.Dropout(0.5),
            flatten=nn.Flatten(),
            dense=nn.Linear(640 * length, 925),
            relu2=nn.ReLU(),
            out=nn.Linear(925, n_tasks),
        )
    )


class GlobalMaxPool1d(nn.Module):
    """(N, C, L) → (N, C): maximum over positions."""

    def forward(self, x: Tensor) -> Tensor:
        return x.amax(dim=-1)


def deepbind(
    input_length: int = 101,
    n_tasks: int = 1,
    filters: int = 128,
    kernel_size: int = 19,
    hidden: int = 32,
    dropout: float = 0.5,
) -> nn.Sequential:
    """A DeepBind-like net: (N, 4, L) → (N, T).

    conv ``filters`` k``kernel_size`` (valid) → ReLU → global max-pool → dense ``hidden`` →
    ReLU → dropout → dense T. Minimum length = ``kernel_size``.
    """
    _check_tasks(n_tasks)
    _check_length("deepbind", [("conv", kernel_size)], input_length)
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv1d(4, filters, kernel_size),
            relu1=nn.ReLU(),
            pool=GlobalMaxPool1d(),
            dense=nn.Linear(filters, hidden),
            relu2=nn.ReLU(),
            drop=nn.Dropout(dropout),
            out=nn.Linear(hidden, n_tasks),
        )
    )


#: Reference builders by name, each ``(input_length, n_tasks, **options) -> nn.Module``.
REFERENCES: dict[str, Callable[..., nn.Module]] = {
    "deepsea": deepsea,
    "basset": basset,
    "danq": danq,
    "deepbind": deepbind,
}
